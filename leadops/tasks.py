"""Kernel tasks."""

from celery import shared_task

from leadops import services


@shared_task(name="leadops.tasks.heartbeat")
def heartbeat() -> str:
    """Beat's pulse: records that the scheduler and a worker are alive (shown on /healthz)."""
    return services.heartbeat_record().isoformat()
