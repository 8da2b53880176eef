"""Sales touches and marketing events: the activity on a lead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from leadops import clock, events
from leadops.errors import RuleViolation
from leadops.models import User
from lifecycle.models import Campaign, Lead, LeadStatus, MarketingEvent, Touch, TouchChannel, TouchOutcome
from lifecycle.state_machine import Stage

# Inside these stages a touch moves the working status on (attempting -> connected).
WORKING_STAGES = {Stage.MQL, Stage.SAL}


def touch_log(
    *, lead_id: int, rep: User, channel: str, outcome: str, occurred_at: dt.datetime, note: str = ""
) -> Touch:
    """Log a sales touch. Publishes ``touch.logged`` (the SLA clocks listen)."""
    now = clock.now()
    if occurred_at > now + dt.timedelta(seconds=60):  # a minute of clock skew is forgiven
        raise RuleViolation("A touch cannot be in the future.", code="touch_in_future",
                            details={"fields": {"occurred_at": "Must not be in the future."}})
    channel_row = TouchChannel.objects.filter(code=channel).first()
    outcome_row = TouchOutcome.objects.filter(code=outcome).first()
    errors = {}
    if channel_row is None:
        known = ", ".join(TouchChannel.objects.values_list("code", flat=True))
        errors["channel"] = f"Unknown channel; one of: {known}."
    if outcome_row is None:
        known = ", ".join(TouchOutcome.objects.values_list("code", flat=True))
        errors["outcome"] = f"Unknown outcome; one of: {known}."
    if errors:
        raise RuleViolation("Invalid touch.", code="validation_error", details={"fields": errors})
    assert channel_row is not None and outcome_row is not None
    counts = channel_row.counts_as_attempt and outcome_row.counts_as_attempt
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        touch = Touch.objects.create(lead=lead, rep=rep, channel=channel_row, outcome=outcome_row,
                                     occurred_at=occurred_at, note=note, counts_as_attempt=counts,
                                     cycle=lead.recycle_count, created_at=now)
        # Attempts count for the current cycle only: from the moment the lead became MQL (outreach before
        # that is kept on the timeline but is neither speed to lead nor cadence).
        cycle_start = lead.became_mql_at
        in_cycle = cycle_start is not None and occurred_at >= cycle_start
        if counts and in_cycle:
            lead.touch_attempts += 1
            if lead.first_attempt_at is None or occurred_at < lead.first_attempt_at:
                lead.first_attempt_at = occurred_at
        if lead.last_touch_at is None or occurred_at > lead.last_touch_at:
            lead.last_touch_at = occurred_at
        if lead.stage in WORKING_STAGES:
            if outcome_row.is_connect:
                lead.status = LeadStatus.CONNECTED
            elif counts and lead.status == LeadStatus.NEW:
                lead.status = LeadStatus.ATTEMPTING
        lead.updated_at = now
        lead.save(update_fields=["touch_attempts", "first_attempt_at", "last_touch_at", "status", "updated_at"])
        events.publish(events.DomainEvent("touch.logged", now, lead.pk, {
            "touch_id": touch.pk, "rep": rep.pk, "counts_as_attempt": counts, "attempts": lead.touch_attempts,
            "occurred_at": occurred_at.isoformat(),
        }))
    return touch


def event_record(
    *, lead: Lead, type: str, occurred_at: dt.datetime, campaign: Campaign | None = None, source: str = "api",
    external_id: str | None = None, properties: dict[str, Any] | None = None,
) -> tuple[MarketingEvent, bool]:
    """Record a marketing event; idempotent per (source, external_id). Returns (event, created)."""
    now = clock.now()
    if external_id:
        existing = MarketingEvent.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            event = MarketingEvent.objects.create(
                lead=lead, type=type, occurred_at=occurred_at, campaign=campaign, source=source,
                external_id=external_id or None, properties=properties or {}, created_at=now,
            )
            if campaign is not None:
                Lead.objects.filter(pk=lead.pk).update(latest_campaign=campaign, updated_at=now)
                Lead.objects.filter(pk=lead.pk, first_campaign__isnull=True).update(first_campaign=campaign)
                Lead.objects.filter(pk=lead.pk, source="").update(source=campaign.channel)
            events.publish(events.DomainEvent("event.recorded", now, lead.pk, {
                "event_id": event.pk, "type": type, "occurred_at": occurred_at.isoformat()}))
    except IntegrityError:  # the same (source, external_id) arrived concurrently
        return MarketingEvent.objects.get(source=source, external_id=external_id), False
    return event, True
