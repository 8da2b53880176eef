"""Kernel tasks."""

from celery import shared_task

from leadops import services


@shared_task(name="leadops.tasks.heartbeat")
def heartbeat() -> str:
    """Beat's pulse: records that the scheduler and a worker are alive (shown on /healthz)."""
    return services.heartbeat_record().isoformat()


@shared_task(name="leadops.tasks.idempotency_keys_purge", ignore_result=True)
def idempotency_keys_purge() -> int:
    """Hourly (beat): forget Idempotency-Keys older than 24 hours."""
    from leadops.api.idempotency import keys_purge

    return keys_purge()
