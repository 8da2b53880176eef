"""Helpers shared by the workspace pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import signing
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from leadops.errors import DomainError
from leadops.models import User
from leadops.roles import Role
from lifecycle import selectors
from lifecycle.models import Lead
from lifecycle.state_machine import Stage
from sla.models import ClockStatus, SlaClock

PAGE_SIZE = 25
MAX_BULK = 100
WORKING_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
STALE = "This lead changed since you opened it"
TOUCH_IDS: dict[str, Any] = {"auto_id": "touch_%s", "label_suffix": ""}


# --- small readers ---------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def active_reps(team_ids: list[int]) -> QuerySet[User]:
    """Who a manager may hand a lead to: active sales reps of these teams (``selectors.may_own``)."""
    return (
        User.objects.filter(role=Role.SALES_REP, is_active=True, team_id__in=team_ids)
        .exclude(rep_profile__active=False)
        .order_by("first_name", "last_name", "username")
    )


def _span(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@dataclass(frozen=True)
class ClockState:
    """One SLA clock as a person reads it: a word (never colour alone), time left or overdue, and why."""

    clock: SlaClock
    state: str  # on_time, at_risk, breached, met, cancelled
    label: str
    detail: str
    why: str

    @property
    def kind_label(self) -> str:
        return self.clock.kind.replace("_", " ")


def clock_state(c: SlaClock | None, now: dt.datetime) -> ClockState | None:
    if c is None:
        return None
    why = str((c.explanation or {}).get("text", ""))
    overdue = c.stopped_at is None and (
        c.status == ClockStatus.BREACHED or (c.status == ClockStatus.RUNNING and c.due_at <= now)
    )
    if overdue:
        return ClockState(c, "breached", "Breached", f"{_span(now - c.due_at)} overdue", why)
    if c.status == ClockStatus.BREACHED:
        return ClockState(c, "breached", "Breached", "stopped late", why)
    if c.status == ClockStatus.MET:
        return ClockState(c, "met", "Met", "", why)
    if c.status == ClockStatus.CANCELLED:
        return ClockState(c, "cancelled", "Cancelled", "", why)
    if c.warn_at <= now:
        return ClockState(c, "at_risk", "At risk", f"{_span(c.due_at - now)} left", why)
    return ClockState(c, "on_time", "On time", f"{_span(c.due_at - now)} left", why)


def _clocks_of(leads: list[Lead], kind: str | None = None) -> dict[int, SlaClock]:
    """The current cycle's clock per lead (of ``kind``, or the soonest open one): one query."""
    qs = SlaClock.objects.filter(lead_id__in=[lead.pk for lead in leads])
    if kind is not None:
        qs = qs.filter(kind=kind)
    else:
        qs = qs.filter(stopped_at__isnull=True, status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
    cycles = {lead.pk: lead.recycle_count for lead in leads}
    found: dict[int, SlaClock] = {}
    for c in qs.order_by("due_at", "id"):
        if c.cycle == cycles[c.lead_id] and c.lead_id not in found:
            found[c.lead_id] = c
    return found


def _visible_lead(request: HttpRequest, lead_id: int) -> Lead:
    lead = selectors.lead_detail(_user(request), lead_id)
    if lead is None:
        raise Http404("No such lead.")
    return lead


# --- a stale page acting on a lead the viewer can no longer see ---------------------------------------------
# Every form on a lead carries ``seen``: a signature of (viewer, lead) made when the page showed it. A POST
# on a lead that is no longer visible (reassigned, routed to another team) with a valid signature is a stale
# page: it gets "this lead changed since you opened it"; without one it is a guess at an id: 404.

SEEN_SALT = "lifecycle.lead-seen"
SEEN_MAX_AGE = 7 * 24 * 3600
GONE = f"{STALE}: it is no longer among the leads you can see (reassigned, or routed to another team)."


def seen_token(user: User, lead_id: int) -> str:
    return signing.dumps([user.pk, lead_id], salt=SEEN_SALT)


def _had_seen(request: HttpRequest, lead_id: int) -> bool:
    try:
        return bool(signing.loads(request.POST.get("seen", ""), salt=SEEN_SALT, max_age=SEEN_MAX_AGE)
                    == [_user(request).pk, lead_id])
    except signing.BadSignature:
        return False


def _lead_for_action(request: HttpRequest, lead_id: int) -> Lead | None:
    """The lead a form acts on, or None when the page showed it but the viewer can no longer see it."""
    lead = selectors.lead_detail(_user(request), lead_id)
    if lead is None and not _had_seen(request, lead_id):
        raise Http404("No such lead.")
    return lead


def home_queue(user: User) -> str:
    """Where a user goes back to when the lead they acted on is gone from their view."""
    from leadops import roles

    if roles.works_own_leads(user):
        return "lifecycle:my_leads"
    if roles.may_review_sal(user):
        return "lifecycle:sal_review"
    if roles.may_review_mql_queue(user):
        return "lifecycle:mql_queue"
    return "reporting:home"


def _stage_text(lead: Lead) -> str:
    text = f"now {lead.get_stage_display()}"
    if lead.owner_id and lead.owner:
        text += f", owned by {lead.owner}"
    if lead.disposition_id and lead.disposition:
        text += f" ({lead.disposition.label})"
    return text


def _label(form: forms.Form, name: str) -> str:
    field = form.fields.get(name)
    if name == "expected_stage":
        return "Page"
    return str(field.label) if field is not None and field.label else ""


def _apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's field errors next to the fields they name; the message itself above the form."""
    fields = (exc.details or {}).get("fields") or {}
    form.add_error(None, exc.message)
    for name, text in fields.items():
        if name in form.fields and str(text) not in exc.message:
            form.add_error(name, str(text))
