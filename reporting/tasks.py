"""Thin Celery wrappers over ``reporting.services`` (the beat schedule in ``leadops/celery.py``):
``forecast_snapshot`` hourly (stores the week's snapshot once: the first run of each ISO week writes it,
the others find it and change nothing), ``pulse_open`` hourly (creates the month's alignment pulse once)
and ``refresh_rollups`` every 2 minutes (the report rollups, at most 5 minutes stale)."""

from __future__ import annotations

from celery import shared_task

from leadops import clock
from reporting import services


@shared_task(name="reporting.tasks.forecast_snapshot", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def forecast_snapshot() -> str | None:
    snapshot = services.forecast_snapshot_take(now=clock.now())
    return None if snapshot is None else snapshot.week.isoformat()


@shared_task(name="reporting.tasks.pulse_open", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def pulse_open() -> str:
    return services.pulse_ensure(now=clock.now()).label


@shared_task(name="reporting.tasks.refresh_rollups", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def refresh_rollups() -> float:
    return services.rollups_refresh(now=clock.now()).seconds
