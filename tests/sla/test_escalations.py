"""The escalation ladder (weekly compliance per team and side) and the marketing SLAs / sales obligations."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core import mail

from leadops.events import recent
from leadops.roles import Role
from lifecycle.models import Lead, MarketingEvent, StageTransition
from sla.models import Escalation, MqlTarget, Notification, OutboundEvent, SlaClock, SlaPolicy
from sla.selectors.metrics import marketing_slas, sales_obligations
from sla.services.escalations import escalation_review
from tests.conftest import T0
from tests.leadops.factories import UserFactory
from tests.sla.conftest import H

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 9)  # ISO week 2026-W46, the last complete week at T0
_cycle = itertools.count()


def week(n_back: int) -> dt.date:
    return MONDAY - dt.timedelta(days=7 * n_back)


def clocks_due(team, monday: dt.date, *, met: int, breached: int, kind: str = "first_contact") -> None:
    """Clocks of ``team`` due on the Wednesday of the week starting ``monday``, met or breached."""
    lead = Lead.objects.create(email=f"ladder{next(_cycle)}@x.example", stage="sal", team=team)
    policy = SlaPolicy.objects.get(kind=kind, active=True)
    due = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)
    SlaClock.objects.bulk_create([
        SlaClock(lead=lead, policy=policy, kind=kind, policy_version=1, cycle=i, started_at=due - 24 * H, due_at=due,
                 warn_at=due - 6 * H, accountable="rep", team=team, status="breached" if i < breached else "met",
                 breached_at=due if i < breached else None, stopped_at=None if i < breached else due - H)
        for i in range(met + breached)])


def open_escalations():
    return list(Escalation.objects.filter(closed_at__isnull=True).values_list("team__name", "side", "level"))


def test_one_week_under_target_opens_level_one_with_evidence_notified_once(org, clock,
                                                                         django_capture_on_commit_callbacks):
    UserFactory(username="vp", role=Role.LEADERSHIP)
    clocks_due(org.east, week(0), met=8, breached=2)  # 80 % < 90 %
    clocks_due(org.west, week(0), met=10, breached=0)
    clocks_due(org.east, week(0), met=1, breached=0, kind="routing")  # marketing side of East: fine
    with django_capture_on_commit_callbacks(execute=True):
        outcome = escalation_review()
    assert outcome.week == MONDAY
    assert open_escalations() == [("Sales East", "sales", 1)]
    [e] = outcome.opened
    assert (e.compliance, e.target, e.weeks_under) == (0.8, 0.9, 1)
    assert e.evidence["weeks"][0] == {"week": "2026-W46", "start": "2026-11-09", "met": 8, "breached": 2,
                                      "compliance": 0.8}
    assert len(e.evidence["breached_clocks"]) == 2
    assert sorted(Notification.objects.filter(escalation=e).values_list("recipient__username", flat=True)) == [
        "mgr_east", "mops"]  # level 1: marketing ops and the team's (sales ops) manager
    assert OutboundEvent.objects.filter(event="escalation.opened", key=f"escalation:{e.pk}").count() == 1
    assert recent("escalation.opened")[-1].data["level"] == 1
    assert sorted(m.to[0] for m in mail.outbox if "Escalation level 1" in m.subject) == ["mgr_east@example.com",
                                                                                         "mops@example.com"]
    assert escalation_review().opened == []  # the same week again: nothing more
    assert Notification.objects.filter(escalation=e).count() == 2


def test_four_weeks_raise_to_level_two_and_eight_to_level_three(org, clock):
    for n in range(8):
        clocks_due(org.east, week(n), met=1, breached=1)
    leader = UserFactory(username="vp", role=Role.LEADERSHIP)
    escalation_review(week=week(5))  # a run of 3 weeks so far
    assert open_escalations() == [("Sales East", "sales", 1)]
    escalation_review(week=week(4))  # 4 weeks
    assert open_escalations() == [("Sales East", "sales", 2)]
    level2 = Escalation.objects.get(level=2)
    assert Escalation.objects.get(level=1).close_reason == "raised"
    assert leader.notifications.filter(escalation=level2).exists()
    escalation_review()  # 8 weeks: two months
    assert open_escalations() == [("Sales East", "sales", 3)]
    assert Escalation.objects.get(level=3).weeks_under == 8


def test_a_week_at_target_closes_the_escalation(org, clock):
    clocks_due(org.east, week(1), met=1, breached=1)
    escalation_review(week=week(1))
    clocks_due(org.east, week(0), met=9, breached=1)  # 90 %: at target
    outcome = escalation_review()
    assert [e.close_reason for e in outcome.closed] == ["recovered"] and open_escalations() == []


def test_a_week_without_clocks_changes_nothing(org, clock):
    clocks_due(org.east, week(1), met=0, breached=3)
    escalation_review(week=week(1))
    assert escalation_review().opened == [] and open_escalations() == [("Sales East", "sales", 1)]


def test_most_teams_at_level_two_open_a_company_wide_level_three(org, clock):
    for n in range(4):
        clocks_due(org.east, week(n), met=0, breached=1)
        clocks_due(org.west, week(n), met=0, breached=1)
    escalation_review()
    assert set(open_escalations()) == {(None, "sales", 3), ("Sales East", "sales", 2), ("Sales West", "sales", 2)}
    company = Escalation.objects.get(team=None)
    assert company.evidence["teams_at_level_2"] == sorted([org.east.pk, org.west.pk])
    assert Notification.objects.filter(escalation=company, recipient__username="mops").exists()


# --- marketing SLAs and sales obligations ------------------------------------------------------------------


def test_monthly_marketing_slas_and_sales_obligations(org, walker, clock):
    month = dt.date(2026, 11, 1)
    MqlTarget.objects.create(team=None, month=month, target=3)
    complete = walker.mql(title="VP Sales")  # company + title; source and history below
    Lead.objects.filter(pk=complete.pk).update(source="webinar")
    MarketingEvent.objects.create(lead=complete, type="webinar_attended", occurred_at=T0 - H)
    incomplete = walker.mql()
    third = walker.mql(title="CTO")
    for lead in (complete, incomplete, third):
        walker.assign(lead)
    walker.accept(complete)
    walker.qualify(Lead.objects.get(pk=complete.pk))
    walker.reject(Lead.objects.get(pk=incomplete.pk), "duplicate")
    walker.reject(Lead.objects.get(pk=third.pk), "wrong_title")
    marketing = {m.name: m for m in marketing_slas(month=month)}
    assert (marketing["mql_volume"].value, marketing["mql_volume"].status) == (3, "ok")
    assert (marketing["lead_quality"].value, marketing["lead_quality"].status) == (round(1 / 3, 4), "ok")
    assert (marketing["data_completeness"].numerator, marketing["data_completeness"].denominator) == (1, 3)
    assert marketing["data_completeness"].status == "below"
    assert marketing["routing"].value == 1.0  # all three assigned within five minutes
    sales = {m.name: m for m in sales_obligations(month=month, team=org.east)}
    assert (sales["acceptance"].value, sales["acceptance"].status) == (round(1 / 3, 4), "flagged")
    assert StageTransition.objects.filter(to_stage="mql").count() == 3
