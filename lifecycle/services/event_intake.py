"""Taking in one marketing event from outside (``POST /events/``): find or create its lead, record it.

A repeat of an event (same ``source`` and ``external_id``) answers the stored event and creates
nothing, not even the lead an unknown email would have created. One transaction per event: a
failure leaves no half-created lead behind.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower

from leadops import clock, events
from leadops.errors import Conflict, DomainError, NotFound, RuleViolation
from lifecycle.models import Campaign, Lead, MarketingEvent
from lifecycle.services.activity import event_record
from lifecycle.services.leads import (
    AccountWanted,
    accounts_for_many,
    lead_create,
    leads_with_email,
    link_client,
    new_lead,
    normalise_email,
)
from lifecycle.services.rows import insert_rows


@dataclass(frozen=True)
class EventIntake:
    event: MarketingEvent
    created: bool  # False: a repeat of a stored event (same source and external_id)
    lead_created: bool


def event_ingest(
    *, type: str, occurred_at: dt.datetime, lead_id: int | None = None, email: str | None = None,
    campaign: Campaign | None = None, source: str = "api", external_id: str | None = None,
    properties: dict[str, Any] | None = None, client: Any = None,
) -> EventIntake:
    """Record an event for the lead ``lead_id`` or the lead with ``email`` (created as a new lead if unknown).
    ``client``: the API client sending it, linked to a lead it reaches by email (it sees it from then on)."""
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
                    lead = lead_create(email=address, client=client)
                    lead_created = True
                except Conflict as exc:  # created concurrently by another request
                    if exc.code != "duplicate":
                        raise
                    lead = leads_with_email(address).get()
        event, created = event_record(lead=lead, type=type, occurred_at=occurred_at, campaign=campaign,
                                      source=source, external_id=external_id, properties=properties)
        if created and email and not lead_created and client is not None:
            link_client(client, [lead.pk], now=clock.now())
    return EventIntake(event, created=created, lead_created=lead_created)


# --- a list of events (POST /events/ with up to 1,000) ---------------------------------------------------


@dataclass
class _Item:
    index: int
    values: dict[str, Any]
    key: tuple[str, str] | None = None  # (source, external_id): the idempotency key
    email: str | None = None
    lead_id: int | None = None
    event: MarketingEvent | None = None


def events_ingest_many(*, client: Any, items: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Record a list of validated events (``(index, values)``: the keys of ``event_ingest``, ``lead`` a row).

    The answers and the rows are those of ``event_ingest`` called for each item in order: a repeat of a stored
    event (or of an earlier item) answers ``existing`` and creates nothing; an unknown email creates one
    subscriber (however many items name it). Written set-based in one transaction: the stored keys, the leads
    by email, the new leads (``new_lead``, ``accounts_for_many``), the events, and the campaign columns of the
    leads in a few statements; ``event.recorded`` and ``lead.created`` published at once, so scoring rescores
    each lead once for the whole list. A conflict it cannot decide in memory (the same key or email written
    concurrently) rolls the set-based write back and records the items one by one (``event_ingest``).

    Answers in the order of ``items``: ``{"index", "status": created/existing/error, "id", "lead", "errors"}``.
    """
    answers: dict[int, dict[str, Any]] = {}
    with transaction.atomic(), events.batch():
        try:
            with transaction.atomic():
                _ingest_set(client, items, answers)
        except (IntegrityError, OperationalError):
            answers.clear()
            for index, values in items:
                answers[index] = _ingest_one(client, index, values)
    return [answers[index] for index, _ in items]


def _answer(index: int, status: str, event: MarketingEvent | None = None,
            error: DomainError | None = None) -> dict[str, Any]:
    if error is not None:
        return {"index": index, "status": "error", "id": None, "lead": None,
                "errors": {"code": error.code, "message": error.message, "details": error.details}}
    assert event is not None
    return {"index": index, "status": status, "id": event.pk, "lead": event.lead_id, "errors": None}


