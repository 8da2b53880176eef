"""The breach-and-warning sweep: the only thing that notices time passing (no per-lead delayed tasks).

One sweep reads ``now`` once, then, in batches, each batch one transaction:

1. breaches: ``status = 'running' AND due_at <= now ORDER BY due_at LIMIT n FOR UPDATE SKIP LOCKED``
   (the partial index ``sla_clock_due_running``), marked breached and notified (``record_breaches``);
2. warnings: ``status = 'running' AND warned_at IS NULL AND warn_at <= now AND due_at > now`` (the partial
   index ``sla_clock_warn_pending``), marked at risk and notified (``record_warnings``).

Two sweeps at once never take the same clock (SKIP LOCKED), and a clock leaves both indexes'
conditions in the transaction that notifies it, so a clock is notified once. A sweep killed mid-batch
rolls its batch back entirely (state and notifications together); the next sweep finds those clocks
again. Last, e-mails whose after-commit send never happened are sent (``notifications_deliver``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from leadops import clock
from sla.models import ClockStatus, SlaClock
from sla.services.notify import notifications_deliver, record_breaches, record_warnings

BATCH_SIZE = 500
EMAIL_GRACE = dt.timedelta(seconds=60)


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    batches: int = 0
    emailed: int = 0
    complete: bool = True  # False when the time budget ran out with work left (the next sweep continues)


def due_clocks(now: dt.datetime) -> QuerySet[SlaClock]:
    """Running clocks past their due time, earliest first (the partial index ``sla_clock_due_running``)."""
    return SlaClock.objects.filter(status=ClockStatus.RUNNING, due_at__lte=now).order_by("due_at")


def warn_clocks(now: dt.datetime) -> QuerySet[SlaClock]:
    """Running, not yet warned clocks past their warning time (the partial index ``sla_clock_warn_pending``)."""
    return (SlaClock.objects.filter(status=ClockStatus.RUNNING, warned_at__isnull=True, warn_at__lte=now,
                                    due_at__gt=now).order_by("warn_at"))


def _due_batch(now: dt.datetime, size: int) -> list[SlaClock]:
    return list(due_clocks(now).select_for_update(skip_locked=True)[:size])


def _warn_batch(now: dt.datetime, size: int) -> list[SlaClock]:
    return list(warn_clocks(now).select_for_update(skip_locked=True)[:size])


def sla_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE, time_budget: float | None = None,
              linger: float = 0.0, deliver: bool = True) -> SweepResult:
    """Run one sweep. ``time_budget`` (seconds) stops between batches when exceeded; ``linger`` holds each
    batch's transaction open that long before committing (tests and drills use it to kill a sweep
    mid-batch)."""
    now = now or clock.now()
    started = time.monotonic()
    result = SweepResult()
    for phase in ("breach", "warn"):
        while True:
            if time_budget is not None and time.monotonic() - started > time_budget:
                result.complete = False
                return result
            with transaction.atomic():
                if phase == "breach":
                    clocks = _due_batch(now, batch_size)
                    record_breaches(clocks, now=now)
                    result.breached += len(clocks)
                else:
                    clocks = _warn_batch(now, batch_size)
                    record_warnings(clocks, now=now)
                    result.warned += len(clocks)
                if clocks and linger:
                    time.sleep(linger)
            if not clocks:
                break
            result.batches += 1
            if len(clocks) < batch_size:
                break
    # e-mail whose after-commit hand-off was lost (a crash, a broker outage): pending for a minute
    if deliver and _stale_pending(now):
        result.emailed = notifications_deliver(now=now, limit=batch_size)
    return result


def _stale_pending(now: dt.datetime) -> bool:
    from sla.models import EmailStatus, Notification

    return Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING],
                                       created_at__lte=now - EMAIL_GRACE).exists()
