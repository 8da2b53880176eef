"""Triggers: events and changed fields rescore a lead; the score and high-intent events make MQLs."""

from __future__ import annotations

import datetime as dt

from leadops import clock as leadops_clock
from lifecycle import services as lifecycle
from lifecycle.models import Lead, StageTransition
from scoring import services
from scoring.models import HighIntentSignal, ScoreChange, ScoreReason, SignalOutcome
from tests.lifecycle.walk import walk
from tests.scoring.conftest import GOOD_FIT, last_move


def test_a_new_lead_is_scored_from_its_facts(org, clock, make_lead):
    lead = make_lead(**GOOD_FIT)

    assert (lead.fit_score, lead.behaviour_score, lead.score) == (45, 0, 45)
    change = ScoreChange.objects.get(lead=lead)
    assert (change.old_score, change.new_score, change.fit, change.behaviour, change.reason) == (
        0, 45, 45, 0, ScoreReason.LEAD_CREATED)
    assert change.model.version == 1 and change.at == leadops_clock.now()


def test_an_event_that_crosses_the_threshold_makes_the_lead_an_mql_by_score(org, clock, make_lead, record):
    lead = make_lead(**GOOD_FIT)

    lead = record(lead, "pricing_page_view")
    assert (lead.stage, lead.score) == ("lead", 55)

    lead = record(lead, "pricing_page_view")

    assert (lead.stage, lead.score, lead.behaviour_score) == ("mql", 65, 20)
    move = last_move(lead)
    assert (move.from_stage, move.to_stage, move.trigger, move.actor_kind) == ("lead", "mql", "score", "system")
    assert "threshold 60" in move.note
    assert lead.high_intent is False


def test_a_demo_request_makes_a_lead_an_mql_at_once_whatever_the_score(org, clock, make_lead, record):
    lead = make_lead()  # fit 0
    lead = record(lead, "demo_request")

    assert lead.score == 40  # below the threshold
    assert (lead.stage, lead.high_intent) == ("mql", True)
    move = last_move(lead)
    assert (move.to_stage, move.trigger) == ("mql", "high_intent_event")
    assert "demo_request" in move.note
    assert HighIntentSignal.objects.get(lead=lead).outcome == SignalOutcome.PROMOTED


def test_a_high_intent_event_brings_a_disqualified_lead_back_in_a_new_cycle(org, clock, record):
    lead = walk(org, "disqualified")
    clock.shift(dt.timedelta(days=3))

    lead = record(lead, "contact_sales")

    assert (lead.stage, lead.high_intent, lead.recycle_count) == ("mql", True, 1)
    move = last_move(lead)
    assert (move.from_stage, move.trigger, move.cycle) == ("disqualified", "high_intent_event", 1)
    assert "contact_sales" in move.note


def test_a_high_score_alone_never_brings_back_a_disqualified_lead(org, clock, record):
    lead = walk(org, "disqualified")
    lead = Lead.objects.get(pk=lead.pk)
    for _ in range(3):
        lead = record(lead, "pricing_page_view")
    for _ in range(2):
        lead = record(lead, "webinar_attended")
    for _ in range(2):
        lead = record(lead, "content_download")

    assert lead.score == 60
    assert lead.stage == "disqualified"


def test_an_old_high_intent_event_scores_but_moves_nothing(org, clock, record):
    lead = walk(org, "disqualified")

    lead = record(lead, "demo_request", at=leadops_clock.now() - dt.timedelta(days=20))

    assert lead.stage == "disqualified"
    assert lead.behaviour_score == 25  # 40 halved after 30 days: 20 days -> 25.2
    assert HighIntentSignal.objects.get(lead=lead).outcome == SignalOutcome.IGNORED


def test_a_high_intent_event_flags_a_lead_already_in_the_funnel_without_moving_it(org, clock, record):
    lead = walk(org, "sal")
    moves = StageTransition.objects.filter(lead=lead).count()

    lead = record(lead, "demo_request")

    assert (lead.stage, lead.high_intent) == ("sal", True)
    assert StageTransition.objects.filter(lead=lead).count() == moves
    assert HighIntentSignal.objects.get(lead=lead).outcome == SignalOutcome.FLAGGED


def test_falling_below_the_threshold_never_demotes(org, clock, make_lead, record, committed):
    lead = make_lead(**GOOD_FIT)
    lead = record(lead, "pricing_page_view")
    lead = record(lead, "pricing_page_view")
    assert (lead.stage, lead.score) == ("mql", 65)

    with committed():
        lifecycle.lead_update(lead_id=lead.pk, fields={"industry": "Retail", "employee_count": 5000})
    lead = Lead.objects.get(pk=lead.pk)

    assert (lead.score, lead.stage) == (30, "mql")
    assert ScoreChange.objects.filter(lead=lead).order_by("-id").first().reason == ScoreReason.LEAD_UPDATED


