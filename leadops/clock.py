"""The one place that reads the current time. Everything else asks ``clock.now()``.

Tests freeze or move time with the ``clock`` fixture (time-machine), which this module
follows because it reads the system clock through Django's timezone helper.

Outside tests, ``frozen_at(moment)`` makes ``now()`` answer ``moment`` inside a ``with`` block
(per thread and per asyncio task: a context variable). The demo loader uses it to replay history
through the real services at historical times; nothing serving requests should need it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_frozen: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("leadops_clock_frozen", default=None)


def now() -> dt.datetime:
    """The current moment, timezone-aware, in UTC."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return timezone.now()


def today() -> dt.date:
    return now().date()


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[dt.datetime]:
    """Inside the block ``now()`` is ``moment`` (aware; converted to UTC). Blocks nest."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _frozen.set(moment.astimezone(dt.UTC))
    try:
        yield moment
    finally:
        _frozen.reset(token)
