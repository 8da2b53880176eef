"""The writers of the lifecycle app (see each module)."""

from lifecycle.services.activity import event_record, touch_log
from lifecycle.services.assignment import lead_assign
from lifecycle.services.deals import opportunity_update
from lifecycle.services.leads import lead_create, lead_update
from lifecycle.services.transitions import (
    Actor,
    TransitionResult,
    lead_accept,
    lead_convert,
    lead_disqualify,
    lead_promote,
    lead_qualify,
    lead_recycle,
    lead_reject,
    lead_transition,
)

__all__ = [
    "Actor", "TransitionResult", "event_record", "lead_accept", "lead_assign", "lead_convert", "lead_create",
    "lead_disqualify", "lead_promote", "lead_qualify", "lead_recycle", "lead_reject", "lead_transition",
    "lead_update", "opportunity_update", "touch_log",
]
