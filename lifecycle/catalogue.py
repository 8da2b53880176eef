"""The default catalogues of domain.md section 4 (dispositions), the touch configuration and the lead types
(domain.md section 3).

Seeded by migrations 0002 and 0006 and re-seeded idempotently by ``ensure_defaults`` (tests that flush the
database call it); admins edit them afterwards.
"""

from __future__ import annotations

from typing import Any

# (kind, code, label, target stage, requires_cadence, returns_to_marketing)
DISPOSITIONS: list[tuple[str, str, str, str, bool, bool]] = [
    ("rejection", "wrong_company_size", "Wrong company size", "disqualified", False, False),
    ("rejection", "wrong_geography", "Wrong geography", "disqualified", False, False),
    ("rejection", "wrong_title", "Wrong title / persona", "nurture", False, True),
    ("rejection", "insufficient_budget", "Insufficient budget", "nurture", False, True),
    ("rejection", "missing_data", "Missing data", "nurture", False, True),
    ("rejection", "duplicate", "Duplicate", "disqualified", False, False),
    ("rejection", "not_a_prospect", "Not a prospect (student, competitor, spam)", "disqualified", False, False),
    ("disqualification", "not_interested", "Not interested", "disqualified", False, False),
    ("disqualification", "no_budget", "No budget", "disqualified", False, False),
    ("disqualification", "no_authority", "No authority", "disqualified", False, False),
    ("disqualification", "no_need", "No need", "disqualified", False, False),
    ("disqualification", "lost_to_competitor", "Lost to competitor", "disqualified", False, False),
    ("disqualification", "unresponsive", "Unresponsive", "disqualified", True, False),
    ("recycle", "bad_timing", "Bad timing", "nurture", False, True),
    ("recycle", "no_budget", "No budget this cycle", "nurture", False, True),
    ("recycle", "not_interested", "Not interested now", "nurture", False, True),
    ("recycle", "unresponsive", "Unresponsive", "nurture", True, True),
    ("closed_lost", "price", "Price", "nurture", False, True),
    ("closed_lost", "lost_to_competitor", "Lost to competitor", "nurture", False, True),
    ("closed_lost", "no_decision", "No decision", "nurture", False, True),
    ("closed_lost", "timing", "Timing", "nurture", False, True),
    ("closed_lost", "product_fit", "Product fit", "disqualified", False, False),
]

# (code, label, counts as attempt)
TOUCH_CHANNELS: list[tuple[str, str, bool]] = [
    ("call", "Call", True), ("email", "Email", True), ("linkedin", "LinkedIn", True),
    ("meeting", "Meeting", True), ("sms", "SMS", True), ("note", "Internal note", False),
]
# (code, label, counts as attempt, is a conversation)
TOUCH_OUTCOMES: list[tuple[str, str, bool, bool]] = [
    ("attempted", "Attempted, no answer", True, False), ("voicemail", "Left voicemail", True, False),
    ("connected", "Connected", True, True), ("replied", "Replied", True, True),
    ("meeting_booked", "Meeting booked", True, True), ("bounced", "Bounced / wrong number", True, False),
    ("logged", "Logged (no contact attempt)", False, False),
]


# (code, label): the lead types of domain.md section 3, in catalogue order; new_business is the model default
LEAD_TYPES: list[tuple[str, str]] = [
    ("new_business", "New business"), ("existing_customer", "Existing customer"), ("partner", "Partner"),
]


def ensure_lead_types(lead_type_model: Any) -> None:
    """Create the default lead types that are missing (an admin's label or retirement stays)."""
    if lead_type_model.objects.exists():
        return
    for position, (code, label) in enumerate(LEAD_TYPES):
        lead_type_model.objects.get_or_create(code=code, defaults={"label": label, "position": position})


def ensure_defaults(reason_model: Any, channel_model: Any, outcome_model: Any, lead_type_model: Any = None) -> None:
    """Create the default rows that are missing; never overwrite what an admin changed. ``lead_type_model`` is
    None in migration 0002 (the table comes with 0006)."""
    if lead_type_model is not None:
        ensure_lead_types(lead_type_model)
    if reason_model.objects.exists() and channel_model.objects.exists() and outcome_model.objects.exists():
        return
    for position, (kind, code, label, target, cadence, returns) in enumerate(DISPOSITIONS):
        reason_model.objects.get_or_create(
            kind=kind, code=code,
            defaults={"label": label, "target_stage": target, "requires_cadence": cadence,
                      "returns_to_marketing": returns, "position": position},
        )
    for code, label, counts in TOUCH_CHANNELS:
        channel_model.objects.get_or_create(code=code, defaults={"label": label, "counts_as_attempt": counts})
    for code, label, counts, connect in TOUCH_OUTCOMES:
        outcome_model.objects.get_or_create(
            code=code, defaults={"label": label, "counts_as_attempt": counts, "is_connect": connect}
        )
