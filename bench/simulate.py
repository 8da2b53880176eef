"""The lead lifecycle simulation behind ``generate_dataset``: one lead at a time, straight to CSV lines.

Every lead walks the transition table of ``lifecycle/state_machine.py`` (each move is checked
against it, including who made it), with marketing events before and around its MQL moment,
routing decisions, touches by reps with their own habits, opportunities and recycles into a
second (or third) cycle. Times are epoch seconds (floats) until they are written.

Speed matters (1,000,000 leads in minutes on two cores), hence the plain tuples, the local
aliases and the lines built by hand. Values that may hold a comma or a quote go through ``q``.
"""

from __future__ import annotations

import json
import math
import random
import time
from bisect import bisect
from dataclasses import dataclass, field

from bench import vocab
from lifecycle.state_machine import STATUS_ON_ENTRY, TABLE, By

DAY = 86400.0
HOUR = 3600.0
HALF_LIFE = 30 * DAY
NULL = "\\N"

# (from, to) -> who may make the move, from the transition table itself
ALLOWED: dict[tuple[str, str], frozenset[By]] = {
    (str(source), str(move.target)): move.by for move in TABLE for source in move.sources
}
ACTOR_KIND_BY = {"system": {By.SYSTEM}, "manager": {By.SALES_MANAGER}, "rep": {By.OWNER_REP},
                 "mops": {By.MARKETING_OPS}, "integrator": {By.INTEGRATOR}}
ACTOR_KIND_COLUMN = {"system": "system", "manager": "user", "rep": "user", "mops": "user",
                     "integrator": "api_client"}


def q(value: str) -> str:
    """A CSV field, quoted (the empty string stays an empty string, not NULL)."""
    return '"' + value.replace('"', '""') + '"'


_day_prefix: dict[int, str] = {}


def ts(t: float) -> str:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS+00' (cached per day: called tens of millions of times)."""
    day, sec = divmod(int(t), 86400)
    prefix = _day_prefix.get(day)
    if prefix is None:
        prefix = _day_prefix[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86400))
    h, rest = divmod(sec, 3600)
    m, s = divmod(rest, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}+00"