def _ingest_one(client: Any, index: int, values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    lead = values.pop("lead", None)
    try:
        with transaction.atomic():
            intake = event_ingest(lead_id=lead.pk if lead is not None else None, client=client, **values)
    except DomainError as exc:
        return _answer(index, "error", error=exc)
    return _answer(index, "created" if intake.created else "existing", intake.event)


def _ingest_set(client: Any, items: list[tuple[int, dict[str, Any]]], answers: dict[int, dict[str, Any]]) -> None:
    now = clock.now()
    todo: list[_Item] = []
    for index, values in items:
        item = _Item(index, dict(values))
        external_id = item.values.get("external_id")
        source = item.values.get("source") or "api"
        item.values["source"] = source
        if external_id:
            item.key = (source, external_id)
        todo.append(item)

    # 1. stored events with the same keys (one query), then repeats inside the list
    keys = {t.key for t in todo if t.key is not None}
    stored: dict[tuple[str, str], MarketingEvent] = {}
    if keys:
        for found in MarketingEvent.objects.filter(source__in={k[0] for k in keys},
                                                   external_id__in={k[1] for k in keys}).only(
                                                       "pk", "lead_id", "source", "external_id"):
            stored[(found.source, str(found.external_id))] = found
    first_of: dict[tuple[str, str], _Item] = {}
    fresh: list[_Item] = []
    repeats: list[_Item] = []
    for item in todo:
        if item.key is not None and item.key in stored:
            answers[item.index] = _answer(item.index, "existing", stored[item.key])
            continue
        if item.values.get("lead") is None:
            try:
                item.email = normalise_email(item.values.get("email") or "")
            except DomainError as exc:
                answers[item.index] = _answer(item.index, "error", error=exc)
                continue
        if item.key is not None and item.key in first_of:
            repeats.append(item)
            continue
        if item.key is not None:
            first_of[item.key] = item
        fresh.append(item)

    # 2. the leads: given by id, or by email (one query), or new subscribers (one per unknown email)
    emails = {item.email.lower() for item in fresh if item.email}
    by_email: dict[str, int] = dict(
        Lead.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails).values_list("email_ci", "pk")
    ) if emails else {}
    new: dict[str, Lead] = {}
    for item in fresh:
        if item.email is None:
            item.lead_id = item.values["lead"].pk
            continue
        key = item.email.lower()
        item.lead_id = by_email.get(key)
        if item.lead_id is None:
            new.setdefault(key, new_lead(email=item.email, campaign=None, fields={}, now=now))
    if new:
        leads = list(new.values())
        for lead, account in zip(leads, accounts_for_many([AccountWanted(email=lead.email) for lead in leads]),
                                 strict=True):
            lead.account = account
        insert_rows(leads)
        for item in fresh:
            if item.lead_id is None and item.email is not None:
                item.lead_id = new[item.email.lower()].pk

    # 3. the events, one INSERT; repeats inside the list answer the first
    rows = []
    for item in fresh:
        v = item.values
        assert item.lead_id is not None
        item.event = MarketingEvent(
            lead_id=item.lead_id, type=v["type"], occurred_at=v["occurred_at"], campaign=v.get("campaign"),
            source=v["source"], external_id=v.get("external_id") or None, properties=v.get("properties") or {},
            created_at=now)
        rows.append(item.event)
    insert_rows(rows)
    for item in fresh:
        answers[item.index] = _answer(item.index, "created", item.event)
    for item in repeats:
        assert item.key is not None
        answers[item.index] = _answer(item.index, "existing", first_of[item.key].event)

    # 4. campaigns on the leads, as event_record writes them one event after another
    _campaign_columns([item for item in fresh if item.event is not None and item.event.campaign is not None], now)
    if client is not None:
        link_client(client, [lead.pk for lead in new.values()], now=now, new=True)
        reached = {lead.pk for lead in new.values()}
        link_client(client, [item.lead_id for item in fresh
                             if item.email and item.lead_id is not None and item.lead_id not in reached], now=now)

    published = [events.DomainEvent("lead.created", now, lead.pk, {"stage": lead.stage}) for lead in new.values()]
    for item in fresh:
        assert item.event is not None
        published.append(events.DomainEvent("event.recorded", now, item.event.lead_id, {
            "event_id": item.event.pk, "type": item.event.type,
            "occurred_at": item.event.occurred_at.isoformat()}))
    events.publish_many(published)


def _campaign_columns(with_campaign: list[_Item], now: dt.datetime) -> None:
    """``latest_campaign`` (the last event's), ``first_campaign`` and an empty ``source`` (the first's) of
    the leads: a few UPDATEs per campaign rather than three per event."""
    latest: dict[int, Campaign] = {}
    first: dict[int, Campaign] = {}
    for item in with_campaign:
        assert item.event is not None and item.event.campaign is not None
        latest[item.event.lead_id] = item.event.campaign
        first.setdefault(item.event.lead_id, item.event.campaign)
    by_latest: dict[Campaign, list[int]] = defaultdict(list)
    by_first: dict[Campaign, list[int]] = defaultdict(list)
    for lead_id, campaign in latest.items():
        by_latest[campaign].append(lead_id)
    for lead_id, campaign in first.items():
        by_first[campaign].append(lead_id)
    for campaign, ids in by_latest.items():
        Lead.objects.filter(pk__in=ids).update(latest_campaign=campaign, updated_at=now)
    for campaign, ids in by_first.items():
        Lead.objects.filter(pk__in=ids, first_campaign__isnull=True).update(first_campaign=campaign)
        Lead.objects.filter(pk__in=ids, source="").update(source=campaign.channel)
