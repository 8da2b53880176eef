"""The one place that reads the current time. Everything else asks ``clock.now()``.

Tests freeze or move time with the ``clock`` fixture (time-machine), which this module
follows because it reads the system clock through Django's timezone helper.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current moment, timezone-aware, in UTC."""
    return timezone.now()


def today() -> dt.date:
    return now().date()
