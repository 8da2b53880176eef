"""One lead's story (``Story``): decided step by step forward in time, from its creation to today."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from leadops.demo.data import (
    ASSETS,
    BANT,
    DAY,
    EMAIL_SUBJECTS,
    ENTERPRISE,
    FIRST_EVENT,
    HIGH_INTENT,
    HOUR,
    MIDMARKET,
    MINUTE,
    MQL_THRESHOLD,
    PEOPLE_BY_NAME,
    QUALITY,
    REJECTION_NOTES,
    SDR,
    SECOND,
    SERVED_COUNTRIES,
    STALL_WINDOW,
)
from leadops.demo.gen import Gen, Profile, weighted
from leadops.demo.records import CampaignSpec, Step
from leadops.demo.scores import behaviour_score
from leadops.roles import Role
from lifecycle.models import DealStage
from lifecycle.selectors import DEFAULT_CADENCE_ATTEMPTS
from lifecycle.services.assignment import CLOSED_STAGES as NOT_ASSIGNABLE
from lifecycle.services.leads import derive_seniority
from lifecycle.state_machine import Stage


class _Stop(Exception):
    """The story reached today: what has not happened yet is not written."""


class Story:
    """One lead's life, decided step by step forward in time from ``t0``; stops at ``base``."""

    def __init__(self, g: Gen, prof: Profile, script: dict[str, Any] | None, t0: dt.datetime,
                 campaign: CampaignSpec | None = None):
        self.g, self.rng, self.prof, self.script = g, g.rng, prof, script
        self.quality = QUALITY[prof.channel]
        self.t0 = t0
        self.steps: list[Step] = []
        self.last = t0 - SECOND
        self.stage = Stage.SUBSCRIBER
        self.owner: str | None = None
        self.team: str | None = None
        self.cycle = 0
        self.attempts = 0
        self.mql_at = t0
        self.events: list[tuple[dt.datetime, str]] = []
        self.campaign = campaign
        self.deal_open = False
        self.close_date: dt.date | None = None
        self.amount = 0
        self.truncated = False
        self.won: list[tuple[dt.date, str, int]] = []

    # -- writing steps

    def add(self, at: dt.datetime, kind: str, actor: str | None = None, **args: Any) -> dt.datetime:
        at = max(at, self.last + SECOND).replace(microsecond=0)
        departed = self.g.left.get(self.owner or "")
        if departed is not None and at >= departed and self.stage not in NOT_ASSIGNABLE and self.stage not in (
                Stage.SUBSCRIBER, Stage.LEAD) and kind != "assign":
            self.handover(departed)
            at = max(at, self.last + SECOND)
        if actor == "@owner":
            actor = self.owner
        if actor in PEOPLE_BY_NAME and PEOPLE_BY_NAME[actor].role != Role.INTEGRATOR:
            back = self.g.on_leave(actor, at)
            at = self.g.work_time(back or at, actor)
        if at > self.g.base:
            raise _Stop
        self.steps.append(Step(at, kind, actor, args))
        self.last = at
        return at

    def handover(self, departed: dt.datetime) -> None:
        assert self.team is not None
        at = max(departed + self.rng.randint(60, 600) * MINUTE, self.last + MINUTE)
        rep = self.g.pick_rep(self.team, at, besides=self.owner)
        self.add(at, "assign", self.g.manager_of[self.team], rep=rep,
                 note=f"{PEOPLE_BY_NAME[self.owner or ''].first_name} moved to partner management: rebalancing.")
        self.owner = rep

    def event(self, at: dt.datetime, kind: str, campaign: CampaignSpec | None = None) -> dt.datetime:
        props: dict[str, Any] = {}
        source = "website"
        if kind == "pricing_page_view":
            props = {"page": "/pricing", "seconds_on_page": self.rng.randint(20, 240)}
        elif kind == "demo_request":
            props = {"form": "Book a demo", "page": "/demo"}
        elif kind == "contact_sales":
            props = {"form": "Contact sales", "page": "/contact"}
        elif kind == "content_download":
            props = {"asset": campaign.name.split(": ", 1)[-1] if campaign and campaign.channel == "content"
                     else self.rng.choice(ASSETS)}
        elif kind == "webinar_attended":
            source = "webinar_platform"
            props = {"webinar": campaign.name if campaign else "On-demand webinar",
                     "minutes": self.rng.randint(12, 58)}
        elif kind in ("email_open", "email_click"):
            source = "marketing_automation"
            props = {"subject": self.rng.choice(EMAIL_SUBJECTS)}
        if campaign is not None and campaign.channel == "event":
            source = "event_app"
        at = self.add(at, "event", None, type=kind, campaign=campaign.name if campaign else None, source=source,
                      properties=props)
        self.events.append((at, kind))
        return at

    def score_at(self, at: dt.datetime) -> int:
        return self.prof.fit + behaviour_score(self.events, at)

    def would_cross(self, at: dt.datetime, kind: str) -> bool:
        """Would one more event of ``kind`` at ``at`` take the lead to the MQL threshold?"""
        return self.prof.fit + behaviour_score([*self.events, (at, kind)], at) >= MQL_THRESHOLD

    def touch(self, at: dt.datetime, channel: str, outcome: str, note: str = "") -> dt.datetime:
        at = self.add(at, "touch", "@owner", channel=channel, outcome=outcome, note=note)
        if self.g.channel_counts[channel] and self.g.outcome_counts[outcome][0]:
            self.attempts += 1
        return at

    def move(self, at: dt.datetime, kind: str, target: str, actor: str | None, **args: Any) -> dt.datetime:
        at = self.add(at, kind, actor, **args)
        if target == Stage.MQL and self.stage in (Stage.NURTURE, Stage.DISQUALIFIED):
            self.cycle += 1
            self.attempts = 0
            self.owner = self.team = None
        if target == Stage.MQL:
            self.mql_at = at
        self.stage = Stage(target)
        return at

    def promote(self, at: dt.datetime, trigger: str) -> None:
        """The system makes the lead an MQL just after ``at`` (a high-intent event, or the score crossed)."""
        self.move(at + 2 * SECOND, "promote", Stage.MQL, None, to=Stage.MQL, trigger=trigger)

    # -- the story

    def spec(self, cycle: int) -> dict[str, Any] | None:
        if self.script is not None:
            cycles = self.script["cycles"]
            return cycles[cycle] if cycle < len(cycles) else None
        if cycle == 0:
            return {}
        if cycle >= 3 or self.stage == Stage.CUSTOMER:
            return None
        chance = 0.16 + 0.12 * self.quality if self.stage == Stage.NURTURE else 0.05
        return {} if self.rng.random() < chance else None

    def run(self) -> None:
        try:
            self.create()
            cycle = 0
            while (c := self.spec(cycle)) is not None:
                if not self.become_mql(cycle, c):
                    break
                self.route(c)
                verdict = self.review(c)
                if verdict == "pending":
                    break
                if verdict == "accept" and not self.work(c):
                    break
                cycle += 1
        except _Stop:
            self.truncated = True
        self.finish()

    def create(self) -> None:
        rng, prof = self.rng, self.prof
        if self.campaign is None and self.script is not None and prof.channel != "direct":
            self.campaign = self.g.campaign_at(prof.channel, self.t0)
        fields = dict(prof.fields)
        if self.campaign is None:
            fields["source"] = prof.channel
        self.add(self.t0, "create", None, email=prof.email, campaign=self.campaign.name if self.campaign else None,
                 fields=fields)
        known = bool(fields.get("company_name") or fields.get("title") or prof.account)
        self.stage = Stage.LEAD if known else Stage.SUBSCRIBER
        choices = FIRST_EVENT[prof.channel]
        via = (self.script or {"cycles": [{}]})["cycles"][0].get("mql")
        if via in ("score", "promote"):
            choices = [(k, w) for k, w in choices if k not in HIGH_INTENT] or [("content_download", 1)]
        elif via == "high_intent" and rng.random() < 0.6:
            choices = [(k, w) for k, w in choices if k in HIGH_INTENT] or [("demo_request", 1)]
        kind = weighted(rng, choices)
        self.event(self.t0 + rng.randint(0, 40) * SECOND, kind, self.campaign)

    def light_events(self, start: dt.datetime, count: int) -> dt.datetime:
        """Low-intent activity that does not cross the MQL threshold (skipped if it would)."""
        at = start
        for _ in range(count):
            at = at + self.rng.uniform(2, 25) * DAY
            kind = weighted(self.rng, [("email_open", 6), ("email_click", 2), ("content_download", 1)])
            if at > self.g.base:
                return at
            if self.would_cross(at, kind):
                continue
            at = self.event(at, kind, self.g.event_campaign(kind, at))
        return at

    def become_mql(self, cycle: int, c: dict[str, Any]) -> bool:
        rng = self.rng
        via = c.get("mql")
        at = self.last
        if cycle == 0 and self.events and self.events[0][1] in HIGH_INTENT:
            self.promote(at, "high_intent_event")
            return True
        if cycle == 0 and self.score_at(at) >= MQL_THRESHOLD:  # a perfect fit crosses on its first event
            self.promote(at, "score")
            return True
        if cycle > 0:
            at += rng.uniform(20, 60 if self.script else 140) * DAY
        if via is None:
            if cycle == 0 and self.script is None:
                engage = 0.08 + 0.32 * self.quality + self.prof.fit / 300
                if self.prof.free_mail and not self.prof.fields.get("title"):
                    engage *= 0.35
                if rng.random() >= engage:
                    self.light_events(at, rng.randint(0, 4))
                    return False
            if self.stage == Stage.DISQUALIFIED:
                via = "high_intent"
            else:
                via = weighted(rng, [("score", 78), ("high_intent", 15),
                                      ("promote", 30 if self.prof.channel == "event" else 7)])
        if via == "score":
            for _ in range(30):
                at += rng.uniform(0.3, 3 if self.script else 7) * DAY
                kind = weighted(rng, [("pricing_page_view", 4), ("webinar_attended", 1), ("content_download", 3),
                                       ("email_click", 3), ("email_open", 3)])
                at = self.event(at, kind, self.g.event_campaign(kind, at))
                if self.score_at(at) >= MQL_THRESHOLD:
                    self.promote(at, "score")
                    return True
            via = "high_intent"  # never crossed: the lead asks for a demo instead
        for _ in range(rng.randint(0, 2)):
            at += rng.uniform(0.5, 4) * DAY
            kind = weighted(rng, [("email_open", 3), ("content_download", 1)])
            if not self.would_cross(at, kind):
                at = self.event(at, kind, self.g.event_campaign(kind, at))
        if via == "promote":
            at = self.move(at + rng.uniform(1, 6) * DAY, "promote", Stage.MQL, "maya", to=Stage.MQL, trigger="",
                           note="Hot list from the event team")
            return True
        at = self.event(at + rng.uniform(0.5, 5) * DAY, rng.choice(["demo_request", "demo_request", "contact_sales"]))
        self.promote(at, "high_intent_event")
        return True

    def route(self, c: dict[str, Any]) -> None:
        at = self.last + self.rng.randint(3, 150) * SECOND
        queue = c.get("route") == "queue" or (self.script is None and self.rng.random() < 0.06)
        decision = self.g.route(self.prof, at, forced=c.get("rep"), queue=queue, reliable=self.script is not None)
        self.add(at, "route", None, **decision)
        self.owner, self.team = decision["rep"], decision["team"]
        if self.owner and (c.get("touch") or (self.script is None and self.rng.random() < 0.5)):
            self.touch(self.last + self.rng.uniform(0.2, 10) * HOUR, *self.first_touch())

    def first_touch(self) -> tuple[str, str, str]:
        return weighted(self.rng, [(("call", "attempted", "No answer"), 3),
                                    (("call", "voicemail", "Left voicemail"), 3),
                                    (("email", "attempted", "Intro email sent"), 4),
                                    (("call", "connected", "Quick intro call; wants a demo"), 2)])

    def review(self, c: dict[str, Any]) -> str:
        rng = self.rng
        verdict = c.get("review")
        if verdict is None:
            accept = 0.42 + 0.45 * self.quality + self.prof.fit / 250
            if self.prof.student or (self.prof.free_mail and not self.prof.fields.get("title")):
                accept = 0.12
            verdict = "accept" if rng.random() < accept else ("reject", self.rejection_reason())
            if self.stalls(0.05, (14 if self.owner is None else 45) * DAY):
                verdict = "pending"
        if verdict == "pending":
            return "pending"
        assert self.team is not None
        manager = self.g.manager_of[self.team]
        at = max(self.mql_at + rng.uniform(0.6, 40) * HOUR, self.last + 5 * MINUTE)
        if verdict == "accept":
            if self.owner is None:
                rep = self.g.pick_rep(self.team, at)
                at = self.add(at, "assign", manager, rep=rep, note="Picked from the team queue.")
                self.owner = rep
            self.move(at + rng.randint(1, 20) * MINUTE, "accept", Stage.SAL, manager, owner=None, note="")
            return "accept"
        code = verdict[1]
        target = self.g.reasons[("rejection", code)][0]
        self.move(at, "reject", target, manager, reason=code, note=REJECTION_NOTES.get(code, ""))
        return "reject"

    def rejection_reason(self) -> str:
        f, prof = self.prof.fields, self.prof
        weights = {"duplicate": 1.0, "insufficient_budget": 2.0, "wrong_title": 1.0, "missing_data": 0.5,
                   "wrong_company_size": 0.5, "wrong_geography": 0.2, "not_a_prospect": 0.3}
        if prof.student:
            weights["not_a_prospect"] = 12
        if not f.get("company_name"):
            weights["missing_data"] = 6
        if f.get("country") and f["country"] not in SERVED_COUNTRIES:
            weights["wrong_geography"] = 10
        if (f.get("employee_count") or 999) < 20:
            weights["wrong_company_size"] = 8
        if derive_seniority(f.get("title", "")) == "individual":
            weights["wrong_title"] = 6
        return str(weighted(self.rng, list(weights.items())))

    def attempts_until(self, at: dt.datetime, wanted: int, spacing: tuple[float, float]) -> dt.datetime:
        while self.attempts < wanted:
            at = self.touch(at + self.rng.uniform(*spacing) * DAY, *weighted(self.rng, [
                (("call", "attempted", ""), 4), (("call", "voicemail", "Left voicemail"), 3),
                (("email", "attempted", "Follow-up email"), 4), (("linkedin", "attempted", "Connection request"), 1),
            ]))
        return at

    def connect(self, at: dt.datetime) -> dt.datetime:
        return self.touch(at + self.rng.uniform(0.3, 3) * DAY, *weighted(self.rng, [
            (("call", "connected", "Discovery call: 25 min"), 4), (("email", "replied", "Replied, call booked"), 2),
            (("meeting", "meeting_booked", "Demo booked"), 3),
        ]))

    def work(self, c: dict[str, Any]) -> bool:
        """SAL onwards. True when the cycle ended in nurture or disqualified (another cycle may follow)."""
        rng = self.rng
        assert self.team is not None
        manager = self.g.manager_of[self.team]
        at = self.last
        if c.get("reassign") or (self.script is None and rng.random() < 0.03):
            at = self.add(at + rng.uniform(4, 40) * HOUR, "assign", manager, rep=self.g.pick_rep(
                self.team, at, besides=self.owner), note="Rebalancing: workload over capacity.")
            self.owner = self.steps[-1].args["rep"]
        outcome: Any = c.get("sal") or ("open" if self.stalls(0.07) else self.sal_outcome())
        if outcome == "open":
            for _ in range(rng.randint(1, 3)):
                at = self.touch(at + rng.uniform(0.3, 2) * DAY, *self.first_touch())
            return False
        if outcome == "qualify":
            at = self.attempts_until(at, self.attempts + rng.randint(0, 2), (0.3, 2.5))
            at = self.connect(at)
            at = self.move(at + rng.uniform(0.5, 6) * DAY, "qualify", Stage.SQL, "@owner",
                           bant={k: rng.choice(v) for k, v in BANT.items()})
            return self.sql(c)
        action, code = outcome
        cadence = self.g.reasons[("recycle" if action == "recycle" else "disqualification", code)][1]
        if action == "override":
            at = self.attempts_until(at, self.attempts + 2, (0.5, 2))
            self.move(at + rng.uniform(2, 6) * DAY, "disqualify", Stage.DISQUALIFIED, manager, reason=code,
                      override=True, note="Phone number invalid, emails bounce: closing out.")
            return True
        if cadence:
            at = self.attempts_until(at, DEFAULT_CADENCE_ATTEMPTS, (0.8, 2.0))
        else:
            at = self.attempts_until(at, self.attempts + rng.randint(0, 2), (0.3, 2.5))
            at = self.connect(at)
        if action == "recycle":
            self.move(at + rng.uniform(0.1, 3) * DAY, "recycle", Stage.NURTURE, "@owner", reason=code,
                      note={"bad_timing": "Revisit next quarter.", "no_budget": "No budget until next fiscal year."}
                      .get(code, ""))
        else:
            self.move(at + rng.uniform(0.1, 3) * DAY, "disqualify", Stage.DISQUALIFIED, "@owner", reason=code,
                      override=False, note="")
        return True

    def stalls(self, chance: float, window: dt.timedelta = STALL_WINDOW) -> bool:
        """Does a random story stop here, undone (an aging lead)? Only for work of the last weeks or months."""
        return self.script is None and self.g.base - self.last < window and self.rng.random() < chance

    def sal_outcome(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3 + 0.35 * self.quality:
            return "qualify"
        if roll < 0.55 + 0.3 * self.quality:
            return ("recycle", weighted(rng, [("bad_timing", 45), ("no_budget", 25), ("not_interested", 20),
                                               ("unresponsive", 10)]))
        code = weighted(rng, [("unresponsive", 30), ("not_interested", 20), ("no_need", 15), ("no_budget", 15),
                               ("no_authority", 10), ("lost_to_competitor", 10)])
        if code == "unresponsive" and rng.random() < 0.08:
            return ("override", code)
        return ("disqualify", code)

    def sql(self, c: dict[str, Any]) -> bool:
        rng = self.rng
        at = self.touch(self.last + rng.uniform(0.5, 6) * DAY, "meeting", "connected", "Discovery meeting")
        outcome: Any = c.get("sql")
        if outcome is None and self.stalls(0.08):
            outcome = "open"
        if outcome is None:
            roll = rng.random()
            outcome = ("convert" if roll < 0.62 + 0.2 * self.quality else
                       ("recycle", rng.choice(["bad_timing", "no_budget"])) if roll < 0.9 else
                       ("disqualify", rng.choice(["no_budget", "no_authority", "lost_to_competitor", "no_need"])))
        if outcome == "open":
            return False
        if outcome != "convert":
            action, code = outcome
            to = Stage.NURTURE if action == "recycle" else Stage.DISQUALIFIED
            self.move(at + rng.uniform(1, 10) * DAY, action, to, "@owner", reason=code, note="",
                      **({"override": False} if action == "disqualify" else {}))
            return True
        low, high = {ENTERPRISE: (45_000, 300_000), MIDMARKET: (12_000, 75_000), SDR: (3_000, 18_000)}[
            self.team or SDR]
        self.amount = int(round(math.exp(rng.uniform(math.log(low), math.log(high))), -2))
        at = self.last + rng.uniform(2, 14) * DAY
        self.close_date = (at + rng.randint(30, 120 if self.team == ENTERPRISE else 75) * DAY).date()
        seats = max(5, self.amount // 900)
        plan = "Enterprise" if self.amount >= 60_000 else "Business" if self.amount >= 15_000 else "Growth"
        company = self.prof.fields.get("company_name") or self.prof.fields.get("last_name") or "New logo"
        at = self.move(at, "convert", Stage.OPPORTUNITY, "@owner", amount=self.amount, close_date=self.close_date,
                       name=f"{company} - {plan} plan, {seats} seats")
        self.deal_open = True
        return self.deal(c)

    def deal(self, c: dict[str, Any]) -> bool:
        rng = self.rng
        slow = 1.5 if self.team == ENTERPRISE else 1.0
        spec: Any = c.get("deal")
        if spec is None:
            if rng.random() < 0.12 + 0.3 * self.quality:
                spec = ("won",)
            else:
                spec = ("lost", weighted(rng, [("price", 30), ("lost_to_competitor", 25), ("no_decision", 25),
                                                 ("timing", 15), ("product_fit", 5)]))
        if spec[0] != "open" and self.stalls(0.08):
            spec = ("open", weighted(rng, [("discovery", 2), ("proposal_development", 2), ("proposal_presented", 3),
                                            ("on_hold", 1)]))
        path = ["proposal_development", "proposal_presented"]
        if c.get("hold") or (spec[0] == "open" and spec[1] == "on_hold") or (
                self.script is None and rng.random() < 0.12):
            path += ["on_hold"] + (["proposal_presented"] if spec != ("open", "on_hold") else [])
        if spec[0] == "open":
            path = path[: path.index(spec[1]) + 1] if spec[1] in path else []
        elif spec[0] == "lost":
            path = path[: weighted(rng, [(0, 3), (1, 3), (2, 4)])]
        at = self.last
        for stage in path:
            at += rng.uniform(5, 20) * slow * DAY
            if stage == "proposal_presented" and rng.random() < 0.5:
                at = self.touch(at - DAY, "meeting", "connected", "Proposal walkthrough")
            amount = None
            if stage == "proposal_presented" and rng.random() < 0.35:
                amount = int(round(self.amount * rng.uniform(0.85, 1.15), -2))
                self.amount = amount
            at = self.add(at, "deal", None, deal_stage=stage, amount=amount, close_date=None, lost_reason=None)
        if spec[0] == "open":
            return False
        at = self.last + rng.uniform(5, 25) * slow * DAY
        if spec[0] == "won":
            at = self.add(at, "deal", None, deal_stage=DealStage.CLOSED_WON, close_date=at.date(), amount=None,
                          lost_reason=None)
            self.stage = Stage.CUSTOMER
            self.won.append((at.date(), self.team or SDR, self.amount))
            self.deal_open = False
            return False
        code = spec[1]
        self.add(at, "deal", None, deal_stage=DealStage.CLOSED_LOST, lost_reason=code, close_date=at.date(),
                 amount=None)
        self.stage = Stage(self.g.reasons[("closed_lost", code)][0])
        self.deal_open = False
        return True

    def finish(self) -> None:
        """Loose ends at today: a departed rep's open lead is handed over; an open deal's past close date slips."""
        try:
            departed = self.g.left.get(self.owner or "")
            if departed is not None and departed <= self.g.base and self.stage in (
                    Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY):
                self.handover(departed)
            if self.deal_open and self.close_date is not None and self.close_date < self.g.base.date():
                at = max(self.last + HOUR, self.g.base - self.rng.uniform(0.2, 4) * DAY)
                new_date = self.g.base.date() + dt.timedelta(days=self.rng.randint(10, 75))
                self.add(at, "deal", None, deal_stage=None, close_date=new_date, amount=None, lost_reason=None)
                self.close_date = new_date
        except _Stop:
            pass
