"""Lifecycle rules beyond single edges: cycles, the touch cadence, touches, accounts, the audit trail."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import ProgrammingError, connection, transaction

from leadops import events
from leadops.errors import Conflict, IllegalTransition, RuleViolation
from lifecycle import selectors, services
from lifecycle.models import Account, Lead, MarketingEvent, StageTransition
from lifecycle.services import Actor
from tests.lifecycle.walk import walk

pytestmark = pytest.mark.django_db


def log_attempts(lead, rep, n, clock):
    """n attempts in the minutes after the lead became MQL (the clock moves on an hour first)."""
    clock.shift(dt.timedelta(hours=1))
    when = Lead.objects.get(pk=lead.pk).became_mql_at
    for i in range(n):
        services.touch_log(lead_id=lead.pk, rep=rep, channel="call", outcome="attempted",
                           occurred_at=when + dt.timedelta(minutes=i))


def test_re_entering_mql_from_nurture_starts_a_new_cycle_and_keeps_the_old_one(org, clock):
    lead = walk(org, "sal")
    log_attempts(lead, org.rep_east, 2, clock)
    services.lead_recycle(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="bad_timing")
    clock.shift(dt.timedelta(days=40))
    lead = services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops)).lead
    assert lead.recycle_count == 1
    assert lead.became_mql_at is not None and lead.became_sal_at is None and lead.became_nurture_at is None
    assert lead.touch_attempts == 0 and lead.owner is None and lead.disposition is None
    history = list(StageTransition.objects.filter(lead=lead).order_by("seq").values_list("cycle", "to_stage"))
    assert history[-1] == (1, "mql")
    assert (0, "sal") in history and (0, "nurture") in history
    timeline = selectors.lead_timeline(lead)
    assert {item.cycle for item in timeline if item.kind == "transition"} == {0, 1}
    assert [i.occurred_at for i in timeline] == sorted(i.occurred_at for i in timeline)


def test_a_timeline_item_belongs_to_the_cycle_of_the_last_transition_before_it():
    def at(hour):
        return dt.datetime(2026, 1, 1, hour, tzinfo=dt.UTC)

    cycle_at = selectors.cycle_finder([(at(1), 0), (at(3), 0), (at(5), 1), (at(7), 2)])
    assert [cycle_at(at(h)) for h in (0, 1, 2, 5, 6, 9)] == [0, 0, 0, 1, 1, 2]
    # a backdated transition (history order is not time order): the last one in history order still decides
    backdated = selectors.cycle_finder([(at(1), 0), (at(5), 1), (at(3), 2)])
    assert [backdated(at(h)) for h in (0, 2, 4, 6)] == [0, 0, 2, 2]


def test_a_disqualified_lead_comes_back_only_on_a_high_intent_event(org):
    lead = walk(org, "disqualified")
    with pytest.raises(IllegalTransition):
        services.lead_transition(lead_id=lead.pk, to="mql", actor=Actor.system(), trigger="score")
    lead = services.lead_transition(lead_id=lead.pk, to="mql", actor=Actor.system(),
                                    trigger="high_intent_event").lead
    assert lead.high_intent and lead.recycle_count == 1


def test_unresponsive_needs_the_cadence_unless_a_manager_overrides(org, clock, django_capture_on_commit_callbacks):
    lead = walk(org, "sal")
    log_attempts(lead, org.rep_east, 3, clock)
    with pytest.raises(RuleViolation) as err:
        services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="unresponsive")
    assert err.value.code == "cadence_not_met" and "3 of 6 attempts" in err.value.message
    with pytest.raises(RuleViolation, match="Only a sales manager"):
        services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="unresponsive",
                                 override=True)
    assert Lead.objects.get(pk=lead.pk).stage == "sal"
    seen = []
    events.subscribe("lead.cadence_override", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(org.manager_east),
                                              reason_code="unresponsive", override=True, note="never answers")
    finally:
        events.unsubscribe("lead.cadence_override", seen.append)
    assert result.lead.stage == "disqualified" and result.transition.override is True
    assert len(seen) == 1 and seen[0].lead_id == lead.pk


def test_six_attempts_meet_the_cadence_for_the_rep(org, clock):
    lead = walk(org, "sal")
    log_attempts(lead, org.rep_east, 6, clock)
    lead.refresh_from_db()
    assert lead.touch_attempts == 6 and lead.status == "attempting"
    result = services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="unresponsive")
    assert result.lead.stage == "disqualified" and result.transition.override is False


def test_touches_count_attempts_by_configuration_and_refuse_the_future(org, clock):
    lead = walk(org, "mql")
    clock.shift(dt.timedelta(hours=2))
    services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="note", outcome="logged",
                       occurred_at=dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC))
    lead.refresh_from_db()
    assert lead.touch_attempts == 0 and lead.first_attempt_at is None
    first = dt.datetime(2026, 11, 16, 10, 30, tzinfo=dt.UTC)
    touch = services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="connected",
                               occurred_at=first)
    lead.refresh_from_db()
    assert touch.counts_as_attempt and lead.touch_attempts == 1 and lead.first_attempt_at == first
    assert lead.status == "connected"
    with pytest.raises(RuleViolation) as err:
        services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="attempted",
                           occurred_at=dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC))
    assert "occurred_at" in err.value.details["fields"]
    with pytest.raises(RuleViolation) as err:
        services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="pigeon", outcome="attempted",
                           occurred_at=first)
    assert "channel" in err.value.details["fields"]


def test_rejecting_needs_a_known_rejection_reason(org):
    lead = walk(org, "mql")
    mgr = Actor.of(org.manager_east)
    for code in ["", "bad_timing", "made_up"]:
        with pytest.raises(RuleViolation) as err:
            services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code=code)
        assert "reason" in err.value.details["fields"]
    assert Lead.objects.get(pk=lead.pk).stage == "mql"


def test_qualifying_names_the_missing_bant_fields(org):
    lead = walk(org, "sal")
    with pytest.raises(RuleViolation) as err:
        services.lead_qualify(lead_id=lead.pk, actor=Actor.of(org.rep_east),
                              bant={"budget": "yes", "authority": " ", "need": "", "timeline": "Q2"})
    assert set(err.value.details["fields"]) == {"authority", "need"}


def test_accepting_needs_an_owner_of_the_managers_teams(org):
    lead = services.lead_create(email="x@acme-widgets.example", company_name="Acme Widgets")
    services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
    Lead.objects.filter(pk=lead.pk).update(team=org.east)  # routed to the East queue, no owner yet
    with pytest.raises(RuleViolation) as err:
        services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east))
    assert "owner" in err.value.details["fields"]
    with pytest.raises(RuleViolation):
        services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east), owner=org.rep_west)
    lead = services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east), owner=org.rep_east2).lead
    assert lead.stage == "sal" and lead.owner == org.rep_east2 and lead.team == org.east


def test_a_stale_page_gets_409_and_the_fresh_stage(org):
    lead = walk(org, "mql")
    services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east))
    with pytest.raises(Conflict) as err:
        services.lead_reject(lead_id=lead.pk, actor=Actor.of(org.manager_east), reason_code="duplicate",
                             expected_stage="mql")
    assert err.value.code == "stale" and err.value.details["stage"] == "sal"


def test_closing_lost_sends_the_lead_where_the_reason_says(org):
    lead = walk(org, "opportunity")
    opp = lead.opportunities.get()
    with pytest.raises(RuleViolation):
        services.opportunity_update(opportunity_id=opp.pk, deal_stage="closed_lost")
    services.opportunity_update(opportunity_id=opp.pk, deal_stage="closed_lost", lost_reason="timing")
    lead.refresh_from_db()
    assert lead.stage == "nurture" and lead.disposition.code == "timing"
    with pytest.raises(Conflict):
        services.opportunity_update(opportunity_id=opp.pk, amount=Decimal("1"))


def test_email_is_unique_case_insensitively_and_validated(org):
    services.lead_create(email="  Jo.Smith@Example.ORG ")
    lead = Lead.objects.get()
    assert lead.email == "Jo.Smith@example.org"
    with pytest.raises(Conflict):
        services.lead_create(email="jo.smith@EXAMPLE.org")
    with pytest.raises(RuleViolation) as err:
        services.lead_create(email="not-an-email")
    assert "email" in err.value.details["fields"]


def test_accounts_match_by_domain_and_free_mail_never_makes_one(org):
    a = services.lead_create(email="ann@www.Globex.com", employee_count=120, industry="software")
    b = services.lead_create(email="bob@globex.com")
    c = services.lead_create(email="cat@gmail.com")
    assert a.account_id == b.account_id and a.account is not None
    assert Account.objects.get().domain == "globex.com" and Account.objects.get().employee_count == 120
    assert c.account_id is None and c.stage == "subscriber"
    assert a.stage == "subscriber"  # an email domain links the account but states no company or title
    d = services.lead_create(email="dan@globex.com", company_name="Globex")
    assert d.stage == "lead" and d.account_id == a.account_id  # a stated company makes a lead at once


def test_seniority_is_derived_from_the_title(org):
    cases = {"VP Marketing": "vp", "Chief Revenue Officer": "cxo", "Director of Sales": "director",
             "Sales Manager": "manager", "Account Executive": "individual", "Vice President of Sales": "vp",
             "Product Owner": "individual", "Assistant to the CEO": "individual", "Owner": "cxo",
             "Lead Generation Specialist": "individual", "Co-Founder & CTO": "cxo"}
    for title, expected in cases.items():
        assert services.lead_create(email=f"{expected}{len(title)}@corp.example", title=title).seniority == expected


def test_events_are_idempotent_per_source_and_external_id(org):
    lead = walk(org, "lead")
    when = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    e1, created1 = services.event_record(lead=lead, type="pricing_page_view", occurred_at=when, source="hubspot",
                                         external_id="evt-1")
    e2, created2 = services.event_record(lead=lead, type="pricing_page_view", occurred_at=when, source="hubspot",
                                         external_id="evt-1")
    assert created1 and not created2 and e1.pk == e2.pk
    services.event_record(lead=lead, type="pricing_page_view", occurred_at=when, source="marketo",
                          external_id="evt-1")
    assert MarketingEvent.objects.filter(lead=lead).count() == 2


def test_the_audit_trail_cannot_be_changed_or_deleted_even_directly(org):
    lead = walk(org, "sal")
    row = StageTransition.objects.filter(lead=lead).first()
    for attempt in (lambda: StageTransition.objects.filter(pk=row.pk).update(note="edited"),
                    lambda: StageTransition.objects.filter(pk=row.pk).delete()):
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            attempt()
    with connection.cursor() as cur:
        cur.execute("SELECT note FROM lifecycle_stagetransition WHERE id = %s", [row.pk])
        assert cur.fetchone()[0] == row.note


def test_reassignment_keeps_both_owners_in_the_ledger(org):
    lead = walk(org, "sal")
    services.lead_assign(lead_id=lead.pk, owner_id=org.rep_east2.pk, actor=org.manager_east, note="cover")
    lead.refresh_from_db()
    assert lead.owner == org.rep_east2
    ledger = list(lead.assignments.order_by("decided_at", "id").values_list("rep__username", "previous_rep__username"))
    assert ledger[-1] == ("rep_east2", "rep_east")
    from leadops.errors import NotFound

    with pytest.raises(NotFound):
        services.lead_assign(lead_id=lead.pk, owner_id=org.rep_west.pk, actor=org.manager_east)
    inactive = org.rep_east
    inactive.rep_profile.active = False
    inactive.rep_profile.save()
    with pytest.raises(Conflict):
        services.lead_assign(lead_id=lead.pk, owner_id=inactive.pk, actor=org.manager_east)


def test_choosing_another_owner_on_acceptance_is_in_the_ledger_and_keeps_the_receipt_time(org):
    lead = walk(org, "mql")
    assigned_at = Lead.objects.get(pk=lead.pk).assigned_at
    lead = services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east), owner=org.rep_east2).lead
    assert lead.owner == org.rep_east2 and lead.assigned_at == assigned_at
    last = lead.assignments.order_by("-id").first()
    assert (last.method, last.rep, last.previous_rep) == ("accept", org.rep_east2, org.rep_east)


def test_an_override_is_recorded_only_when_the_cadence_was_really_overridden(org, clock):
    lead = walk(org, "sal")
    log_attempts(lead, org.rep_east, 6, clock)
    result = services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(org.manager_east),
                                      reason_code="unresponsive", override=True)
    assert result.transition.override is False


def test_a_second_different_decision_on_the_same_lead_is_a_conflict(org):
    lead = walk(org, "mql")
    mgr = Actor.of(org.manager_east)
    services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code="missing_data")
    with pytest.raises(Conflict) as err:
        services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code="insufficient_budget")
    assert err.value.code == "already_in_stage"
    assert services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code="missing_data").transition is None
    assert Lead.objects.get(pk=lead.pk).disposition.code == "missing_data"


def test_touches_before_the_lead_became_mql_are_not_attempts_of_the_cycle(org, clock):
    lead = walk(org, "lead")
    services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="attempted",
                       occurred_at=dt.datetime(2026, 11, 16, 8, tzinfo=dt.UTC))
    clock.shift(dt.timedelta(hours=1))
    services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
    lead.refresh_from_db()
    assert lead.touch_attempts == 0 and lead.first_attempt_at is None


def test_recycling_an_unresponsive_lead_needs_the_cadence_or_a_managers_override(org, clock):
    lead = walk(org, "sal")
    log_attempts(lead, org.rep_east, 2, clock)
    with pytest.raises(RuleViolation, match="2 of 6 attempts"):
        services.lead_recycle(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="unresponsive")
    result = services.lead_recycle(lead_id=lead.pk, actor=Actor.of(org.manager_east), reason_code="unresponsive",
                                   override=True)
    assert result.lead.stage == "nurture" and result.transition.override is True


def test_someone_who_could_never_make_the_move_is_refused_even_when_the_lead_is_already_there(org):
    lead = walk(org, "sal")
    from leadops.errors import Forbidden

    with pytest.raises(Forbidden):
        services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.rep_east))
