"""Celery tasks of routing: thin, take ids, idempotent (see services)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from routing import services
from routing.models import RouteTrigger

# Transient database trouble (a deadlock victim, a dropped connection) is retried with backoff; the beat's
# retry pass is the safety net for anything that still fails.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="routing.tasks.route_lead", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=60, max_retries=5)
def route_lead(lead_id: int) -> int | None:
    """Route a lead that just became MQL (enqueued after commit by the ``lead.mql`` event)."""
    assignment = services.lead_route(lead_id=lead_id, trigger=RouteTrigger.MQL)
    return assignment.pk if assignment is not None else None


@shared_task(name="routing.tasks.retry_queued_leads", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=60, max_retries=3)
def retry_queued_leads(team_id: int | None = None) -> dict[str, Any]:
    """Re-route queued MQLs, oldest first: every minute from the beat (all teams), and at once for one team
    when one of its reps frees up (``routing.handlers``)."""
    result = services.queued_leads_retry(team_id=team_id)
    return {"looked_at": result.looked_at, "assigned": result.assigned, "requeued": result.requeued,
            "unchanged": result.unchanged}
