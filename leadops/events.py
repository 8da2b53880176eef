"""Domain events: the explicit hook later work hangs on (scoring, routing, SLA clocks, webhooks).

A service calls ``publish(event)`` inside its transaction; handlers run only after the
transaction commits (never for a rolled-back change). Handlers are registered explicitly with
``subscribe`` from an app's ``ready()``; this is deliberately not a Django signal: the list of
reactions to a change is greppable and ordered.

Handlers must be quick and must not fail the caller: they typically enqueue a Celery task.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
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
_handlers: dict[str, list[Handler]] = defaultdict(list)
# Every event published in this process, newest last (tests and the timeline debug view read it).
_recent: list[DomainEvent] = []


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(event)`` after commit for every event called ``name`` ("*" for all)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _handlers[name]:
        _handlers[name].remove(handler)


def publish(event: DomainEvent) -> None:
    transaction.on_commit(lambda: _dispatch(event))


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
