"""The lead-type catalogue: the one check every writer of a lead type calls, and its admin writers.

``lead_type_refusal`` decides whether a code may be written: it must be an active code of the catalogue
(``lifecycle.selectors.active_lead_type_codes``). The lead services (``new_lead``, ``apply_changes``: so
``lead_create``, ``lead_update`` and both paths of the bulk upsert), the routing rules (serializer and
service) and the admin forms call it, so every refusal says the same thing and lists the allowed codes.
A lead that already has a retired type keeps it: only a change to a code is checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.services import save_unique
from lifecycle import selectors
from lifecycle.models import DEFAULT_LEAD_TYPE, LeadTypeOption

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
CODE_HELP = "Lower-case letters, digits and underscores, starting with a letter; at most 24 characters."
UPDATE_FIELDS = frozenset({"label", "active", "position"})


def refusal_message(code: Any, allowed: Sequence[str]) -> str:
    return f"{code!r} is not an active lead type. Allowed: {', '.join(allowed) or 'none'}."


def lead_type_refusal(code: Any, *, field: str = "lead_type",
                      allowed: Sequence[str] | None = None) -> RuleViolation | None:
    """None if ``code`` may be written; else the 422 to raise: ``unknown_lead_type`` naming ``field`` and
    listing the allowed codes. ``allowed``: the active codes when the caller already read them (a batch)."""
    allowed = selectors.active_lead_type_codes() if allowed is None else allowed
    if code in allowed:
        return None
    message = refusal_message(code, allowed)
    return RuleViolation(f"{field}: {message}", code="unknown_lead_type",
                         details={"fields": {field: message}, "allowed": list(allowed)})


def check_lead_type(code: Any, *, field: str = "lead_type", allowed: Sequence[str] | None = None) -> None:
    refusal = lead_type_refusal(code, field=field, allowed=allowed)
    if refusal is not None:
        raise refusal


# --- the catalogue's writers (admins: the API and the admin site) ------------------------------------------


def check_option(option: LeadTypeOption) -> None:
    """The rules of a catalogue row (the API and the admin form): a code's shape, a label, the default stays."""
    if not CODE_PATTERN.match(option.code or ""):
        raise RuleViolation(f"{option.code!r} is not a lead-type code. {CODE_HELP}", code="invalid_code",
                            details={"fields": {"code": CODE_HELP}})
    if not option.label.strip():
        raise RuleViolation("A lead type needs a label.", details={"fields": {"label": "This field is required."}})
    if option.code == DEFAULT_LEAD_TYPE and not option.active:
        raise RuleViolation(f"{DEFAULT_LEAD_TYPE} is the default lead type (a lead created without one gets it); "
                            "it cannot be retired.", code="default_lead_type",
                            details={"fields": {"active": "The default lead type stays active."}})


def _save_option(option: LeadTypeOption) -> LeadTypeOption:
    return save_unique(option, LeadTypeOption.objects.filter(code=option.code), lambda _: Conflict(
        f"The lead type {option.code} already exists.", code="duplicate",
        details={"fields": {"code": "Already used by another lead type."}}))


@transaction.atomic
def lead_type_create(*, code: str, label: str, active: bool = True, position: int = 0) -> LeadTypeOption:
    """Add a lead type; the code is unique (409) and never changes afterwards."""
    option = LeadTypeOption(code=code.strip(), label=label.strip(), active=active, position=position)
    check_option(option)
    return _save_option(option)


@transaction.atomic
def lead_type_update(*, lead_type_id: int, fields: Mapping[str, Any]) -> LeadTypeOption:
    """Relabel, reorder or retire (``active`` false) / reinstate a lead type. The code cannot change."""
    unknown = sorted(set(fields) - UPDATE_FIELDS)
    if unknown:
        raise RuleViolation(f"These fields cannot be written: {', '.join(unknown)}.", code="read_only_field",
                            details={"fields": {name: "The code of a lead type cannot change." if name == "code"
                                                else "Unknown or read-only field." for name in unknown}})
    option = LeadTypeOption.objects.select_for_update().filter(pk=lead_type_id).first()
    if option is None:
        raise NotFound("No such lead type.")
    for name, value in fields.items():
        setattr(option, name, value.strip() if name == "label" else value)
    check_option(option)
    return _save_option(option)
