"""A hand-built history for the report tests: leads, transitions (with cycles), touches, assignments,
clocks, campaigns, events and opportunities written straight to the tables, so every timestamp is exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadops import services
from lifecycle.models import (
    Campaign,
    DispositionReason,
    Lead,
    MarketingEvent,
    Opportunity,
    StageTransition,
    Touch,
    TouchChannel,
    TouchOutcome,
)
from routing.models import Assignment
from sla.models import SlaClock, SlaPolicy
from sla.services.policies import ensure_defaults


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


class History:
    def __init__(self) -> None:
        self.n = 0

    def lead(self, **fields) -> Lead:
        self.n += 1
        fields.setdefault("email", f"p{self.n}@example{self.n}.com")
        fields.setdefault("created_at", at(11, 1, 0))
        return Lead.objects.create(**fields)

    def move(self, lead: Lead, from_stage: str, to_stage: str, when: dt.datetime, cycle: int = 0,
             reason: DispositionReason | None = None) -> StageTransition:
        lead.transition_count += 1
        Lead.objects.filter(pk=lead.pk).update(transition_count=lead.transition_count)
        return StageTransition.objects.create(lead=lead, seq=lead.transition_count, cycle=cycle,
                                              from_stage=from_stage, to_stage=to_stage, actor_kind="system",
                                              reason=reason, occurred_at=when)

    def path(self, lead: Lead, stages: list[tuple[str, dt.datetime]], cycle: int = 0, start: str = "lead") -> None:
        prev = start
        for stage, when in stages:
            self.move(lead, prev, stage, when, cycle)
            prev = stage

    def touch(self, lead: Lead, rep, when: dt.datetime, cycle: int = 0, attempt: bool = True) -> Touch:
        channel, _ = TouchChannel.objects.get_or_create(code="call", defaults={"label": "Call"})
        outcome, _ = TouchOutcome.objects.get_or_create(code="attempted", defaults={"label": "Attempted"})
        return Touch.objects.create(lead=lead, rep=rep, channel=channel, outcome=outcome, occurred_at=when,
                                    counts_as_attempt=attempt, cycle=cycle)

    def assign(self, lead: Lead, rep, when: dt.datetime, cycle: int = 0) -> Assignment:
        return Assignment.objects.create(lead=lead, rep=rep, team=getattr(rep, "team", None), method="manual",
                                         cycle=cycle, decided_at=when)

    def clock(self, lead: Lead, kind: str, due: dt.datetime, status: str, *, team=None, rep=None) -> SlaClock:
        policy = SlaPolicy.objects.filter(kind=kind, active=True).first()
        assert policy is not None
        return SlaClock.objects.create(lead=lead, policy=policy, kind=kind, policy_version=policy.version,
                                       started_at=due - dt.timedelta(hours=4), due_at=due,
                                       warn_at=due - dt.timedelta(hours=1), status=status,
                                       stopped_at=None if status == "running" else due - dt.timedelta(minutes=5),
                                       breached_at=due if status == "breached" else None,
                                       accountable="rep" if rep else "team", accountable_user=rep, team=team)

    def campaign(self, name: str, channel: str, cost: str) -> Campaign:
        return Campaign.objects.create(name=name, channel=channel, cost=Decimal(cost))

    def event(self, lead: Lead, campaign: Campaign | None, when: dt.datetime) -> MarketingEvent:
        return MarketingEvent.objects.create(lead=lead, type="content_download", campaign=campaign, occurred_at=when)

    def opportunity(self, lead: Lead, amount: str, *, created: dt.datetime, stage: str = "discovery",
                    closed: dt.datetime | None = None, close_date: dt.date | None = None) -> Opportunity:
        return Opportunity.objects.create(lead=lead, name=f"Deal {lead.pk}", amount=Decimal(amount),
                                          deal_stage=stage, created_at=created, closed_at=closed,
                                          close_date=close_date or (closed.date() if closed else dt.date(2026, 12, 15)))


@pytest.fixture
def history(db) -> History:
    ensure_defaults()
    return History()


@pytest.fixture
def page_errors(page) -> list[str]:
    """``page`` signed in through the login form as a leadership user ("vp"); the list collects the page's
    uncaught JavaScript errors (a test asserts it stays empty)."""
    services.user_create(username="vp", role="leadership", password="a-long-pass-phrase-9")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("vp")
    page.get_by_label("Password").fill("a-long-pass-phrase-9")
    page.get_by_role("button", name="Sign in").click()
    return errors
