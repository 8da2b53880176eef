"""Thin Celery wrappers around ``scoring.services``: they take ids, re-read state and are idempotent.

A rescore of the same lead twice writes nothing the second time; a run step re-reads its lane's cursor
under a lock, so a step delivered twice (``acks_late``) never rescores a batch twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from scoring import selectors, services
from scoring.models import RunStatus, ScoreReason

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError,),  # the database went away for a moment: transient
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(name="scoring.tasks.rescore_lead", **TASK_OPTIONS)
def rescore_lead(lead_id: int, reason: str = ScoreReason.MANUAL, event_id: int | None = None) -> None:
    """Recompute one lead's score; ``event_id`` is the marketing event that caused it (high intent acts once)."""
    services.lead_rescore(lead_id=lead_id, reason=reason, event_id=event_id)


@shared_task(name="scoring.tasks.rescore_leads", **TASK_OPTIONS)
def rescore_leads(lead_ids: list[int], reason: str = ScoreReason.MANUAL) -> None:
    """Recompute a batch of leads (bulk upserts enqueue one per ``BATCH_SIZE`` leads, not one per lead)."""
    for lead_id in lead_ids:
        services.lead_rescore(lead_id=lead_id, reason=reason)


BATCH_SIZE = 250


def enqueue_rescore(lead_ids: list[int], reason: str) -> None:
    """Enqueue ``rescore_leads`` for ``lead_ids`` in batches of ``BATCH_SIZE``."""
    unique = list(dict.fromkeys(lead_ids))
    for start in range(0, len(unique), BATCH_SIZE):
        rescore_leads.delay(unique[start:start + BATCH_SIZE], reason)


@shared_task(name="scoring.tasks.rescore_run_step", **TASK_OPTIONS)
def rescore_run_step(run_id: int, lane: int = 0) -> None:
    """A few batches of one lane of a run, then the lane's next step is queued behind other work until the
    lane is finished (each lane of a big run is its own chain, so the run uses every worker process)."""
    services.rescore_run_step(run_id=run_id, lane=lane)
    if selectors.lane_open(run_id=run_id, lane=lane):
        rescore_run_step.delay(run_id, lane)


def start_lanes(run_id: int) -> None:
    """Queue a step for every unfinished lane of a running run (a lane stepped twice redoes nothing)."""
    for lane in selectors.open_lanes(run_id):
        rescore_run_step.delay(run_id, lane)


@shared_task(name="scoring.tasks.decay_sweep", **TASK_OPTIONS)
def decay_sweep() -> None:
    """Daily (beat): start or resume today's decay run."""
    run = services.decay_sweep_start()
    if run is not None and run.status == RunStatus.RUNNING:
        start_lanes(run.pk)


@shared_task(name="scoring.tasks.resume_stalled_runs", **TASK_OPTIONS)
def resume_stalled_runs() -> None:
    """Every few minutes (beat): re-queue runs whose worker died mid-way; they continue from their cursor."""
    for run_id in services.stalled_runs_claim():
        start_lanes(run_id)
