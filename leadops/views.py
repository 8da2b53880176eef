"""Kernel HTML and health views."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from leadops import clock


def healthz(request: HttpRequest) -> JsonResponse:
    """Checks the database and the broker; 200 when both answer, 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from leadops.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    beat = None
    if checks["database"] == "ok":
        from leadops.models import Heartbeat

        last = Heartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
        beat = last.isoformat() if last else None
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, "last_worker_heartbeat": beat,
         "time": clock.now().isoformat()},
        status=200 if healthy else 503,
    )
