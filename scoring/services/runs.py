"""Runs over many leads: activation rollouts, rescoring every lead, the daily decay sweep.

A ``RescoreRun`` advances in batches of ascending lead id; each batch and the run's cursor commit
together, so a run that dies resumes where it stopped, and a step delivered twice redoes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from leadops import clock, events
from leadops.errors import Conflict, NotFound
from leadops.models import User
from lifecycle.models import Lead
from scoring import selectors
from scoring.models import RescoreRun, RunKind, RunStatus, ScoreReason, ScoringModel
from scoring.services.rescoring import rescore_rows

BATCH_SIZE = 500
BATCHES_PER_STEP = 10
STALLED_AFTER = dt.timedelta(minutes=5)
REASON_OF_RUN = {RunKind.ACTIVATION: ScoreReason.ACTIVATION, RunKind.FULL: ScoreReason.FULL,
                 RunKind.DECAY: ScoreReason.DECAY}


def rescore_all_start(*, actor: User | None = None, background: bool = True) -> RescoreRun:
    """Start a rescore of every lead with the active version (``manage.py rescore --all``): handed to the
    workers, or (``background=False``) left for the caller to drive with ``rescore_run_batch``."""
    now = clock.now()
    with transaction.atomic():
        model = ScoringModel.objects.select_for_update().filter(is_active=True).first()
        if model is None:
            raise Conflict("There is no active scoring model.", code="no_active_model")
        RescoreRun.objects.filter(kind=RunKind.FULL, status=RunStatus.RUNNING).update(
            status=RunStatus.SUPERSEDED, finished_at=now)
        run = RescoreRun.objects.create(model=model, kind=RunKind.FULL, total=Lead.objects.count(), created_by=actor,
                                        started_at=now, heartbeat_at=now)
        if background:
            events.publish(events.DomainEvent("scoring.rescore_started", now, None, {"run_id": run.pk}))
    return run


def decay_sweep_start(*, now: dt.datetime | None = None) -> RescoreRun | None:
    """Today's decay run (created on the first call of the day; later calls resume it).

    It visits only leads with a non-zero behaviour score (only they can decay) and writes only those
    whose rounded scores changed. An unfinished run of an earlier day is superseded by today's.
    """
    now = now or clock.now()
    day = now.date()
    with transaction.atomic():
        model = ScoringModel.objects.filter(is_active=True).first()
        if model is None:
            return None
        RescoreRun.objects.filter(kind=RunKind.DECAY, status=RunStatus.RUNNING, day__lt=day).update(
            status=RunStatus.SUPERSEDED, finished_at=now)
        run = RescoreRun.objects.filter(kind=RunKind.DECAY, day=day).first()
        if run is None:
            try:
                with transaction.atomic():
                    run = RescoreRun.objects.create(
                        model=model, kind=RunKind.DECAY, day=day, started_at=now, heartbeat_at=now,
                        total=Lead.objects.exclude(behaviour_score=0).count())
            except IntegrityError:  # started concurrently
                run = RescoreRun.objects.get(kind=RunKind.DECAY, day=day)
    return run


def _candidates(run: RescoreRun) -> Any:
    qs = Lead.objects.filter(id__gt=run.cursor)
    if run.kind == RunKind.DECAY:
        qs = qs.exclude(behaviour_score=0)
    return qs


def rescore_run_batch(*, run_id: int, batch_size: int | None = None) -> RescoreRun:
    """Advance a run by one batch of leads (ascending id after its cursor); finishes it when none are left."""
    batch_size = batch_size or BATCH_SIZE
    now = clock.now()
    with transaction.atomic():
        run = RescoreRun.objects.select_for_update().select_related("model").filter(pk=run_id).first()
        if run is None:
            raise NotFound("No such rescore run.")
        if run.status != RunStatus.RUNNING:
            return run
        # an activation rolls out its own version; the others follow whichever version is active
        active = selectors.active_model() if run.kind != RunKind.ACTIVATION else None
        model = active or ScoringModel.objects.prefetch_related("fit_rules", "behaviour_rules").get(pk=run.model_id)
        spec = selectors.spec_of(model)
        rows = selectors.lead_rows(_candidates(run).select_for_update(of=("self",)).order_by("id")[:batch_size])
        if not rows:
            run.status = RunStatus.DONE
            run.finished_at = now
            run.total = run.done
        else:
            outcomes = rescore_rows(rows, model=model, spec=spec, now=now, reason=REASON_OF_RUN[RunKind(run.kind)])
            run.cursor = rows[-1]["id"]
            run.done += len(rows)
            run.total = max(run.total, run.done)
            run.changed += sum(1 for o in outcomes if o.changed)
            run.promoted += sum(1 for o in outcomes if o.became_mql)
        run.heartbeat_at = now
        run.save()
    return run


def rescore_run_step(*, run_id: int, batches: int | None = None, batch_size: int | None = None) -> RescoreRun:
    """Up to ``batches`` batches of a run (one task's worth of work); the caller re-enqueues if still running."""
    run = rescore_run_batch(run_id=run_id, batch_size=batch_size)
    for _ in range((batches or BATCHES_PER_STEP) - 1):
        if run.status != RunStatus.RUNNING:
            break
        run = rescore_run_batch(run_id=run_id, batch_size=batch_size)
    return run


def stalled_runs_claim(*, now: dt.datetime | None = None) -> list[int]:
    """Running runs with no batch for ``STALLED_AFTER`` (a lost worker): claim them for a new step."""
    now = now or clock.now()
    with transaction.atomic():
        ids = list(RescoreRun.objects.select_for_update(skip_locked=True)
                   .filter(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALLED_AFTER)
                   .values_list("id", flat=True))
        RescoreRun.objects.filter(pk__in=ids).update(heartbeat_at=now)
    return ids
