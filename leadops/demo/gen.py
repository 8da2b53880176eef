"""The demo's world: accounts, campaigns, prospects, working hours, leave and routing decisions (``Gen``)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from leadops.demo.data import (
    CAMPAIGNS,
    COMPANY_STEMS,
    COMPANY_WORDS,
    COUNTRY_PHONE,
    COUNTRY_TLD,
    COUNTRY_WEIGHTS,
    DAY,
    DEPARTED,
    ENTERPRISE,
    FIRST_NAMES,
    FREE_MAIL,
    LAST_NAMES,
    LEGAL_FORM,
    MIDMARKET,
    MINUTE,
    ON_LEAVE,
    PEOPLE,
    PEOPLE_BY_NAME,
    SDR,
    SENIORITY_WEIGHTS,
    SERVED_COUNTRIES,
    STUDENT_TITLES,
    TEAMS,
    TITLES,
    leave_ranges,
)
from leadops.demo.records import AccountSpec, CampaignSpec
from leadops.demo.scores import fit_score
from lifecycle.catalogue import DISPOSITIONS, TOUCH_CHANNELS, TOUCH_OUTCOMES
from routing.models import AssignmentMethod


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in pairs)
    pick = rng.random() * total
    for value, weight in pairs:
        pick -= weight
        if pick < 0:
            return value
    return pairs[-1][0]


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass
class Profile:
    email: str
    fields: dict[str, Any]
    account: AccountSpec | None
    channel: str
    team: str
    fit: int
    free_mail: bool
    student: bool


class Gen:
    """The world the stories happen in, drawn from one random stream: the accounts and campaigns, the prospects
    and their addresses, working hours and leave, and what routing decides."""

    def __init__(self, seed: int, base: dt.datetime):
        self.rng = random.Random(seed)
        self.base = base
        self.emails: set[str] = set()
        self.accounts = self._accounts()
        self.campaigns = self._campaigns()
        self.reasons = {(kind, code): (target, cadence) for kind, code, _, target, cadence, _ in DISPOSITIONS}
        self.channel_counts = {code: counts for code, _, counts in TOUCH_CHANNELS}
        self.outcome_counts = {code: (counts, connect) for code, _, counts, connect in TOUCH_OUTCOMES}
        self.reps = {team: [p for p in PEOPLE if p.is_rep and p.team == team] for team in (ENTERPRISE, MIDMARKET, SDR)}
        self.manager_of = {name: manager for name, _, manager, _ in TEAMS}
        self.left = {rep: base - days * DAY for rep, days in DEPARTED.items()}
        self.leave = {rep: [(start, end) for start, end, _ in leave_ranges(base, rep)] for rep in ON_LEAVE}
        self.won: list[tuple[dt.date, str, int]] = []

    # -- the organisation's surroundings

    def _accounts(self) -> list[AccountSpec]:
        rng = self.rng
        accounts: list[AccountSpec] = []
        seen: set[str] = set()
        sizes = [((5, 19), 8), ((20, 49), 12), ((50, 99), 14), ((100, 499), 30), ((500, 999), 12),
                 ((1000, 4999), 16), ((5000, 40000), 8)]
        while len(accounts) < 300:
            stem, (word, industry) = rng.choice(COMPANY_STEMS), rng.choice(COMPANY_WORDS)
            country = weighted(rng, COUNTRY_WEIGHTS)
            tld = "io" if industry == "Software" and rng.random() < 0.4 else COUNTRY_TLD[country]
            domain = f"{_ascii(stem + word)}.{tld}"
            if domain in seen or any(a.name.startswith(f"{stem} {word}") for a in accounts):
                continue
            seen.add(domain)
            low, high = weighted(rng, sizes)
            employees = int(math.exp(rng.uniform(math.log(low), math.log(high))))
            revenue = round(employees * rng.uniform(90_000, 320_000), -5)
            accounts.append(AccountSpec(f"{stem} {word} {LEGAL_FORM[country]}", f"{stem} {word}", domain, industry,
                                        employees, country, int(revenue)))
        # account owners: most enterprise accounts (by region), some mid-market ones
        region_rep = {"US": "priya", "CA": "priya", "BR": "priya", "GB": "oliver", "IE": "oliver", "DE": "oliver",
                      "FR": "oliver", "NL": "oliver", "SE": "oliver", "ES": "oliver", "ZA": "oliver", "SG": "mei",
                      "JP": "mei", "IN": "mei", "AU": "jack", "NZ": "jack"}
        mid_reps = ["riley", "marcus", "sofia", "hannah"]
        for account in accounts:
            if account.country not in SERVED_COUNTRIES:
                continue
            if account.employee_count >= 1000 and rng.random() < 0.55:
                account.owner = region_rep[account.country]
            elif 100 <= account.employee_count < 1000 and rng.random() < 0.15:
                account.owner = rng.choice(mid_reps)
        return accounts

    def _campaigns(self) -> list[CampaignSpec]:
        today = self.base.date()
        return [
            CampaignSpec(name, channel, kind, cost, today - dt.timedelta(days=start),
                         None if end is None else today - dt.timedelta(days=end), volume)
            for name, channel, kind, start, end, cost, volume in CAMPAIGNS
        ]

    # -- people and companies

    def _name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def _email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate.lower() in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate.lower())
        return candidate

    def _phone(self, country: str) -> str:
        rng = self.rng
        return f"{COUNTRY_PHONE.get(country, '+1')} {rng.randint(200, 989)} {rng.randint(100, 999)} " \
               f"{rng.randint(1000, 9999)}"

    def _pick_account(self, seg: str | None) -> AccountSpec:
        tests: dict[str, Callable[[AccountSpec], bool]] = {
            "enterprise": lambda a: a.employee_count >= 1000 and a.country in SERVED_COUNTRIES,
            "midmarket": lambda a: 100 <= a.employee_count < 1000 and a.country in SERVED_COUNTRIES,
            "riley": lambda a: 100 <= a.employee_count < 1000 and a.country in SERVED_COUNTRIES
            and a.owner in (None, "riley"),
            "smb": lambda a: 20 <= a.employee_count < 100 and a.country in SERVED_COUNTRIES,
            "tiny": lambda a: a.employee_count < 20 and a.country in SERVED_COUNTRIES,
            "unserved": lambda a: a.country not in SERVED_COUNTRIES,
            "ic": lambda a: a.country in SERVED_COUNTRIES,
        }
        test = tests.get(seg or "", lambda a: True)
        return self.rng.choice([a for a in self.accounts if test(a)])

    def profile(self, seg: str | None, channel: str) -> Profile:
        rng = self.rng
        first, last = self._name()
        free = seg in ("subscriber", "student") or (seg is None and rng.random() < 0.26)
        fields: dict[str, Any] = {"first_name": first, "last_name": last}
        account = None
        student = False
        if free:
            country = weighted(rng, COUNTRY_WEIGHTS)
            first_, last_ = _ascii(first), _ascii(last)
            local = rng.choice([f"{first_}.{last_}", f"{first_}{last_[:1]}{rng.randint(1, 99)}",
                                f"{first_[:1]}{last_}{rng.randint(70, 99)}"])
            email = self._email(local, rng.choice(FREE_MAIL))
            kind = seg or weighted(rng, [("subscriber", 50), ("freelancer", 22), ("student", 10), ("company", 18)])
            fields["country"] = country if rng.random() < 0.7 or kind != "subscriber" else ""
            if kind == "subscriber":
                fields["first_name"] = first if rng.random() < 0.6 else ""
                fields["last_name"] = last if fields["first_name"] and rng.random() < 0.8 else ""
            elif kind == "student":
                fields["title"] = rng.choice(STUDENT_TITLES)
                student = True
            elif kind == "freelancer":
                fields["title"] = rng.choice(["Consultant", "Freelance Marketing Consultant", "Founder",
                                              "Independent Advisor"])
            else:
                fields["company_name"] = f"{rng.choice(COMPANY_STEMS)} {rng.choice(['Studio', 'Consulting', 'Co'])}"
                fields["title"] = rng.choice(TITLES[weighted(rng, SENIORITY_WEIGHTS)])
            if kind != "subscriber" and rng.random() < 0.5:
                fields["phone"] = self._phone(country)
        else:
            account = self._pick_account(seg)
            if seg == "ic":
                level = "individual"
            elif seg in ("enterprise", "midmarket", "smb", "riley"):
                level = weighted(rng, [("cxo", 2), ("vp", 4), ("director", 5), ("manager", 4)])
            else:
                level = weighted(rng, SENIORITY_WEIGHTS)
            fields.update({"title": rng.choice(TITLES[level]), "company_name": account.short_name,
                           "company_domain": account.domain, "employee_count": account.employee_count,
                           "industry": account.industry, "country": account.country})
            style = rng.random()
            local = (f"{_ascii(first)}.{_ascii(last)}" if style < 0.6 else f"{_ascii(first)[:1]}{_ascii(last)}"
                     if style < 0.85 else _ascii(first))
            email = self._email(local, account.domain)
            if rng.random() < 0.8:
                fields["phone"] = self._phone(account.country)
            if account.owner and rng.random() < 0.15:
                fields["lead_type"] = "existing_customer"
        if channel == "partner" and rng.random() < 0.1:
            fields["lead_type"] = "partner"
        employees = fields.get("employee_count")
        team = ENTERPRISE if employees and employees >= 1000 else MIDMARKET if employees and employees >= 100 else SDR
        return Profile(email, fields, account, channel, team, fit_score(fields, free), free, student)

    # -- time

    def work_time(self, at: dt.datetime, username: str) -> dt.datetime:
        """The next moment inside the person's working day (08:00-18:00 at their standard UTC offset)."""
        offset = PEOPLE_BY_NAME[username].offset
        local = at + offset
        if 8 <= local.hour < 18:
            return at
        day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(8), dt.UTC) + self.rng.randint(0, 100) * MINUTE
        return start - offset

    def on_leave(self, username: str, at: dt.datetime) -> dt.datetime | None:
        """When the person is back, if they are on leave at ``at``."""
        for start, end in self.leave.get(username, []):
            if start <= at < end:
                return end
        return None

    def available(self, username: str, at: dt.datetime) -> str | None:
        """Why the rep cannot take a lead at ``at`` (a routing skip reason), or None: they can."""
        if username in self.left and at >= self.left[username]:
            return "inactive"
        if self.on_leave(username, at):
            return "out_of_office"
        return None

    def candidate(self, username: str, at: dt.datetime, *, via: str, skipped: str | None = None,
                  chosen: bool = False) -> dict[str, Any]:
        """A ledger candidate by username (``ledger_candidates`` adds ids, weights and local time on writing)."""
        entry: dict[str, Any] = {"username": username, "via": via, "skipped": skipped, "chosen": chosen}
        back = self.on_leave(username, at)
        if back is not None:
            entry["away_until"] = back.isoformat()
        return entry

    # -- routing (what the routing app's weighted round robin decides)

    def route(self, prof: Profile, at: dt.datetime, *, forced: str | None, queue: bool,
              reliable: bool) -> dict[str, Any]:
        team = prof.team
        rule = {ENTERPRISE: "Enterprise: 1,000+ employees", MIDMARKET: "Mid-market: 100-999 employees",
                SDR: "SMB and unknown size: SDR team"}[team]
        candidates: list[dict[str, Any]] = []
        owner = prof.account.owner if prof.account else None
        if owner and not queue and not forced:
            why = self.available(owner, at)
            if why is None and not (reliable and owner == "hannah"):
                return {"rep": owner, "team": team, "method": AssignmentMethod.ACCOUNT_MATCH, "rule": "",
                        "candidates": [self.candidate(owner, at, via="account_owner", chosen=True)]}
            if why:
                candidates.append(self.candidate(owner, at, via="account_owner", skipped=why))
        eligible: list[tuple[str, float]] = []
        for person in self.reps[team]:
            why = self.available(person.username, at)
            if why is None and queue:
                why = "at_capacity"
            candidates.append(self.candidate(person.username, at, via="team", skipped=why))
            if why is None and (not reliable or person.username not in ("hannah", *DEPARTED)):
                eligible.append((person.username, person.weight))
        if queue or (not eligible and not forced):
            return {"rep": None, "team": team, "method": AssignmentMethod.QUEUE, "rule": rule, "candidates": candidates}
        chosen = forced or weighted(self.rng, eligible)
        for candidate in candidates:
            if candidate["username"] == chosen and candidate["via"] == "team":
                candidate["chosen"] = True
        return {"rep": chosen, "team": team, "method": AssignmentMethod.ROUND_ROBIN, "rule": rule,
                "candidates": candidates}

    def pick_rep(self, team: str, at: dt.datetime, *, besides: str | None = None) -> str:
        pool = [(p.username, p.weight) for p in self.reps[team]
                if p.username != besides and p.username not in ("hannah", *DEPARTED) and self.available(p.username, at)
                is None]
        return str(weighted(self.rng, pool))

    # -- campaigns

    def campaign_at(self, channel: str, at: dt.datetime) -> CampaignSpec | None:
        live = [c for c in self.campaigns if c.channel == channel and c.lead_window(self.base)[0] <= at
                <= c.lead_window(self.base)[1] + DAY]
        return self.rng.choice(live) if live else None

    def event_campaign(self, kind: str, at: dt.datetime) -> CampaignSpec | None:
        channel = {"email_open": "email", "email_click": "email", "webinar_attended": "webinar",
                   "content_download": "content"}.get(kind)
        return self.campaign_at(channel, at) if channel else None