def test_a_nurture_lead_returns_only_when_its_score_crosses_the_threshold_again(org, clock, record):
    lead = walk(org, "nurture")
    services.lead_rescore(lead_id=lead.pk)
    for _ in range(3):
        lead = record(lead, "pricing_page_view")
    lead = record(lead, "webinar_attended")
    lead = record(lead, "webinar_attended")
    assert (lead.score, lead.stage) == (50, "nurture")

    lead = record(lead, "content_download")
    lead = record(lead, "content_download")
    assert (lead.score, lead.stage) == (60, "mql")  # crossed from below
    assert (last_move(lead).trigger, lead.recycle_count) == ("score", 1)


def test_a_nurture_lead_above_the_threshold_does_not_bounce_back_on_more_activity(org, clock, record):
    lead = walk(org, "mql")
    for _ in range(3):
        lead = record(lead, "pricing_page_view")
    for _ in range(2):
        lead = record(lead, "webinar_attended")
    for _ in range(2):
        lead = record(lead, "content_download")
    assert lead.score == 60
    lifecycle.lead_reject(lead_id=lead.pk, actor=lifecycle.Actor.of(org.manager_east),
                          reason_code="insufficient_budget")

    lead = record(Lead.objects.get(pk=lead.pk), "email_click")

    assert (lead.score, lead.stage) == (63, "nurture")


def test_rescoring_again_is_idempotent(org, clock, make_lead, record):
    lead = make_lead(**GOOD_FIT)
    lead = record(lead, "demo_request")
    rows = ScoreChange.objects.filter(lead=lead).count()
    moves = StageTransition.objects.filter(lead=lead).count()
    event_id = HighIntentSignal.objects.get(lead=lead).event_id

    for _ in range(2):
        outcome = services.lead_rescore(lead_id=lead.pk, reason=ScoreReason.EVENT, event_id=event_id)
        assert outcome is not None and not outcome.changed and not outcome.became_mql

    assert ScoreChange.objects.filter(lead=lead).count() == rows
    assert StageTransition.objects.filter(lead=lead).count() == moves
    assert HighIntentSignal.objects.filter(lead=lead).count() == 1


def test_a_repeated_high_intent_task_does_not_act_twice_after_a_rejection(org, clock, record):
    lead = walk(org, "mql")
    lifecycle.lead_reject(lead_id=lead.pk, actor=lifecycle.Actor.of(org.manager_east), reason_code="duplicate")
    lead = record(Lead.objects.get(pk=lead.pk), "demo_request")
    assert lead.stage == "mql"
    Lead.objects.filter(pk=lead.pk).update(team=org.east)  # routed to the team's queue
    lifecycle.lead_reject(lead_id=lead.pk, actor=lifecycle.Actor.of(org.manager_east), reason_code="duplicate")
    event_id = HighIntentSignal.objects.get(lead=lead).event_id

    services.lead_rescore(lead_id=lead.pk, reason=ScoreReason.EVENT, event_id=event_id)  # redelivered task

    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"


def test_a_changed_name_does_not_rescore_but_a_changed_title_does(org, clock, make_lead, committed):
    lead = make_lead(**GOOD_FIT)

    with committed():
        lifecycle.lead_update(lead_id=lead.pk, fields={"first_name": "Robin"})
    assert ScoreChange.objects.filter(lead=lead).count() == 1

    with committed():
        lifecycle.lead_update(lead_id=lead.pk, fields={"title": "VP Marketing"})
    lead = Lead.objects.get(pk=lead.pk)

    assert (lead.score, lead.stage) == (60, "mql")  # a perfect fit reaches the threshold on its own
    assert last_move(lead).trigger == "score"


def test_the_timeline_shows_score_changes(org, clock, make_lead, record):
    lead = make_lead(**GOOD_FIT)
    lead = record(lead, "pricing_page_view")

    from lifecycle.selectors import lead_timeline

    rows = [item for item in lead_timeline(lead) if item.kind == "score"]
    assert [(r.data["old"], r.data["new"], r.data["reason"]) for r in rows] == [(0, 45, "lead_created"),
                                                                                 (45, 55, "event")]
    assert rows[1].summary.startswith("score 45 → 55 (+10")


def test_a_lead_created_with_a_demo_request_in_one_go_becomes_mql_for_the_demo(org, clock, committed):
    from tests.lifecycle.factories import LeadFactory

    with committed():  # e.g. a form post creating the lead and its event in one transaction
        lead = LeadFactory(title="CEO", **GOOD_FIT)  # fit 60: its lead.created rescore alone would say "score"
        lifecycle.event_record(lead=lead, type="demo_request", occurred_at=leadops_clock.now())
    lead = Lead.objects.get(pk=lead.pk)

    assert (lead.stage, lead.high_intent, lead.score) == ("mql", True, 100)
    assert last_move(lead).trigger == "high_intent_event"
    assert StageTransition.objects.filter(lead=lead, to_stage="mql").count() == 1


def test_a_high_intent_event_whose_task_was_lost_is_acted_on_by_the_next_rescore(org, clock):
    lead = walk(org, "disqualified")
    lifecycle.event_record(lead=lead, type="demo_request", occurred_at=leadops_clock.now())  # reactions lost
    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"
    clock.shift(dt.timedelta(hours=5))

    services.lead_rescore(lead_id=lead.pk, reason=ScoreReason.DECAY)

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.stage, lead.high_intent, last_move(lead).trigger) == ("mql", True, "high_intent_event")
