"""The writers of the SLA app (see each module)."""

from sla.services.clocks import clock_cancel, clock_meet, clock_retarget, clock_start
from sla.services.notify import notification_mark_read, notifications_deliver, record_breaches, record_warnings
from sla.services.policies import (
    calendar_create,
    calendar_import_ics,
    calendar_update,
    clocks_recalculate,
    default_calendar,
    ensure_defaults,
    policy_create,
    policy_update,
)
from sla.services.sweep import SweepResult, sla_sweep

__all__ = [
    "SweepResult", "calendar_create", "calendar_import_ics", "calendar_update", "clock_cancel", "clock_meet",
    "clock_retarget", "clock_start", "clocks_recalculate", "default_calendar", "ensure_defaults",
    "notification_mark_read", "notifications_deliver", "policy_create", "policy_update", "record_breaches",
    "record_warnings", "sla_sweep",
]
