"""Helpers of the scoring tests: leads with known facts, events recorded through the lifecycle service,
and after-commit reactions run as they would in production (Celery is eager in the test settings)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from leadops import clock as leadops_clock
from lifecycle import services as lifecycle
from lifecycle.models import Lead, StageTransition
from tests.lifecycle.factories import LeadFactory

_seq = itertools.count(1)

# fit 45 under the default model: size +20, industry +15, country +10 (no title)
GOOD_FIT = {"employee_count": 120, "industry": "Software", "country": "US"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the after-commit handlers (scoring's rescore tasks, eagerly) of what happens inside the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def make_lead(committed):
    """A lead created through the service with its lead.created reaction run (so it is scored)."""

    def make(stage: str = "lead", **fields) -> Lead:
        with committed():
            lead = LeadFactory(stage=stage, **fields)
        return Lead.objects.get(pk=lead.pk)

    return make


@pytest.fixture
def record(committed):
    """Record a marketing event through the lifecycle service and run its reactions; returns the fresh lead."""

    def record(lead: Lead, type: str, *, at: dt.datetime | None = None, **kwargs) -> Lead:
        with committed():
            lifecycle.event_record(lead=lead, type=type, occurred_at=at or leadops_clock.now(),
                                   external_id=f"ev-{next(_seq)}", source="test", **kwargs)
        return Lead.objects.get(pk=lead.pk)

    return record


def last_move(lead: Lead) -> StageTransition:
    return StageTransition.objects.filter(lead=lead).order_by("-seq").first()
