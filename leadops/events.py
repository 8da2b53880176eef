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
    """Inside ``batch()``, call ``handler(events)`` once with the batch's events called ``name``."""
    if handler not in _batch_handlers[name]:
        _batch_handlers[name].append(handler)


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
    for event in collected:
        if event.name in batched:
            _recent.append(event)
            for handler in _handlers.get("*", []):
                _run(handler, event)
        else:
            _dispatch(event)
    del _recent[:-1000]
    for name in sorted(batched):
        group = [e for e in collected if e.name == name]
        for batch_handler in _batch_handlers[name]:
            try:
                batch_handler(group)
            except Exception:
                log.exception("batch handler %r failed for %s", batch_handler, name)


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
