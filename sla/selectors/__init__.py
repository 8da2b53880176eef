"""Readers of the SLA app: policies in force, clocks per caller and per lead, the lead list's SLA filter,
the timeline rows, notifications (the bell) and escalations. Marketing SLAs, obligations and weekly
compliance are in ``sla.selectors.metrics``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from leadops import clock, roles
from leadops.models import User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle.models import Lead
from lifecycle.selectors import TimelineItem, leads_visible_to
from sla.models import ClockStatus, Escalation, Notification, SlaClock, SlaClockEvent, SlaPolicy

# --- policies ------------------------------------------------------------------------------------------


def active_policy(kind: str) -> SlaPolicy | None:
    """The version of ``kind`` in force, or None when the kind is switched off."""
    return SlaPolicy.objects.select_related("calendar").filter(kind=kind, active=True).first()


def active_policy_value(kind: str, field: str, default: Any) -> Any:
    """One setting of the policy in force (``lifecycle`` asks for the cadence's ``required_attempts``)."""
    value = SlaPolicy.objects.filter(kind=kind, active=True).values_list(field, flat=True).first()
    return default if value is None else value


# --- clocks ----------------------------------------------------------------------------------------------


def clocks_visible_to(user: User) -> QuerySet[SlaClock]:
    """Clocks of the leads ``user`` may see (domain.md section 2)."""
    qs = SlaClock.objects.all()
    if roles.sees_all_leads(user):
        return qs
    return qs.filter(lead__in=leads_visible_to(user).values("pk"))


def open_clocks_for(lead: Lead) -> list[SlaClock]:
    """The lead's open clocks: running, or breached and not yet stopped (the lead page and detail API)."""
    return list(SlaClock.objects.filter(lead=lead, stopped_at__isnull=True,
                                        status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
                .order_by("due_at", "id"))


def clock_status_q(status: str, now: dt.datetime | None = None) -> Q:
    """SLA status as the lead list means it, exact even before the next sweep:
    ``at_risk``: running, past its warning time, not yet due; ``breached``: breached and still open, or
    running past its due time."""
    now = now or clock.now()
    if status == "at_risk":
        return Q(status=ClockStatus.RUNNING, warn_at__lte=now, due_at__gt=now)
    if status == "breached":
        return (Q(status=ClockStatus.BREACHED, stopped_at__isnull=True)
                | Q(status=ClockStatus.RUNNING, due_at__lte=now))
    raise ValueError(f"unknown SLA status {status!r}")


def lead_ids_with_clock_status(status: str, now: dt.datetime | None = None) -> QuerySet[Any, Any]:
    """Lead ids (a subquery) having a clock in ``status`` (at_risk or breached): ``pk__in=`` it."""
    return SlaClock.objects.filter(clock_status_q(status, now)).values("lead_id")


def lead_has_clock_status(status: str, now: dt.datetime | None = None) -> Exists:
    """The same as an ``Exists`` over the outer lead (``Lead.objects.filter(lead_has_clock_status(...))``)."""
    return Exists(SlaClock.objects.filter(clock_status_q(status, now), lead_id=OuterRef("pk")))


def clock_timeline(lead: Lead, cycle_at: Callable[[dt.datetime], int]) -> list[TimelineItem]:
    """The lead timeline's SLA rows: every change of every clock of the lead (one query)."""
    items = []
    for e in SlaClockEvent.objects.filter(clock__lead=lead).order_by("occurred_at", "id").values(
            "kind", "occurred_at", "data", "clock_id", "clock__kind", "clock__cycle", "clock__policy_version",
            "clock__status", "clock__due_at"):
        summary = f"SLA {e['clock__kind'].replace('_', ' ')}: {e['kind']}"
        if e["kind"] == "started":
            summary += f", due {e['clock__due_at']:%Y-%m-%d %H:%M} UTC"
        items.append(TimelineItem("sla_clock", e["occurred_at"], e["clock__cycle"], summary, {
            "clock": e["clock_id"], "policy": e["clock__kind"], "policy_version": e["clock__policy_version"],
            "event": e["kind"], "status": e["clock__status"], **e["data"]}))
    return items


# --- notifications -------------------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user: User) -> int:
    """The bell's number (the partial index ``sla_notification_unread``)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- escalations ---------------------------------------------------------------------------------------


def escalations_visible_to(user: User) -> QuerySet[Escalation]:
    """Marketing ops, leadership and admins see every escalation; a manager those of their teams, a rep
    those of their team; everyone sees the company-wide ones."""
    qs = Escalation.objects.select_related("team")
    role = roles.role_of(user)
    if role in (Role.MARKETING_OPS, Role.LEADERSHIP, Role.ADMIN, Role.INTEGRATOR):
        return qs
    teams = managed_team_ids(user) if role == Role.SALES_MANAGER else ([user.team_id] if user.team_id else [])
    return qs.filter(Q(team_id__in=teams) | Q(team__isnull=True))
