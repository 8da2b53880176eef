"""Background rescoring: the daily decay sweep, activation of a version with progress, the dry run,
``manage.py rescore``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from leadops import clock as leadops_clock
from lifecycle.models import Lead, StageTransition
from scoring import selectors, services
from scoring.defaults import DEFAULT_MODEL
from scoring.models import RescoreRun, RunKind, RunStatus, ScoreChange, ScoreReason, ScoringModel
from tests.scoring.conftest import GOOD_FIT


def v2_rules(threshold: int = 40, **changes):
    fit = [{"name": r.name, "field": r.field, "operator": r.operator, "value": r.value, "points": r.points}
           for r in DEFAULT_MODEL.fit_rules]
    behaviour = [{"event_type": r.event_type, "points": r.points, "cap": r.cap, "half_life_days": r.half_life_days,
                  "name": r.name} for r in DEFAULT_MODEL.behaviour_rules]
    return {"threshold": threshold, "fit_rules": fit, "behaviour_rules": behaviour, **changes}


# --- the daily decay sweep -------------------------------------------------------------------------------------------


def test_the_decay_sweep_touches_only_leads_whose_score_changed(org, clock, make_lead, record):
    fading = record(make_lead(), "pricing_page_view")  # 10 points: 9.8 tomorrow, rounds to 10
    for _ in range(2):
        fading = record(fading, "pricing_page_view")  # 30 (the cap) -> 29.3 tomorrow
    steady = record(make_lead(), "email_open")  # 1 point: 0.98 tomorrow, still 1
    still = make_lead(**GOOD_FIT)  # no behaviour: nothing to decay
    clock.shift(dt.timedelta(days=1))
    before = ScoreChange.objects.count()

    run = services.decay_sweep_start()
    run = services.rescore_run_step(run_id=run.pk)

    assert (run.kind, run.status, run.done, run.changed) == (RunKind.DECAY, RunStatus.DONE, 2, 1)
    assert ScoreChange.objects.count() == before + 1
    change = ScoreChange.objects.latest("id")
    assert (change.lead_id, change.old_score, change.new_score, change.reason) == (fading.pk, 30, 29, "decay")
    assert Lead.objects.get(pk=steady.pk).score == 1
    assert Lead.objects.get(pk=still.pk).score == 45


def test_the_decay_sweep_is_resumable_and_runs_once_a_day(org, clock, make_lead, record):
    leads = [record(make_lead(), "webinar_attended") for _ in range(3)]
    clock.shift(dt.timedelta(days=10))

    run = services.decay_sweep_start()
    run = services.rescore_run_batch(run_id=run.pk, batch_size=2)  # then the worker dies
    assert (run.status, run.done, run.total, run.cursor) == (RunStatus.RUNNING, 2, 3, leads[1].pk)
    assert run.percent == pytest.approx(66.7)

    again = services.decay_sweep_start()  # the beat task the next time, or `manage.py rescore`
    assert again.pk == run.pk
    finished = services.rescore_run_step(run_id=run.pk, batch_size=2)

    assert (finished.status, finished.done, finished.changed) == (RunStatus.DONE, 3, 3)
    assert ScoreChange.objects.filter(reason=ScoreReason.DECAY).count() == 3  # each lead once
    assert services.decay_sweep_start().pk == run.pk  # the same day: nothing new to do
    assert RescoreRun.objects.filter(kind=RunKind.DECAY).count() == 1


def test_decay_never_demotes_an_mql(org, clock, make_lead, record):
    lead = make_lead(**GOOD_FIT)
    lead = record(lead, "pricing_page_view")
    lead = record(lead, "pricing_page_view")
    assert lead.stage == "mql"
    clock.shift(dt.timedelta(days=60))

    call_command("rescore", stdout=io.StringIO())

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.score, lead.stage) == (50, "mql")


def test_a_stalled_run_is_claimed_for_a_new_step(org, clock):
    run = services.rescore_all_start(background=False)
    assert services.stalled_runs_claim() == []
    clock.shift(dt.timedelta(minutes=6))

    assert services.stalled_runs_claim() == [run.pk]
    assert services.stalled_runs_claim() == []  # claimed: not handed out twice


# --- versions, activation, dry run ---------------------------------------------------------------------------------


def test_exactly_one_version_is_active(org):
    v2 = services.scoring_model_create(**v2_rules())

    assert ScoringModel.objects.filter(is_active=True).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.filter(pk=v2.pk).update(is_active=True)


def test_activation_rescores_every_lead_in_the_background_with_progress(org, clock, make_lead, committed):
    near = [make_lead(source="webinar", **GOOD_FIT) for _ in range(2)]  # 45: MQL under a threshold of 40
    make_lead(source="paid_search", **GOOD_FIT)
    low = make_lead(source="paid_search")  # 0
    v2 = services.scoring_model_create(**v2_rules(threshold=40), name="Lower bar")

    changes = ScoreChange.objects.count()
    with committed():
        job, _ = services.dry_run_start(model_id=v2.pk, actor=org.mops)
    dry = selectors.dry_run_answer(RescoreRun.objects.get(pk=job.pk))
    assert (dry["run"].status, dry["evaluated"], dry["would_become_mql"]) == (RunStatus.DONE, 4, 3)
    assert dry["by_channel"] == [{"channel": "webinar", "count": 2}, {"channel": "paid_search", "count": 1}]
    assert Lead.objects.filter(stage="mql").count() == 0  # a dry run writes nothing
    assert ScoreChange.objects.count() == changes

    with committed():
        run, started = services.scoring_model_activate(model_id=v2.pk, actor=org.mops)

    run.refresh_from_db()
    total = Lead.objects.count()
    assert started and (run.kind, run.status, run.done, run.total, run.promoted) == (
        RunKind.ACTIVATION, RunStatus.DONE, total, total, 3)
    assert ScoringModel.objects.get(is_active=True) == v2
    assert Lead.objects.get(pk=low.pk).stage == "lead"
    for lead in near:
        move = StageTransition.objects.filter(lead=lead).latest("seq")
        assert (move.to_stage, move.trigger) == ("mql", "score")
        assert "v2" in move.note


def test_activation_progress_is_visible_while_it_runs(org, clock, make_lead):
    for _ in range(3):
        make_lead()
    v2 = services.scoring_model_create(**v2_rules())

    run, _ = services.scoring_model_activate(model_id=v2.pk)  # its after-commit step never runs here
    run = services.rescore_run_batch(run_id=run.pk, batch_size=2)

    assert (run.done, run.total, run.status) == (2, Lead.objects.count(), RunStatus.RUNNING)
    assert selectors.latest_run(ScoringModel.objects.get(pk=v2.pk)) == run


def test_a_newer_activation_supersedes_a_running_one(org, clock):
    v2 = services.scoring_model_create(**v2_rules())
    v3 = services.scoring_model_create(**v2_rules(threshold=70))

    first, _ = services.scoring_model_activate(model_id=v2.pk)
    second, _ = services.scoring_model_activate(model_id=v3.pk)

    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED and second.status == RunStatus.RUNNING
    assert services.rescore_run_batch(run_id=first.pk).status == RunStatus.SUPERSEDED  # its steps stop


def test_an_invalid_stored_version_can_never_be_activated(org):
    bad = ScoringModel.objects.create(version=9, threshold=60)
    bad.fit_rules.create(name="Revenue", field="revenue", operator="equals", value=1, points=5)

    from leadops.errors import RuleViolation

    with pytest.raises(RuleViolation) as exc:
        services.scoring_model_activate(model_id=bad.pk)

    assert "fit_rules[0] ('Revenue'): unknown field 'revenue'" in exc.value.message
    assert exc.value.details["fields"] == {"fit_rules": {"0": {"field": exc.value.details["rules"][0]["message"]}}}
    assert ScoringModel.objects.get(is_active=True).version == 1


def test_a_big_run_is_split_into_lanes_that_each_finish_and_then_the_run(org, clock, make_lead, monkeypatch):
    from scoring.models import RescoreLane
    from scoring.services import runs

    monkeypatch.setattr(runs, "LEADS_PER_LANE", 2)  # 6 leads: two lanes of three ids each
    leads = [make_lead(**GOOD_FIT) for _ in range(6)]  # 45 each
    ids = sorted(lead.pk for lead in leads)
    v2 = services.scoring_model_create(**v2_rules(threshold=40))

    run, _ = services.scoring_model_activate(model_id=v2.pk)  # its after-commit steps never run here
    lanes = list(RescoreLane.objects.filter(run=run).order_by("lane").values_list("cursor", "upper"))
    assert lanes == [(ids[0] - 1, ids[2]), (ids[2], None)]

    run = services.rescore_run_batch(run_id=run.pk, lane=1, batch_size=10)  # lane 1 visits its three leads
    assert (run.done, run.promoted, run.status) == (3, 3, RunStatus.RUNNING)
    assert set(Lead.objects.filter(stage="mql").values_list("id", flat=True)) == set(ids[3:])
    run = services.rescore_run_batch(run_id=run.pk, lane=1, batch_size=10)  # finds none: lane 1 is finished
    assert run.status == RunStatus.RUNNING  # lane 0 is not
    assert selectors.open_lanes(run.pk) == [0]

    for _ in range(2):
        run = services.rescore_run_batch(run_id=run.pk, lane=0, batch_size=10)
    assert (run.status, run.done, run.total, run.promoted) == (RunStatus.DONE, 6, 6, 6)
    assert selectors.open_lanes(run.pk) == []


def test_lanes_run_to_the_end_through_the_tasks(org, clock, make_lead, committed, monkeypatch):
    from scoring.services import runs

    monkeypatch.setattr(runs, "LEADS_PER_LANE", 2)
    monkeypatch.setattr(runs, "BATCH_SIZE", 1)
    for _ in range(5):
        make_lead(**GOOD_FIT)
    v2 = services.scoring_model_create(**v2_rules(threshold=40))

    with committed():
        run, _ = services.scoring_model_activate(model_id=v2.pk)

    run.refresh_from_db()
    assert (run.status, run.done, run.promoted, run.lanes.count()) == (RunStatus.DONE, 5, 5, 2)


def test_the_dry_run_is_a_background_job_with_progress_that_writes_nothing(org, clock, make_lead):
    make_lead(source="webinar", **GOOD_FIT)  # 45: would be an MQL under a threshold of 40
    make_lead(source="webinar", stage="nurture", owner=org.rep_east, **GOOD_FIT)  # stored 45: no crossing, stays
    make_lead(source="referral")
    make_lead(source="event", stage="sal", owner=org.rep_east, **GOOD_FIT)  # past MQL: not counted
    v2 = services.scoring_model_create(**v2_rules(threshold=40))

    run, started = services.dry_run_start(model_id=v2.pk, actor=org.mops)  # its steps never run here
    assert started and (run.kind, run.status, run.total) == (RunKind.DRY_RUN, RunStatus.RUNNING, 3)
    assert services.dry_run_start(model_id=v2.pk)[0] == run  # one at a time per version

    run = services.rescore_run_batch(run_id=run.pk, batch_size=2)
    answer = selectors.dry_run_answer(run)
    assert (run.done, run.status, answer["evaluated"], answer["computed_at"]) == (2, RunStatus.RUNNING, 2, None)
    run = services.rescore_run_step(run_id=run.pk, batch_size=2)

    answer = selectors.dry_run_answer(run)
    assert (run.status, answer["evaluated"], answer["would_become_mql"]) == (RunStatus.DONE, 3, 1)
    assert answer["by_channel"] == [{"channel": "webinar", "count": 1}]
    assert Lead.objects.filter(stage="mql").count() == 0
    assert ScoreChange.objects.filter(model=v2).count() == 0
    assert ScoringModel.objects.get(is_active=True).version == 1
    assert selectors.latest_run(v2) is None  # a dry run is not the version's rollout


def test_an_invalid_version_cannot_be_dry_run(org):
    bad = ScoringModel.objects.create(version=9, threshold=60)
    bad.fit_rules.create(name="Revenue", field="revenue", operator="equals", value=1, points=5)

    from leadops.errors import RuleViolation

    with pytest.raises(RuleViolation, match="unknown field 'revenue'"):
        services.dry_run_start(model_id=bad.pk)
    assert not RescoreRun.objects.filter(kind=RunKind.DRY_RUN).exists()


# --- manage.py rescore -----------------------------------------------------------------------------------------------


def test_rescore_all_and_rescore_one_lead(org, clock, make_lead):
    lead = make_lead(**GOOD_FIT)
    Lead.objects.filter(pk=lead.pk).update(score=0, fit_score=0)  # drifted
    out = io.StringIO()

    call_command("rescore", "--all", "--batch-size", "1", stdout=out)

    assert f"{Lead.objects.count()} leads visited, 1 changed" in out.getvalue()
    assert Lead.objects.get(pk=lead.pk).score == 45
    run = RescoreRun.objects.get(kind=RunKind.FULL)
    assert (run.status, run.done) == (RunStatus.DONE, Lead.objects.count())

    Lead.objects.filter(pk=lead.pk).update(score=3)
    out = io.StringIO()
    call_command("rescore", "--lead", str(lead.pk), stdout=out)
    assert out.getvalue().strip() == f"lead {lead.pk}: 3 -> 45"
    assert leadops_clock.now() == ScoreChange.objects.latest("id").at


def test_the_beat_tasks_drive_runs_to_the_end(org, clock, make_lead, record, monkeypatch):
    from scoring import tasks
    from scoring.services import runs

    monkeypatch.setattr(runs, "BATCH_SIZE", 1)
    monkeypatch.setattr(runs, "BATCHES_PER_STEP", 2)  # several steps, each queuing the next
    for _ in range(5):
        record(make_lead(), "content_download")
    clock.shift(dt.timedelta(days=30))

    steps = []
    real_step = services.rescore_run_step
    monkeypatch.setattr(services, "rescore_run_step", lambda **kw: steps.append(kw) or real_step(**kw))

    tasks.decay_sweep.delay()

    assert len(steps) == 3  # 5 leads, 2 per step: each step queued the next
    run = RescoreRun.objects.get(kind=RunKind.DECAY)
    assert (run.status, run.done, run.changed) == (RunStatus.DONE, 5, 5)
    assert set(Lead.objects.exclude(behaviour_score=0).values_list("behaviour_score", flat=True)) == {3}

    stalled = services.rescore_all_start(background=False)
    clock.shift(dt.timedelta(minutes=10))
    tasks.resume_stalled_runs.delay()
    stalled.refresh_from_db()
    assert (stalled.status, stalled.done) == (RunStatus.DONE, Lead.objects.count())
