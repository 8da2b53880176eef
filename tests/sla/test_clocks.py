"""Scenario tests: leads walked through the real services with the frozen clock (T0 = Monday 2026-11-16
09:00 UTC), each step committed so its after-commit reactions run; the sweep run where time passes.
Every policy: met, breached, met late, cancelled, re-targeted, override."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from leadops.events import recent
from leadops.models import User
from lifecycle import selectors as lifecycle_selectors
from lifecycle.models import Lead, TouchChannel
from lifecycle.services import touch_log
from sla.models import Cause, ClockStatus, Notification, OutboundEvent, SlaClock, SlaPolicy
from sla.services import clocks_recalculate, policy_update
from tests.conftest import T0
from tests.sla.conftest import D, H, M, away, clock_of, clocks_of, notified

pytestmark = pytest.mark.django_db
SEC = dt.timedelta(seconds=1)
S30 = 30 * SEC


# --- first contact --------------------------------------------------------------------------------------


def test_first_contact_starts_at_receipt_and_is_met_by_the_first_attempt(org, walker, clock):
    lead = walker.mql()
    clock.shift(10 * M)
    lead = walker.assign(lead)
    fc = clock_of(lead, "first_contact")
    assert (fc.started_at, fc.due_at, fc.warn_at) == (T0 + 10 * M, T0 + 10 * M + 24 * H, T0 + 10 * M + 18 * H)
    assert (fc.accountable, fc.accountable_user, fc.team) == ("rep", org.rep_east, org.east)
    assert fc.policy.version == fc.policy_version == 1
    clock.shift(3 * H)
    walker.touch(lead, at=T0 + 2 * H)  # logged an hour after the call: the call's time counts
    fc.refresh_from_db()
    assert (fc.status, fc.stopped_at, fc.stop_reason) == (ClockStatus.MET, T0 + 2 * H, "attempt")


def test_a_touch_that_is_not_an_attempt_does_not_stop_first_contact(org, walker, clock):
    TouchChannel.objects.update_or_create(code="note", defaults={"label": "Note", "counts_as_attempt": False})
    lead = walker.assign(walker.mql())
    clock.shift(H)
    walker.run(touch_log, lead_id=lead.pk, rep=org.rep_east, channel="note", outcome="attempted", occurred_at=T0)
    assert clock_of(lead, "first_contact").status == ClockStatus.RUNNING


def test_first_contact_warns_the_owner_then_breaches_to_owner_and_manager_once(org, walker, clock, sweep):
    User.objects.filter(pk=org.rep_east.pk).update(email="rep_east@example.com")
    lead = walker.assign(walker.mql())  # first contact and the SAL review both run 24 h from T0
    fc = clock_of(lead, "first_contact")
    clock.shift(17 * H + 59 * M)
    assert sweep().warned == 0
    clock.shift(M)
    assert sweep().warned == 2
    fc.refresh_from_db()
    assert fc.status == ClockStatus.RUNNING and fc.at_risk and fc.warned_at == T0 + 18 * H and fc.warn_notified
    assert notified(fc, "sla.at_risk") == ["rep_east"]
    assert sweep().warned == 0  # once
    clock.shift(6 * H + S30)  # 30 s past due
    assert sweep().breached == 2
    fc.refresh_from_db()
    assert (fc.status, fc.breached_at, fc.cause, fc.breach_notified) == (
        ClockStatus.BREACHED, T0 + 24 * H + S30, Cause.REP, True)
    assert notified(fc, "sla.breached") == ["mgr_east", "rep_east"]
    assert sorted(m.to[0] for m in mail.outbox if "breached: first contact" in m.subject) == [
        "mgr_east@example.com", "rep_east@example.com"]
    assert OutboundEvent.objects.filter(event="sla.breached", key=f"clock:{fc.pk}").count() == 1
    assert fc.pk in [e.data["id"] for e in recent("sla.breached")]
    assert sweep().breached == 0
    assert Notification.objects.filter(clock=fc).count() == 3
    assert Notification.objects.filter(clock=fc, email_status="sent").count() == 3


def test_a_breached_first_contact_met_late_keeps_its_breach_with_a_stop_time(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(25 * H)
    sweep()
    clock.shift(H)
    walker.touch(lead)
    fc = clock_of(lead, "first_contact")
    assert (fc.status, fc.stopped_at, fc.stop_reason) == (ClockStatus.BREACHED, T0 + 26 * H, "attempt")
    assert Notification.objects.filter(clock=fc, kind="sla.breached").count() == 2


def test_met_late_before_any_sweep_is_a_breach_notified_once(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(25 * H)
    walker.touch(lead)
    fc = clock_of(lead, "first_contact")
    assert (fc.status, fc.breached_at, fc.stopped_at) == (ClockStatus.BREACHED, T0 + 25 * H, T0 + 25 * H)
    assert notified(fc, "sla.breached") == ["mgr_east", "rep_east"]
    sweep()
    assert Notification.objects.filter(clock=fc).count() == 2


def test_a_reassignment_does_not_restart_first_contact_but_moves_who_answers(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(3 * H)
    walker.assign(lead, org.rep_east2)
    fc = clock_of(lead, "first_contact")
    assert SlaClock.objects.filter(lead=lead, kind="first_contact").count() == 1
    assert (fc.started_at, fc.due_at, fc.accountable_user) == (T0, T0 + 24 * H, org.rep_east2)
    clock.shift(22 * H)
    sweep()
    assert notified(clock_of(lead, "first_contact"), "sla.breached") == ["mgr_east", "rep_east2"]


def test_high_intent_first_contact_is_four_hours(org, walker, clock):
    lead = walker.lead()
    lead = walker.demo_request(lead)  # scoring: a high-intent event makes the lead MQL at once
    assert lead.stage == "mql" and lead.high_intent
    lead = walker.assign(lead)
    fc = clock_of(lead, "first_contact")
    assert (fc.high_intent, fc.due_at) == (True, T0 + 4 * H)
    assert fc.explanation["rule"] == "high_intent" and fc.explanation["business_duration"] == "PT4H"


def test_a_high_intent_request_retargets_a_running_standard_clock(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    fc = clock_of(lead, "first_contact")
    assert fc.due_at == T0 + 24 * H
    clock.shift(2 * H)
    walker.demo_request(lead)
    fc.refresh_from_db()
    assert (fc.due_at, fc.warn_at, fc.high_intent) == (T0 + 6 * H, T0 + 4 * H + 30 * M, True)
    assert fc.retarget_request_at == T0 + 2 * H and fc.explanation["rule"] == "high_intent_request"
    assert fc.events.filter(kind="retargeted").count() == 1
    clock.shift(4 * H)  # T0 + 6h: due
    assert sweep().breached == 1


def test_a_late_high_intent_request_never_pushes_the_due_time_out(org, walker, clock):
    lead = walker.assign(walker.mql())
    clock.shift(22 * H)
    walker.demo_request(lead)
    fc = clock_of(lead, "first_contact")
    assert fc.due_at == T0 + 24 * H and not fc.events.filter(kind="retargeted").exists()


def test_first_contact_is_cancelled_when_the_lead_is_rejected(org, walker, clock):
    lead = walker.assign(walker.mql())
    clock.shift(H)
    walker.reject(lead)
    assert (clock_of(lead, "first_contact").status, clock_of(lead, "first_contact").stopped_at) == (
        ClockStatus.CANCELLED, T0 + H)
    assert clock_of(lead, "sal_review").status == ClockStatus.MET


def test_causes_out_of_office_and_missing_contact_data(org, walker, clock, sweep):
    away(org.rep_east, T0 + 2 * H, T0 + 3 * D)
    ooo = walker.assign(walker.mql())
    no_phone = walker.assign(walker.mql(phone=""), org.rep_east2)
    clock.shift(25 * H)
    sweep()
    assert clock_of(ooo, "first_contact").cause == Cause.OUT_OF_OFFICE
    assert clock_of(no_phone, "first_contact").cause == Cause.DATA


# --- routing and SAL review ----------------------------------------------------------------------------------


def test_routing_is_marketings_clock_breached_when_nobody_takes_the_lead(org, walker, clock, sweep):
    lead = walker.mql()  # no routing rule matches: the lead waits unassigned
    routing = clock_of(lead, "routing")
    assert (routing.due_at, routing.accountable, routing.team) == (T0 + 5 * M, "marketing_ops", org.marketing)
    clock.shift(3 * M + 45 * SEC)
    sweep()
    assert notified(routing, "sla.at_risk") == ["mops"]
    clock.shift(75 * SEC)
    sweep()
    routing.refresh_from_db()
    assert (routing.status, routing.cause) == (ClockStatus.BREACHED, Cause.ROUTING)
    assert notified(routing, "sla.breached") == ["mops"]
    clock.shift(10 * M)
    lead = walker.assign(lead)
    routing.refresh_from_db()
    assert (routing.status, routing.stopped_at) == (ClockStatus.BREACHED, T0 + 15 * M)
    assert clock_of(lead, "first_contact").started_at == T0 + 15 * M  # reps are not blamed for routing delay


def test_a_lead_routed_at_once_meets_routing_and_starts_first_contact(org, walker, clock):
    from routing.services import routing_rule_create

    routing_rule_create(name="Everyone to East", target_team=org.east, is_default=True)
    lead = walker.mql()  # routing assigns inside the MQL's after-commit work, before the SLA reacts to the MQL
    assert lead.owner in (org.rep_east, org.rep_east2)
    kinds = {k: (c.status, c.started_at, c.stopped_at) for k, c in clocks_of(lead).items()}
    assert kinds == {"sal_review": ("running", T0, None), "routing": ("met", T0, T0),
                     "first_contact": ("running", T0, None)}
    assert clock_of(lead, "first_contact").accountable_user == lead.owner
    assert clock_of(lead, "sal_review").team == org.east


def test_routing_is_met_by_the_assignment_and_cancelled_by_an_early_rejection(org, walker, clock):
    lead = walker.mql()
    clock.shift(2 * M)
    lead = walker.assign(lead)
    routing = clock_of(lead, "routing")
    assert (routing.status, routing.stopped_at, routing.stop_reason) == (ClockStatus.MET, T0 + 2 * M, "assigned")
    other = walker.mql()
    Lead.objects.filter(pk=other.pk).update(team=org.east)  # in the east queue, so its manager may reject it
    walker.reject(other, "duplicate")
    assert clock_of(other, "routing").status == ClockStatus.CANCELLED


def test_sal_review_met_on_accept_and_on_reject_breached_when_late(org, walker, clock, sweep):
    accepted = walker.assign(walker.mql())
    rejected = walker.assign(walker.mql())
    late = walker.assign(walker.mql())
    assert clock_of(late, "sal_review").team == org.east  # the team whose manager reviews
    clock.shift(2 * H)
    walker.accept(accepted)
    walker.reject(rejected, "duplicate")
    assert clock_of(accepted, "sal_review").stop_reason == "accept"
    assert clock_of(rejected, "sal_review").status == ClockStatus.MET
    clock.shift(23 * H)
    sweep()
    review = clock_of(late, "sal_review")
    assert (review.status, review.cause) == (ClockStatus.BREACHED, Cause.MANAGER)
    assert notified(review, "sla.breached") == ["mgr_east"]


# --- touch cadence and disposition --------------------------------------------------------------------------


def test_cadence_and_disposition_start_at_sal_and_are_met_at_sql(org, walker, clock):
    lead = walker.sal()
    cadence, disposition = clock_of(lead, "touch_cadence"), clock_of(lead, "disposition")
    assert cadence.due_at == disposition.due_at == T0 + 14 * D
    assert cadence.accountable_user == org.rep_east
    clock.shift(3 * D)
    walker.qualify(lead)
    assert clock_of(lead, "touch_cadence").status == ClockStatus.MET
    assert (clock_of(lead, "disposition").status, clock_of(lead, "disposition").stop_reason) == (
        ClockStatus.MET, "sql")


def test_cadence_is_met_by_the_sixth_attempt_at_its_time(org, walker, clock):
    lead = walker.sal()
    for day in range(1, 7):
        clock.shift(D)
        lead = walker.touch(lead, at=T0 + day * D - H)
    cadence = clock_of(lead, "touch_cadence")
    assert (cadence.status, cadence.stopped_at, cadence.stop_reason) == (ClockStatus.MET, T0 + 6 * D - H, "attempts")
    assert clock_of(lead, "disposition").status == ClockStatus.RUNNING


def test_cadence_and_disposition_breach_at_day_fourteen(org, walker, clock, sweep):
    lead = walker.sal()
    walker.touch(lead)
    clock.shift(14 * D)
    assert sweep().breached == 2
    assert {k: c.status for k, c in clocks_of(lead).items() if k in ("touch_cadence", "disposition")} == {
        "touch_cadence": "breached", "disposition": "breached"}
    walker.recycle(lead)  # a disposition after the breach: met late, still breached
    assert clock_of(lead, "disposition").stopped_at == T0 + 14 * D
    assert clock_of(lead, "touch_cadence").status == ClockStatus.BREACHED


def test_recycling_cancels_the_cadence_and_meets_the_disposition(org, walker, clock):
    lead = walker.sal()
    clock.shift(2 * D)
    walker.recycle(lead)
    assert clock_of(lead, "touch_cadence").status == ClockStatus.CANCELLED
    assert clock_of(lead, "disposition").status == ClockStatus.MET


def test_a_cadence_override_is_a_breach_at_once(org, walker, clock):
    lead = walker.sal()
    walker.touch(lead)
    clock.shift(D)
    walker.disqualify(lead, "unresponsive", override=True)
    cadence = clock_of(lead, "touch_cadence")
    assert (cadence.status, cadence.cause, cadence.breached_at, cadence.stopped_at) == (
        ClockStatus.BREACHED, Cause.OVERRIDE, T0 + D, T0 + D)
    assert notified(cadence, "sla.breached") == ["mgr_east", "rep_east"]
    assert clock_of(lead, "disposition").status == ClockStatus.MET


def test_a_disqualification_that_needs_no_cadence_cancels_it(org, walker, clock):
    lead = walker.sal()
    clock.shift(D)
    walker.disqualify(lead, "no_budget")
    assert clock_of(lead, "touch_cadence").status == ClockStatus.CANCELLED


def test_the_cadence_policy_is_the_lifecycles_configuration(org, walker, clock):
    policy_update(policy=SlaPolicy.objects.get(kind="touch_cadence", active=True), required_attempts=2)
    assert lifecycle_selectors.cadence_required_attempts() == 2
    lead = walker.sal()
    walker.touch(lead, at=T0)
    lead = walker.touch(lead, at=T0)
    assert clock_of(lead, "touch_cadence").status == ClockStatus.MET
    lead = walker.disqualify(lead, "unresponsive", by=org.rep_east)  # no override needed at 2 of 2
    assert lead.stage == "disqualified"


# --- cycles, versions, switches, explanations -----------------------------------------------------------


def test_a_new_cycle_starts_new_clocks_and_closes_the_old(org, walker, clock):
    lead = walker.mql()
    lead = walker.assign(lead)
    lead = walker.reject(lead, "insufficient_budget")  # to nurture
    clock.shift(D)
    lead = walker.mql(lead)
    assert lead.recycle_count == 1
    kinds = sorted((c.kind, c.cycle, c.status) for c in SlaClock.objects.filter(lead=lead))
    assert kinds == [("first_contact", 0, "cancelled"), ("routing", 0, "met"), ("routing", 1, "running"),
                     ("sal_review", 0, "met"), ("sal_review", 1, "running")]


def test_editing_a_policy_changes_only_clocks_started_afterwards_until_recalculated(org, walker, clock):
    first = walker.assign(walker.mql())
    v2 = policy_update(policy=SlaPolicy.objects.get(kind="first_contact", active=True), target=8 * H)
    assert v2.version == 2 and not SlaPolicy.objects.get(kind="first_contact", version=1).active
    clock.shift(H)
    second = walker.assign(walker.mql())
    assert (clock_of(first, "first_contact").due_at, clock_of(first, "first_contact").policy_version) == (
        T0 + 24 * H, 1)
    assert (clock_of(second, "first_contact").due_at, clock_of(second, "first_contact").policy_version) == (
        T0 + 9 * H, 2)
    assert clocks_recalculate(kind="first_contact") == 1
    recalculated = clock_of(first, "first_contact")
    assert (recalculated.due_at, recalculated.policy_version) == (T0 + 8 * H, 2)
    assert recalculated.events.filter(kind="recalculated").exists()


def test_a_switched_off_policy_starts_no_clocks(org, walker, clock):
    policy_update(policy=SlaPolicy.objects.get(kind="sal_review", active=True), active=False)
    lead = walker.mql()
    assert "sal_review" not in clocks_of(lead) and "routing" in clocks_of(lead)


def test_a_policy_on_a_business_calendar_explains_its_due_time(org, walker, clock):
    from sla.services import calendar_create

    berlin = calendar_create(name="Berlin", time_zone="Europe/Berlin",
                             working_hours=[{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
                             holidays=[{"date": "2026-11-23", "name": "Team day"}])
    policy_update(policy=SlaPolicy.objects.get(kind="first_contact", active=True), calendar=berlin)
    clock.move_to(dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC))  # Friday 16:00 in Berlin
    lead = walker.assign(walker.mql())
    fc = clock_of(lead, "first_contact")
    # Fri 1 h, (weekend), Mon holiday, Tue 8 h, Wed 8 h, Thu 7 h -> Thu 16:00 Berlin
    assert fc.due_at == dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
    assert fc.explanation["holidays_skipped"] == [{"date": "2026-11-23", "name": "Team day"}]
    assert fc.explanation["time_zone"] == "Europe/Berlin" and fc.explanation["calendar"] == "Berlin"


def test_the_timeline_shows_clock_changes(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(25 * H)
    sweep()
    rows = [i for i in lifecycle_selectors.lead_timeline(lead) if i.kind == "sla_clock"]
    assert ("first_contact", "breached") in {(i.data["policy"], i.data["event"]) for i in rows}
    assert all(i.cycle == 0 for i in rows)
