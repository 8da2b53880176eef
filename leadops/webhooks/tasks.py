"""Thin Celery wrappers of the webhook dispatcher."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from leadops.webhooks import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="webhooks.tasks.dispatch", acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def dispatch() -> dict[str, int]:
    """Every few seconds (beat): fan out the outbox and attempt the due deliveries."""
    return services.dispatch_once()


@shared_task(name="webhooks.tasks.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def deliver(delivery_id: int) -> None:
    """Attempt one delivery now (the "send test event" action); the beat's pass retries it if it fails."""
    services.delivery_attempt(delivery_id=delivery_id)
