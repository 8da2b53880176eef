"""Routing fixtures: a team of reps with weights, and MQLs that go through the real after-commit routing."""

from __future__ import annotations

import datetime as dt

import pytest

from leadops import services as org_services
from leadops.models import OutOfOffice, RepProfile, Team, User
from leadops.roles import Role
from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor
from routing import services as routing
from routing.models import Assignment
from tests.lifecycle.walk import new_lead


def add_rep(username: str, team: Team, *, weight: int = 1, capacity: int = 50, active: bool = True) -> User:
    return org_services.user_create(username=username, role=Role.SALES_REP, team=team,
                                    rep={"weight": weight, "capacity": capacity, "active": active})


def away(user: User, start: dt.datetime, end: dt.datetime) -> OutOfOffice:
    return OutOfOffice.objects.create(rep=RepProfile.objects.get(user=user), starts_at=start, ends_at=end)


@pytest.fixture
def routed(org, django_capture_on_commit_callbacks):
    """``routed(**lead_fields)``: a new lead promoted to MQL by marketing ops, with the after-commit handlers
    run (so the ``lead.mql`` event routes it through the eager Celery task). Returns the lead, re-read."""

    def make(**fields) -> Lead:
        lead = new_lead(**fields)
        with django_capture_on_commit_callbacks(execute=True):
            services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
        return Lead.objects.select_related("owner", "team").get(pk=lead.pk)

    return make


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """``run_after_commit(fn)``: call ``fn`` and run the after-commit handlers it queued (events, tasks)."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


def ledger(lead: Lead) -> list[Assignment]:
    return list(Assignment.objects.filter(lead=lead).order_by("decided_at", "id"))


def east_rule(org, **conditions):
    return routing.routing_rule_create(name=conditions.pop("name", "East"), target_team=org.east, **conditions)


def skipped(assignment: Assignment) -> dict[str, str | None]:
    """{username: skip reason} of the round-robin candidates of a ledger row."""
    return {c["username"]: c["skipped"] for c in assignment.candidates if c["via"] == "team"}
