"""Subscriptions of the SLA app to domain events (registered in ``SlaConfig.ready``).

Each handler turns the event into a call of ``sla.services.clocks`` with the event's own time. They run
inside the publisher's transaction (``events.subscribe_in_transaction``): a few row writes, no broker
round trip, so the change and its clocks commit together; neither a crash after the commit nor a broker
outage can lose a clock, and a failing reaction fails the change instead of leaving it without its clock.
"""

from __future__ import annotations

import datetime as dt

from leadops import clock, events
from sla.services import clocks


def _parse(value: object, default: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return default
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    return default


def on_mql(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    clocks.on_mql(lead_id=event.lead_id, at=event.occurred_at, now=clock.now(), cycle=int(event.data.get("cycle", 0)))


def on_stage_changed_many(batch: list[events.DomainEvent]) -> None:
    """The batch form of ``on_stage_changed`` (a bulk upsert's thousand subscriber -> lead moves): one query
    finds the leads with an open clock; only those, and moves into SAL (which start clocks), need the
    per-event reaction. Everything else is a move no clock cares about."""
    from sla.models import ClockStatus, SlaClock

    ids = {e.lead_id for e in batch if e.lead_id is not None}
    with_clocks = set(SlaClock.objects.filter(lead_id__in=ids, stopped_at__isnull=True,
                                              status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
                      .values_list("lead_id", flat=True).distinct()) if ids else set()
    for event in batch:
        if event.lead_id in with_clocks or event.data.get("to") == "sal":
            on_stage_changed(event)


@events.batch_form(on_stage_changed_many)
def on_stage_changed(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    data = event.data
    clocks.on_stage_changed(lead_id=event.lead_id, source=str(data.get("from")), target=str(data.get("to")),
                            cycle=int(data.get("cycle", 0)), override=bool(data.get("override")),
                            at=event.occurred_at, now=clock.now())


def on_assigned(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    rep = event.data.get("rep")
    clocks.on_assigned(lead_id=event.lead_id, rep_id=int(rep) if rep else None, at=event.occurred_at,
                       now=clock.now())


def on_cadence_override(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    clocks.on_cadence_override(lead_id=event.lead_id, cycle=int(event.data.get("cycle", 0)), at=event.occurred_at,
                               now=clock.now())


def on_touch(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    touched = _parse(event.data.get("occurred_at"), event.occurred_at)
    clocks.on_touch(lead_id=event.lead_id, counts=bool(event.data.get("counts_as_attempt")),
                    at=min(touched, event.occurred_at), now=clock.now())


def on_high_intent(event: events.DomainEvent) -> None:
    if event.lead_id is None:
        return
    clocks.on_high_intent(lead_id=event.lead_id, occurred_at=_parse(event.data.get("occurred_at"), event.occurred_at),
                          now=clock.now())


def on_queued(event: events.DomainEvent) -> None:
    """Routing found nobody available: the lead waits in the team queue; the routing clock keeps running."""
    if event.lead_id is None:
        return
    clocks.on_assigned(lead_id=event.lead_id, rep_id=None, at=event.occurred_at, now=clock.now())


SUBSCRIPTIONS = [
    ("lead.mql", on_mql),
    ("lead.stage_changed", on_stage_changed),
    ("lead.assigned", on_assigned),
    ("lead.cadence_override", on_cadence_override),
    ("touch.logged", on_touch),
    ("lead.queued", on_queued),
    ("lead.high_intent", on_high_intent),
]