def day_of(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def cum(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


@dataclass
class Campaign:
    id: int
    name: str
    channel: str
    quality: float
    start: float
    end: float
    burst: float | None  # the webinar / event day, when leads and events bunch up


@dataclass
class Habit:
    """How a rep works their leads."""

    first_response_h: float  # median hours from assignment to the first attempt
    attempts: float  # attempts made on an unresponsive lead
    gap_days: float  # mean days between attempts
    connect_rate: float
    channels: list[str]
    channel_cum: list[float]
    tz_offset: float


@dataclass
class TeamInfo:
    id: int
    key: str
    manager_id: int
    reps: list[int]
    rep_cum: list[float]


@dataclass
class World:
    """Everything the lead simulation draws on (built by bench.generator from the org it created)."""

    end: float
    start: float
    campaigns: list[Campaign]
    campaign_cum: list[float]
    email_campaigns: list[Campaign]
    account_ids: list[int]
    account_rows: list[tuple[str, str, str, int | None, str, int | None]]  # name, domain, industry, emp, country, owner
    account_cum: list[float]
    teams: dict[str, TeamInfo]
    habits: dict[int, Habit]
    rep_team: dict[int, str]
    reasons: dict[tuple[str, str], tuple[int, str]]  # (kind, code) -> (id, target stage)
    mops_ids: list[int]
    integrator_id: int
    countries: list[str] = field(default_factory=list)
    country_cum: list[float] = field(default_factory=list)


class Rows:
    """The CSV lines of one block, per table."""

    def __init__(self) -> None:
        self.lead: list[str] = []
        self.transition: list[str] = []
        self.event: list[str] = []
        self.touch: list[str] = []
        self.assignment: list[str] = []
        self.opportunity: list[str] = []


def _ascii(name: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii() and c.isalpha()).lower()


def _weighted(rng: random.Random, items: list, cum_weights: list[float]):
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


REJECT_REASONS = [("wrong_company_size", 14), ("wrong_geography", 6), ("wrong_title", 20),
                  ("insufficient_budget", 16), ("missing_data", 18), ("duplicate", 8), ("not_a_prospect", 18)]
DISQUALIFY_REASONS = [("not_interested", 28), ("no_budget", 20), ("no_authority", 10), ("no_need", 16),
                      ("lost_to_competitor", 10), ("unresponsive", 16)]
RECYCLE_REASONS = [("bad_timing", 45), ("no_budget", 20), ("not_interested", 15), ("unresponsive", 20)]
LOST_REASONS = [("price", 30), ("lost_to_competitor", 25), ("no_decision", 25), ("timing", 12), ("product_fit", 8)]
OPEN_DEAL_STAGES = ["discovery", "proposal_development", "proposal_presented", "on_hold"]
CURRENCY = {"na": "USD", "emea": "EUR", "apac": "USD", "latam": "USD"}
TOUCH_OUTCOMES = {  # channel -> ([outcome], [cumulative weight]) for a non-connecting attempt
    "call": (["attempted", "voicemail", "bounced"], cum([55, 40, 5])),
    "email": (["attempted", "bounced"], cum([95, 5])),
    "linkedin": (["attempted"], [1.0]),
    "sms": (["attempted"], [1.0]),
    "meeting": (["connected"], [1.0]),
    "note": (["logged"], [1.0]),
}
CONNECT_OUTCOME = {"call": "connected", "email": "replied", "linkedin": "replied", "sms": "replied",
                   "meeting": "meeting_booked", "note": "logged"}
COUNTS_CHANNEL = {"call": True, "email": True, "linkedin": True, "meeting": True, "sms": True, "note": False}


def _props(kind: str, rng: random.Random) -> str:
    if kind in ("page_view", "pricing_page_view"):
        url = "/pricing" if kind == "pricing_page_view" else rng.choice(vocab.PAGES)
        return q(json.dumps({"url": url, "seconds": rng.randint(5, 400)}))
    if kind.startswith("email"):
        return q(json.dumps({"subject": rng.choice(vocab.CAMPAIGN_TOPICS), "step": rng.randint(1, 6)}))
    if kind in ("form_submit", "demo_request", "contact_sales"):
        return q(json.dumps({"form": kind, "utm_medium": rng.choice(["cpc", "social", "email", "organic"])}))
    return '"{}"'


class Simulator:
    """Turns lead ids into CSV lines. ``next_*`` are the id counters of the child tables."""

    def __init__(self, world: World, *, next_ids: dict[str, int]) -> None:
        self.w = world
        self.next = dict(next_ids)
        self.names = {
            region: ([(n, _ascii(n)) for n in vocab.FIRST_NAMES[region]],
                     [(n, _ascii(n)) for n in vocab.LAST_NAMES[region]])
            for region in vocab.FIRST_NAMES
        }
        self.titles = [(t, s) for t, s, _ in vocab.TITLES]
        self.title_cum = cum([w for _, _, w in vocab.TITLES])
        self.countries = list(vocab.COUNTRIES)
        self.country_cum = cum([vocab.COUNTRIES[c][2] for c in self.countries])
        self.follow = [k for k, _ in vocab.FOLLOW_UP_EVENTS]
        self.follow_cum = cum([w for _, w in vocab.FOLLOW_UP_EVENTS])
        self.reject = self._reasons("rejection", REJECT_REASONS)
        self.disqualify = self._reasons("disqualification", DISQUALIFY_REASONS)
        self.recycle = self._reasons("recycle", RECYCLE_REASONS)
        self.lost = self._reasons("closed_lost", LOST_REASONS)
        self.transitions_checked = 0

    def _reasons(self, kind: str, table: list[tuple[str, float]]):
        items = [(code, *self.w.reasons[(kind, code)]) for code, _ in table]  # (code, id, target)
        return items, cum([w for _, w in table])

    def _id(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table]

    # --- one lead ---------------------------------------------------------------------------------

    def lead(self, rng: random.Random, lead_id: int, rows: Rows) -> None:  # noqa: C901 - one story, told in order
        w = self.w
        rnd = rng.random
        end = w.end

        # who they are
        if rnd() < 0.72:
            ai = bisect(w.account_cum, rnd() * w.account_cum[-1])
            account_id = w.account_ids[ai]
            company, domain, industry, emp, acc_country, account_owner = w.account_rows[ai]
            country = acc_country if rnd() < 0.85 else _weighted(rng, self.countries, self.country_cum)
            kind = "b2b"
        else:
            account_id = account_owner = emp = None
            industry = ""
            country = _weighted(rng, self.countries, self.country_cum)
            r = rnd()
            if r < 0.64:
                kind, domain = "free", rng.choice(vocab.FREEMAIL)
                words = (rng.choice(vocab.COMPANY_WORDS_A), rng.choice(vocab.COMPANY_WORDS_B))
                company = "" if rnd() < 0.5 else f"{words[0]} {words[1]}"
            elif r < 0.94:
                kind = "unknown"
                a, b = rng.choice(vocab.COMPANY_WORDS_A), rng.choice(vocab.COMPANY_WORDS_B)
                company = f"{a} {b}"
                domain = f"{a.lower()}{b.lower()}{lead_id % 997}.com"
                emp = int(math.exp(rng.gauss(3.5, 1.4))) + 1 if rnd() < 0.3 else None
            elif r < 0.97:
                kind, company, domain = "student", "", rng.choice(["mit.edu", "stanford.edu", "ox.ac.uk", "tum.de"])
            else:
                kind, domain = "competitor", rng.choice(vocab.COMPETITOR_DOMAINS)
                company = domain.split(".")[0].capitalize()
        region, tz_offset, _, phone_prefix = vocab.COUNTRIES[country]
        firsts, lasts = self.names[region]
        first, first_a = firsts[int(rnd() * len(firsts))]
        last, last_a = lasts[int(rnd() * len(lasts))]
        title, seniority = _weighted(rng, self.titles, self.title_cum)
        if kind == "student":
            title, seniority = "Student", "individual"
        fmt = rnd()
        if fmt < 0.5:
            local = f"{first_a}.{last_a}"
        elif fmt < 0.75:
            local = f"{first_a[:1]}{last_a}"
        else:
            local = f"{first_a}{last_a[:1]}"
        email = f"{local}.{lead_id:x}@{domain}"
        phone = f"{phone_prefix} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}" \
            if rnd() < 0.62 else ""
        lead_type = "new_business"
        r = rnd()
        if r < 0.09 and account_id is not None:
            lead_type = "existing_customer"
        elif r > 0.96:
            lead_type = "partner"

        fit = 0
        if emp is not None and 50 <= emp <= 500:
            fit += 20
        if industry in vocab.TARGET_INDUSTRIES:
            fit += 15
        if seniority in ("director", "vp", "cxo"):
            fit += 15
        if country in vocab.SERVED_COUNTRIES:
            fit += 10
        if kind == "free":
            fit -= 10
        elif kind in ("student", "competitor"):
            fit -= 50

        # where and when they came from
        camp = w.campaigns[bisect(w.campaign_cum, rnd() * w.campaign_cum[-1])]
        if camp.burst is not None and rnd() < 0.85:
            created = max(camp.start, camp.burst - rng.expovariate(1 / (5 * DAY)))
        else:
            created = camp.start + (camp.end - camp.start) * rnd() ** 0.8
            weekday = (int(created // DAY) + 3) % 7  # 0 = Monday
            if weekday >= 5 and rnd() < 0.65:
                created += (7 - weekday) * DAY
        local_hour = min(22.5, max(6.0, rng.gauss(12.5, 3.2)))
        created = created - created % DAY + (local_hour - tz_offset) * HOUR + rnd() * 60
        if created > end - 120:
            created = end - 120 - rnd() * 6 * HOUR
        if created < w.start:
            created = w.start + rnd() * DAY
        channel = camp.channel
        first_campaign = camp
        latest_campaign = camp
        if channel in ("organic_search", "direct") and rnd() < 0.35:
            first_campaign = latest_campaign = None

        quality = camp.quality
        if fit >= 45:
            fitf = 2.3
        elif fit >= 25:
            fitf = 1.35
        elif fit >= 10:
            fitf = 0.8
        elif fit >= 0:
            fitf = 0.45
        else:
            fitf = 0.04
        p_mql = 0.11 * quality * fitf

        # lead state, mutated as the story unfolds
        stage = "subscriber"
        cycle = 0
        seq = 0
        became: dict[str, float] = {}
        owner = team = None
        assigned_at = None
        high_intent = False
        disposition = None
        bant = ("", "", "", "")
        attempts = 0
        first_attempt = last_touch = None
        status_since = created  # touches after this move the status within mql/sal
        connected_since = attempted_since = False
        transition_lines = rows.transition
        event_times: list[tuple[float, str]] = []  # for the behaviour score
        lead_key = str(lead_id)

        def move(to: str, when: float, who: str, actor: int | None, trigger: str,
                 reason: tuple[str, int, str] | None = None, note: str = "", override: bool = False) -> None:
            nonlocal stage, seq
            allowed = ALLOWED.get((stage, to))
            if allowed is None or not (allowed & ACTOR_KIND_BY[who]):
                raise AssertionError(f"generator made an illegal move {stage} -> {to} by {who}")
            seq += 1
            transition_lines.append(
                f"{self._id('transition')},{seq},{cycle},{stage},{to},{ACTOR_KIND_COLUMN[who]},{trigger},"
                f"{q(note) if note else ''},{'t' if override else 'f'},{ts(when)},"
                f"{NULL if actor is None else actor},{lead_key},{NULL if reason is None else reason[1]}"
            )
            stage = to
            became[to] = when

        def event(kind: str, when: float, campaign: Campaign | None) -> None:
            nonlocal latest_campaign
            eid = self._id("event")
            source = vocab.EVENT_SOURCES[int(rnd() * 5)]
            ext = f"{source[:2]}-{eid}" if source in ("hubspot", "marketo", "segment") else NULL
            stamp = ts(when)
            rows.event.append(
                f"{eid},{kind},{stamp},{_props(kind, rng)},{source},{ext},{stamp},"
                f"{NULL if campaign is None else campaign.id},{lead_key}"
            )
            event_times.append((when, kind))
            if campaign is not None:
                latest_campaign = campaign

        def session(when: float, campaign: Campaign | None, extra: str | None = None) -> None:
            """A burst of behaviour: a few events minutes apart."""
            n = 1 + int(rng.expovariate(0.9))
            t = when
            for _ in range(min(n, 6)):
                if t >= end:
                    return
                event(self.follow[bisect(self.follow_cum, rnd() * self.follow_cum[-1])], t, campaign)
                t += rng.expovariate(1 / 240.0)
            if extra is not None and t < end:
                event(extra, t, campaign)

        def touches(rep: int, start: float, stop: float, keen: bool) -> bool:
            """The rep works the lead from ``start`` until ``stop``; returns True if they connected."""
            nonlocal attempts, first_attempt, last_touch, connected_since, attempted_since
            habit = w.habits[rep]
            t = start + habit.first_response_h * HOUR * math.exp(rng.gauss(0, 0.9))
            planned = max(1, int(rng.gauss(habit.attempts, 1.5)))
            connect_p = habit.connect_rate * (1.6 if keen else 1.0)
            connected = False
            for _ in range(planned):
                # into the rep's working hours (their own time zone), Monday to Friday
                local = (t / HOUR + habit.tz_offset) % 24
                if local < 8:
                    t += (8 - local + rnd() * 2) * HOUR
                elif local > 18:
                    t += (32 - local + rnd() * 2) * HOUR
                weekday = (int((t + habit.tz_offset * HOUR) // DAY) + 3) % 7
                if weekday >= 5:
                    t += (7 - weekday) * DAY
                if t >= stop or t >= end:
                    break
                ch = habit.channels[bisect(habit.channel_cum, rnd() * habit.channel_cum[-1])]
                if rnd() < connect_p and ch != "note":
                    outcome = CONNECT_OUTCOME[ch]
                    connected = True
                else:
                    outcomes, ocum = TOUCH_OUTCOMES[ch]
                    outcome = outcomes[bisect(ocum, rnd() * ocum[-1])]
                counts = COUNTS_CHANNEL[ch] and outcome != "logged"
                stamp = ts(t)
                note = vocab.TOUCH_NOTES[int(rnd() * len(vocab.TOUCH_NOTES))]
                rows.touch.append(f"{self._id('touch')},{stamp},{q(note) if note else ''},"
                                  f"{'t' if counts else 'f'},{cycle},{stamp},{lead_key},{rep},{ch},{outcome}")
                if counts and t >= became.get("mql", 0):
                    attempts += 1
                    if first_attempt is None:
                        first_attempt = t
                last_touch = t
                if t >= status_since:
                    if outcome in ("connected", "replied", "meeting_booked"):
                        connected_since = True
                    elif counts:
                        attempted_since = True
                if connected and rnd() < 0.7:
                    break
                t += rng.expovariate(1 / (habit.gap_days * DAY))
            return connected

        def enter(to: str, when: float) -> None:
            nonlocal status_since, connected_since, attempted_since
            status_since = when
            connected_since = attempted_since = False

        # the creating event, and the first stage move
        event(vocab.FIRST_EVENT_BY_CHANNEL[channel], created, first_campaign)
        if first_campaign is not None and camp.burst is not None and channel == "webinar" and rnd() < 0.45 \
                and camp.burst > created and camp.burst < end:
            event("webinar_attended", camp.burst + rnd() * 1800, first_campaign)  # everyone at the same hour
        t_lead = None
        if (company or title or account_id) and rnd() < 0.8:
            t_lead = created + (rnd() * 600 if rnd() < 0.6 else rng.expovariate(1 / (5 * DAY)))
            if t_lead < end:
                r = rnd()
                if r < 0.7:
                    move("lead", t_lead, "system", None, "enrichment")
                elif r < 0.9:
                    move("lead", t_lead, "integrator", w.integrator_id, "promote")
                else:
                    move("lead", t_lead, "mops", w.mops_ids[int(rnd() * len(w.mops_ids))], "promote")
            else:
                t_lead = None

        will_mql = rnd() < p_mql
        t_mql = (t_lead or created) + rng.expovariate(1 / (22 * DAY)) if will_mql else end + 1
        # behaviour before any MQL moment: nurture emails, site visits
        n_sessions = int(rng.expovariate(1 / (3.2 if will_mql else 0.8)))
        horizon = min(t_mql, end)
        for _ in range(n_sessions):
            when = created + rnd() * (horizon - created)
            if rnd() < 0.3 and w.email_campaigns:
                session(when, w.email_campaigns[int(rnd() * len(w.email_campaigns))])
            else:
                session(when, first_campaign)

        side_exit_at = None
        while t_mql < end:
            # --- MQL (a new cycle when coming back from nurture or disqualified) ---
            if stage in ("nurture", "disqualified"):
                cycle += 1
                for key in ("mql", "sal", "sql", "opportunity", "customer", "nurture", "disqualified"):
                    became.pop(key, None)
                attempts, first_attempt, last_touch = 0, None, None
                disposition, owner, team, assigned_at, high_intent = None, None, None, None, False
                bant = ("", "", "", "")
            r = rnd()
            if stage == "disqualified" or r < 0.3:
                hi = vocab.HIGH_INTENT_EVENTS[int(rnd() * 2)]
                event(hi, t_mql - 5, first_campaign if cycle == 0 else latest_campaign)
                move("mql", t_mql, "system", None, "high_intent_event")
                high_intent = True
            elif r < 0.92:
                session(t_mql - 900, latest_campaign, extra="pricing_page_view")
                move("mql", t_mql, "system", None, "score")
            else:
                move("mql", t_mql, "mops", w.mops_ids[int(rnd() * len(w.mops_ids))], "promote")
            enter("mql", t_mql)

            # routing
            if lead_type == "partner":
                team_key = "partners"
            elif emp is not None and emp >= 2000:
                team_key = "enterprise"
            elif region in ("na", "emea"):
                team_key = f"sdr_{region}" if (emp is None or emp < 200) else f"sales_{region}"
            else:
                team_key = f"sales_{region}"
            tinfo = w.teams[team_key]
            team = tinfo.id
            decided = t_mql + rng.lognormvariate(3.0, 1.0)
            r = rnd()
            if account_owner is not None and w.rep_team.get(account_owner) == team_key and r < 0.9:
                owner, method, rule = account_owner, "account_match", "account owner"
            elif r < 0.95:
                owner = tinfo.reps[bisect(tinfo.rep_cum, rnd() * tinfo.rep_cum[-1])]
                method, rule = "round_robin", f"region {region}" if team_key != "enterprise" else "enterprise 2000+"
            else:
                owner, method, rule = None, "queue", f"region {region}"
            self._assignment(rows, lead_key, owner, team, None, method, rule, cycle, decided, t_mql, None, tinfo, rng)
            if owner is None:  # the manager picks someone from the queue later
                decided += rng.expovariate(1 / (6 * HOUR))
                if decided < end:
                    owner = tinfo.reps[int(rnd() * len(tinfo.reps))]
                    self._assignment(rows, lead_key, owner, team, None, "manual", "", cycle, decided, t_mql,
                                     tinfo.manager_id, tinfo, rng)
            assigned_at = decided if owner is not None else None

            # SAL review by the team's manager
            stuck = rnd() < 0.14
            t_review = t_mql + rng.expovariate(1 / (20 * HOUR)) + 600
            if owner is not None:
                touches(owner, decided, min(t_review, end) if not stuck else end, high_intent)
            if stuck or t_review >= end:
                break
            p_accept = 0.5 + 0.18 * (quality - 1) + (0.12 if fit >= 25 else -0.05) + (0.1 if high_intent else 0)
            if owner is not None and rnd() < p_accept:
                move("sal", t_review, "manager", tinfo.manager_id, "accept")
                enter("sal", t_review)
                t_out = t_review + rng.expovariate(1 / (11 * DAY)) + HOUR
                keen = rnd() < 0.45 + 0.1 * quality
                touches(owner, t_review, min(t_out, end), keen)
                if t_out >= end:
                    break
                r = rnd()
                qualify = 0.3 + 0.12 * quality + (0.1 if keen else -0.08)
                if r < qualify:
                    who, actor = ("rep", owner) if rnd() < 0.85 else ("manager", tinfo.manager_id)
                    bant = tuple(vocab.BANT[k][int(rnd() * 4)] for k in ("budget", "authority", "need", "timeline"))
                    move("sql", t_out, who, actor, "qualify")
                    enter("sql", t_out)
                    t_next = t_out + rng.expovariate(1 / (12 * DAY)) + HOUR
                    if t_next >= end:
                        break
                    r = rnd()
                    if r < 0.58:
                        who, actor = ("rep", owner) if rnd() < 0.9 else ("integrator", w.integrator_id)
                        opp_id = self._id("opportunity")
                        move("opportunity", t_next, who, actor, "convert")
                        enter("opportunity", t_next)
                        amount = round(max(2000.0, (emp or 40) ** 0.55 * rng.lognormvariate(7.6, 0.6)), -2)
                        t_close = t_next + rng.expovariate(1 / (50 * DAY)) + DAY
                        kind_of_deal = "expansion" if lead_type == "existing_customer" else "new business"
                        name = f"{company or email} - {kind_of_deal}"
                        if t_close >= end:
                            age = (end - t_next) / DAY
                            deal = OPEN_DEAL_STAGES[min(3, int(age / 20 + rnd()))]
                            expected = day_of(end + rng.expovariate(1 / (40 * DAY)) + DAY)
                            self._opportunity(rows, opp_id, name, amount, region, deal, expected, cycle, t_next,
                                              None, account_id, lead_key, None, owner)
                            # a few meetings while the deal is open
                            touches(owner, t_next, end, True)
                            break
                        if rnd() < 0.4:
                            self._opportunity(rows, opp_id, name, amount, region, "closed_won", day_of(t_close),
                                              cycle, t_next, t_close, account_id, lead_key, None, owner)
                            move("customer", t_close, "system", None, "closed_won")
                            enter("customer", t_close)
                            break
                        reason = _weighted(rng, *self.lost)
                        self._opportunity(rows, opp_id, name, amount, region, "closed_lost", day_of(t_close),
                                          cycle, t_next, t_close, account_id, lead_key, reason[1], owner)
                        disposition = reason[1]
                        move(reason[2], t_close, "system", None, "closed_lost", reason)
                        side_exit_at = t_close
                    elif r < 0.72:
                        reason = _weighted(rng, *self.recycle)
                        side_exit_at = self._rep_exit(move, "nurture", t_next, owner, tinfo, reason, attempts, rnd)
                        disposition = reason[1]
                    elif r < 0.86:
                        reason = _weighted(rng, *self.disqualify)
                        side_exit_at = self._rep_exit(move, "disqualified", t_next, owner, tinfo, reason,
                                                      attempts, rnd)
                        disposition = reason[1]
                    else:
                        break  # stalled in SQL
                elif r < qualify + 0.2:
                    reason = _weighted(rng, *self.recycle)
                    side_exit_at = self._rep_exit(move, "nurture", t_out, owner, tinfo, reason, attempts, rnd)
                    disposition = reason[1]
                elif r < qualify + 0.45:
                    reason = _weighted(rng, *self.disqualify)
                    side_exit_at = self._rep_exit(move, "disqualified", t_out, owner, tinfo, reason, attempts, rnd)
                    disposition = reason[1]
                else:
                    break  # stalled in SAL
            else:
                reason = _weighted(rng, *self.reject)
                move(reason[2], t_review, "manager", tinfo.manager_id, "reject", reason,
                     note="Returned to marketing" if reason[2] == "nurture" else "")
                disposition = reason[1]
                side_exit_at = t_review
            enter(stage, side_exit_at)
            # a later cycle? nurture leads come back on score, disqualified ones only on a high-intent event
            if cycle >= 2:
                break
            if stage == "nurture" and rnd() < 0.3:
                t_mql = side_exit_at + rng.expovariate(1 / (60 * DAY)) + DAY
                if t_mql < end:
                    for _ in range(1 + int(rng.expovariate(0.5))):
                        session(side_exit_at + rnd() * (t_mql - side_exit_at), latest_campaign)
            elif stage == "disqualified" and rnd() < 0.05:
                t_mql = side_exit_at + rng.expovariate(1 / (45 * DAY)) + DAY
            else:
                break

        # behaviour after the last move: newsletters keep going out
        if stage in ("lead", "subscriber", "nurture") and rnd() < 0.25:
            when = created + rnd() * (end - created)
            if when < end:
                event("email_open", when, w.email_campaigns[int(rnd() * len(w.email_campaigns))]
                      if w.email_campaigns else None)

        # behaviour score: points decayed with a 30-day half-life, capped per type
        per_type: dict[str, float] = {}
        for when, kind in event_times:
            pts = vocab.EVENT_POINTS.get(kind, 1) * 0.5 ** ((end - when) / HALF_LIFE)
            per_type[kind] = per_type.get(kind, 0.0) + pts
        behaviour = int(sum(min(v, 3 * vocab.EVENT_POINTS.get(k, 1)) for k, v in per_type.items()))
        score = fit + behaviour

        status = STATUS_ON_ENTRY[stage]
        if stage in ("mql", "sal"):
            if connected_since:
                status = "connected"
            elif attempted_since:
                status = "attempting"
        last_move = max(became.values()) if became else created
        updated = max(last_move, last_touch or 0, max(e[0] for e in event_times) if event_times else 0)

        def stamp(key: str) -> str:
            at = became.get(key)
            return NULL if at is None else ts(at)

        rows.lead.append(",".join((
            lead_key, email, q(first), q(last), q(title), seniority, phone, q(company), domain,
            NULL if emp is None else str(emp), q(industry), country, lead_type, channel, stage, status,
            NULL if assigned_at is None else ts(assigned_at), str(fit), str(behaviour), str(score),
            "t" if high_intent else "f", "", str(cycle), str(seq), q(bant[0]), q(bant[1]), q(bant[2]), q(bant[3]),
            stamp("lead"), stamp("mql"), stamp("sal"), stamp("sql"), stamp("opportunity"), stamp("customer"),
            stamp("nurture"), stamp("disqualified"), str(attempts),
            NULL if first_attempt is None else ts(first_attempt), NULL if last_touch is None else ts(last_touch),
            ts(created), ts(min(updated, end)), NULL if account_id is None else str(account_id),
            NULL if disposition is None else str(disposition),
            NULL if first_campaign is None else str(first_campaign.id),
            NULL if latest_campaign is None else str(latest_campaign.id),
            NULL if owner is None or stage in ("subscriber", "lead") else str(owner),
            NULL if team is None else str(team),
        )))

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _rep_exit(move, to, when, owner, tinfo, reason, attempts, rnd) -> float:
        """A rep (or their manager) recycles or disqualifies. ``unresponsive`` needs the cadence met,
        else only the manager may override it (and the override is recorded on the transition)."""
        requires_cadence = reason[0] == "unresponsive"
        if requires_cadence and attempts < 6:
            move(to, when, "manager", tinfo.manager_id, "disqualify" if to == "disqualified" else "recycle",
                 reason, note="Cadence override: no response on any channel", override=True)
        else:
            who, actor = ("rep", owner) if rnd() < 0.8 else ("manager", tinfo.manager_id)
            move(to, when, who, actor, "disqualify" if to == "disqualified" else "recycle", reason)
        return when

    def _assignment(self, rows, lead_key, rep, team, previous, method, rule, cycle, decided, mql_at, actor,
                    tinfo, rng) -> None:
        others = [tinfo.reps[int(rng.random() * len(tinfo.reps))] for _ in range(2)]
        candidates = [{"rep": other, "skipped": rng.choice(["at_capacity", "out_of_office", "not_next"])}
                      for other in others if other != rep]
        if rep is not None:
            candidates.insert(0, {"rep": rep, "chosen": True})
        rows.assignment.append(
            f"{self._id('assignment')},{method},{q(rule)},{q(json.dumps(candidates))},,{cycle},{ts(decided)},"
            f"{int((decided - mql_at) * 1000)},{NULL if actor is None else actor},{lead_key},"
            f"{NULL if previous is None else previous},{NULL if rep is None else rep},{team}"
        )

    @staticmethod
    def _opportunity(rows, opp_id, name, amount, region, deal, close_date, cycle, created, closed, account_id,
                     lead_key, lost_reason, owner) -> None:
        rows.opportunity.append(
            f"{opp_id},{q(name)},{amount:.2f},{CURRENCY[region]},{deal},{close_date},{cycle},{ts(created)},"
            f"{NULL if closed is None else ts(closed)},{NULL if account_id is None else account_id},{lead_key},"
            f"{NULL if lost_reason is None else lost_reason},{NULL if owner is None else owner}"
        )

    # --- the timeline benchmark's lead ------------------------------------------------------------

    def heavy_lead(self, rng: random.Random, lead_id: int, rows: Rows, email: str) -> dict[str, int]:
        """One long-lived lead with exactly 500 history items: 40 transitions (nine recycles, so ten
        cycles), 10 routing decisions, 150 touches and 300 marketing events over the year."""
        w = self.w
        lead_key = str(lead_id)
        tinfo = w.teams["sales_na"]
        rep = tinfo.reps[0]
        camp = w.campaigns[0]
        created = w.start + 3 * DAY
        span = (w.end - DAY) - created
        seq = 0
        stage = "subscriber"
        counts = {"transition": 0, "assignment": 0, "touch": 0, "event": 0}

        def move(to: str, when: float, kind: str, actor: int | None, trigger: str, reason=None) -> None:
            nonlocal seq, stage
            assert (stage, to) in ALLOWED, (stage, to)
            seq += 1
            rows.transition.append(
                f"{self._id('transition')},{seq},{cycle},{stage},{to},{kind},{trigger},,f,{ts(when)},"
                f"{NULL if actor is None else actor},{lead_key},{NULL if reason is None else reason}")
            stage = to
            counts["transition"] += 1

        cycle = 0
        t = created
        move("lead", t + 60, "system", None, "enrichment")
        slot = span / 10
        recycle_id = w.reasons[("recycle", "bad_timing")][0]
        for c in range(10):
            cycle = c
            base = created + c * slot + HOUR
            move("mql", base, "system", None, "score")
            rows.assignment.append(
                f"{self._id('assignment')},round_robin,\"region na\",\"[]\",,{cycle},{ts(base + 30)},30000,"
                f"{NULL},{lead_key},{NULL},{rep},{tinfo.id}")
            counts["assignment"] += 1
            move("sal", base + DAY, "user", tinfo.manager_id, "accept")
            for i in range(15):
                at = base + DAY + (i + 1) * slot / 20
                rows.touch.append(f"{self._id('touch')},{ts(at)},,t,{cycle},{ts(at)},{lead_key},{rep},"
                                  f"{'call' if i % 2 else 'email'},{'connected' if i == 14 else 'attempted'}")
                counts["touch"] += 1
            move("sql", base + slot * 0.8, "user", rep, "qualify")
            if c < 9:
                move("nurture", base + slot * 0.9, "user", rep, "recycle", recycle_id)
        for i in range(300):
            at = created + (i + 0.5) * span / 300
            kind = self.follow[i % len(self.follow)]
            eid = self._id("event")
            rows.event.append(f"{eid},{kind},{ts(at)},{_props(kind, rng)},web,{NULL},{ts(at)},{camp.id},{lead_key}")
            counts["event"] += 1
        became_mql = created + 9 * slot + HOUR
        bant = [q(vocab.BANT[k][0]) for k in ("budget", "authority", "need", "timeline")]
        rows.lead.append(",".join((
            lead_key, email, "Heavy", "Timeline", q("VP Sales"), "vp", "+1 555 010 0500", q("Timeline Corp"),
            "timeline.example", "300", q("Software"), "US", "new_business", camp.channel, "sql", "connected",
            ts(became_mql + 30), "60", "35", "95", "f", "", "9", str(seq), *bant,
            ts(created + 60), ts(became_mql), ts(became_mql + DAY), ts(became_mql + slot * 0.8), NULL, NULL, NULL,
            NULL, "15", ts(became_mql + DAY + slot / 20), ts(became_mql + DAY + 15 * slot / 20), ts(created),
            ts(w.end - DAY), NULL, NULL, str(camp.id), str(camp.id), str(rep), str(tinfo.id),
        )))
        return counts
