"""Thin Celery wrappers (the beat schedule in ``leadops/celery.py`` runs ``sweep`` every 15 s and
``escalation_review`` weekly). Idempotent: running any of them twice changes nothing more."""

from __future__ import annotations

from celery import shared_task

from sla import services
from sla.services import escalations

SWEEP_TIME_BUDGET = 50.0  # seconds; overlapping sweeps are safe (SKIP LOCKED), so a burst is shared out


@shared_task(name="sla.tasks.sweep", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep() -> dict[str, int | bool]:
    result = services.sla_sweep(time_budget=SWEEP_TIME_BUDGET)
    return {"breached": result.breached, "warned": result.warned, "batches": result.batches,
            "emailed": result.emailed, "complete": result.complete}


@shared_task(name="sla.tasks.deliver_notifications", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_notifications(ids: list[int]) -> int:
    return services.notifications_deliver(ids)


@shared_task(name="sla.tasks.escalation_review", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def escalation_review() -> dict[str, int]:
    outcome = escalations.escalation_review()
    return {"opened": len(outcome.opened), "closed": len(outcome.closed)}
