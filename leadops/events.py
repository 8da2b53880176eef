"""Domain events: the explicit hook later work hangs on (scoring, routing, SLA clocks, webhooks).

A service calls ``publish(event)`` inside its transaction; handlers run only after the
transaction commits (never for a rolled-back change). Handlers are registered explicitly with
``subscribe`` from an app's ``ready()``; this is deliberately not a Django signal: the list of
reactions to a change is greppable and ordered.

Handlers must be quick and must not fail the caller: they typically enqueue a Celery task.

Batches: a bulk writer (``POST /leads/bulk/``) wraps its work in ``with events.batch():``. The events
published inside are still dispatched after commit (and still dropped with a rolled-back savepoint), but
together: for a name with handlers registered by ``subscribe_batch``, those get the whole list once and
the name's per-event handlers are skipped (scoring enqueues one task per few hundred leads instead of one
per lead); every other handler runs per event as usual.

Batch forms: a per-event handler may declare a batch form (``@batch_form(handler_many)``). Where events
arrive together (the after-commit dispatch of ``batch()``, and ``publish_many`` in the publisher's
transaction), that subscriber gets each name's events as one list, once, instead of one call per event;
other subscribers of the same name are not affected. Handlers run name by name (in the order the names
first appear), so the events of one lead keep their order within each name.

``publish_many(events)``: a set-based writer (the bulk upsert, event intake) publishes what it wrote in one
call: in-transaction handlers with a batch form get the list once (one outbox INSERT, one SLA clock query
for a thousand leads); after commit the events are dispatched as a batch (inside ``batch()`` they join it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    name: str  # lead.created, lead.stage_changed, lead.assigned, touch.logged, event.recorded, ...
    occurred_at: dt.datetime
    lead_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], None]
BatchHandler = Callable[[list[DomainEvent]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: dict[str, list[BatchHandler]] = defaultdict(list)
_in_transaction: dict[str, list[Handler]] = defaultdict(list)
_BATCH_FORM = "_leadops_batch_form"
_batch: ContextVar[list[DomainEvent] | None] = ContextVar("leadops_events_batch", default=None)
# Every event published in this process, newest last (tests and the timeline debug view read it).
_recent: list[DomainEvent] = []


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(event)`` after commit for every event called ``name`` ("*" for all)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _handlers[name]:
        _handlers[name].remove(handler)


def subscribe_batch(name: str, handler: BatchHandler) -> None:
    """Inside ``batch()``, call ``handler(events)`` once with the batch's events called ``name`` (a handler
    subscribed to several names is called once with the events of all of them, in their order)."""
    if handler not in _batch_handlers[name]:
        _batch_handlers[name].append(handler)


def batch_form(handler_many: BatchHandler) -> Callable[[Handler], Handler]:
    """Declare ``handler_many(events)`` the batch form of the decorated per-event handler (see the module)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, _BATCH_FORM, handler_many)
        return handler

    return mark


def _each(handler: Handler, group: list[DomainEvent], *, guarded: bool) -> None:
    """``handler`` for each event of ``group`` (one name), or its batch form once. ``guarded``: after commit,
    where a failing reaction is logged and never fails the caller."""
    many: BatchHandler | None = getattr(handler, _BATCH_FORM, None)
    if many is not None:
        if not guarded:
            many(group)
            return
        try:
            many(group)
        except Exception:
            log.exception("batch form of %r failed for %s", handler, group[0].name if group else "-")
        return
    for event in group:
        if guarded:
            _run(handler, event)
        else:
            handler(event)


def _by_name(collected: list[DomainEvent]) -> dict[str, list[DomainEvent]]:
    groups: dict[str, list[DomainEvent]] = {}
    for event in collected:
        groups.setdefault(event.name, []).append(event)
    return groups


def subscribe_in_transaction(name: str, handler: Handler) -> None:
    """Call ``handler(event)`` inside ``publish``, in the publisher's transaction (an outbox write that must
    commit or roll back with the change). Such a handler must only write rows: an error fails the change."""
    if handler not in _in_transaction[name]:
        _in_transaction[name].append(handler)


def publish(event: DomainEvent) -> None:
    for handler in [*_in_transaction.get(event.name, []), *_in_transaction.get("*", [])]:
        handler(event)
    collected = _batch.get()
    if collected is not None:
        transaction.on_commit(lambda: collected.append(event))
    else:
        transaction.on_commit(lambda: _dispatch(event))


def publish_many(published: list[DomainEvent]) -> None:
    """Publish the events of one set-based write at once (see the module's docstring)."""
    if not published:
        return
    for name, group in _by_name(published).items():
        for handler in [*_in_transaction.get(name, []), *_in_transaction.get("*", [])]:
            _each(handler, group, guarded=False)
    collected = _batch.get()
    if collected is not None:
        transaction.on_commit(lambda: collected.extend(published))
    else:
        transaction.on_commit(lambda: _dispatch_batch(list(published)))


@contextmanager
def batch() -> Iterator[None]:
    """Dispatch the events published inside together, after commit (see the module's docstring)."""
    if _batch.get() is not None:  # already batching: the outer batch dispatches
        yield
        return
    collected: list[DomainEvent] = []
    token = _batch.set(collected)
    try:
        yield
    finally:
        _batch.reset(token)
    # registered after every event's append, so it runs after them (on_commit keeps the order)
    transaction.on_commit(lambda: _dispatch_batch(collected))


def _dispatch_batch(collected: list[DomainEvent]) -> None:
    batched = {name for name in {e.name for e in collected} if _batch_handlers.get(name)}
    _recent.extend(collected)
    del _recent[:-1000]
    for name, group in _by_name(collected).items():
        handlers = [] if name in batched else list(_handlers.get(name, []))
        for handler in [*handlers, *_handlers.get("*", [])]:
            _each(handler, group, guarded=True)
    # a batch handler subscribed to several names is called once, with all their events (in order)
    called: list[BatchHandler] = []
    for name in sorted(batched):
        called.extend(h for h in _batch_handlers[name] if h not in called)
    for batch_handler in called:
        names = {name for name in batched if batch_handler in _batch_handlers[name]}
        group = [e for e in collected if e.name in names]
        try:
            batch_handler(group)
        except Exception:
            log.exception("batch handler %r failed for %s", batch_handler, sorted(names))


def _run(handler: Handler, event: DomainEvent) -> None:
    try:
        handler(event)
    except Exception:  # a reaction must never undo or fail the committed change
        log.exception("handler %r failed for %s", handler, event.name)


def _dispatch(event: DomainEvent) -> None:
    _recent.append(event)
    del _recent[:-1000]
    for handler in [*_handlers.get(event.name, []), *_handlers.get("*", [])]:
        try:
            handler(event)
        except Exception:  # a reaction must never undo or fail the committed change
            log.exception("handler %r failed for %s", handler, event.name)


def recent(name: str | None = None) -> list[DomainEvent]:
    return [e for e in _recent if name is None or e.name == name]
