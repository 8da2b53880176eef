"""Taking in one marketing event from outside (``POST /events/``): find or create its lead, record it.

A repeat of an event (same ``source`` and ``external_id``) answers the stored event and creates
nothing, not even the lead an unknown email would have created. One transaction per event: a
failure leaves no half-created lead behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from leadops.errors import Conflict, NotFound, RuleViolation
from lifecycle.models import Campaign, Lead, MarketingEvent
from lifecycle.services.activity import event_record
from lifecycle.services.leads import lead_create, leads_with_email, normalise_email


@dataclass(frozen=True)
class EventIntake:
    event: MarketingEvent
    created: bool  # False: a repeat of a stored event (same source and external_id)
    lead_created: bool


def event_ingest(
    *, type: str, occurred_at: dt.datetime, lead_id: int | None = None, email: str | None = None,
    campaign: Campaign | None = None, source: str = "api", external_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> EventIntake:
    """Record an event for the lead ``lead_id`` or the lead with ``email`` (created as a new lead if unknown)."""
    if (lead_id is None) == (not email):
        raise RuleViolation("Give either lead or email.", code="validation_error",
                            details={"fields": {"lead": "Give either lead or email (exactly one)."}})
    with transaction.atomic():
        if external_id:
            existing = MarketingEvent.objects.filter(source=source, external_id=external_id).first()
            if existing is not None:
                return EventIntake(existing, created=False, lead_created=False)
        lead_created = False
        if lead_id is not None:
            lead = Lead.objects.filter(pk=lead_id).first()
            if lead is None:
                raise NotFound("No such lead.", details={"fields": {"lead": "No such lead."}})
        else:
            address = normalise_email(email or "")
            lead = leads_with_email(address).first()
            if lead is None:
                try:
                    lead = lead_create(email=address)
                    lead_created = True
                except Conflict as exc:  # created concurrently by another request
                    if exc.code != "duplicate":
                        raise
                    lead = leads_with_email(address).get()
        event, created = event_record(lead=lead, type=type, occurred_at=occurred_at, campaign=campaign,
                                      source=source, external_id=external_id, properties=properties)
    return EventIntake(event, created=created, lead_created=lead_created)
