"""Marking clocks breached or at risk, with their notifications, in one transaction; e-mail after commit.

``record_breaches`` and ``record_warnings`` take clocks the caller has locked (``SELECT ... FOR UPDATE``)
and checked, and write, in the caller's transaction: the clock's new state, its history row, one
in-app ``Notification`` per recipient (unique per clock, kind and recipient: a second one cannot be
written), one ``OutboundEvent`` for the webhook outbox (unique per event and clock), and the domain
event (published after commit). After commit the e-mail copies are sent by a task; a crash between
commit and sending leaves them ``pending`` and the next sweep sends them (at least once, never
re-notified in-app).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Q

from leadops import clock, events
from leadops.models import OutOfOffice, Team, User
from leadops.roles import Role
from lifecycle.models import Lead
from sla.models import (
    Accountable,
    Cause,
    ClockEventKind,
    ClockStatus,
    EmailStatus,
    Escalation,
    Notification,
    NotificationKind,
    OutboundEvent,
    PolicyKind,
    SlaClock,
    SlaClockEvent,
)

log = logging.getLogger(__name__)

KIND_LABEL = {k.value: str(k.label).lower() for k in PolicyKind}
MAX_MOPS_RECIPIENTS = 50
EMAIL_RETRY_AFTER = dt.timedelta(minutes=10)
EMAIL_MAX_ATTEMPTS = 5


def clock_payload(c: SlaClock) -> dict[str, Any]:
    """The clock as the webhook body's ``data`` (api.md field names)."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": c.pk, "lead": c.lead_id, "policy": c.kind, "policy_version": c.policy_version, "status": c.status,
        "started_at": iso(c.started_at), "due_at": iso(c.due_at), "warn_at": iso(c.warn_at),
        "stopped_at": iso(c.stopped_at), "breached_at": iso(c.breached_at), "warned_at": iso(c.warned_at),
        "accountable": {"kind": c.accountable, "user": c.accountable_user_id, "team": c.team_id},
        "cause": c.cause,
    }


def _marketing_ops_ids() -> list[int]:
    return list(User.objects.filter(role=Role.MARKETING_OPS, is_active=True).order_by("id")
                .values_list("id", flat=True)[:MAX_MOPS_RECIPIENTS])


def recipients_for(clocks: list[SlaClock], *, breach: bool) -> dict[int, list[int]]:
    """Who hears about each clock. A warning: the accountable owner (for a team's clock its manager, for
    routing marketing ops). A breach: the same plus the owner's manager (manager of the accountable
    team). Three queries for any number of clocks."""
    user_ids = {c.accountable_user_id for c in clocks if c.accountable_user_id}
    user_team = dict(User.objects.filter(pk__in=user_ids, is_active=True).values_list("id", "team_id"))
    team_ids = {c.team_id for c in clocks if c.team_id} | {t for t in user_team.values() if t}
    manager_of = {tid: mid for tid, mid in Team.objects.filter(pk__in=team_ids).values_list("id", "manager_id")}
    mops = _marketing_ops_ids() if any(c.accountable == Accountable.MARKETING_OPS for c in clocks) else []
    result: dict[int, list[int]] = {}
    for c in clocks:
        people: list[int] = []
        if c.accountable == Accountable.MARKETING_OPS:
            people += mops
        elif c.accountable_user_id and c.accountable_user_id in user_team:
            people.append(c.accountable_user_id)
        owner_team = user_team.get(c.accountable_user_id) if c.accountable_user_id else None
        team_id = owner_team or c.team_id
        manager = manager_of.get(team_id) if team_id else None
        if manager and (breach or not people):
            people.append(manager)
        result[c.pk] = list(dict.fromkeys(people))  # unique, in order
    return result


def causes_for(clocks: list[SlaClock], leads: dict[int, Lead]) -> dict[int, str]:
    """The breach cause where one is known: routing for the routing clock; the manager for a review;
    for a rep's clock, out of office (the owner was away during the window) before missing contact data
    (no phone number) before the rep."""
    rep_clocks = [c for c in clocks if c.accountable == Accountable.REP and c.accountable_user_id]
    away: set[int] = set()
    if rep_clocks:
        spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for user_id, start, end in OutOfOffice.objects.filter(
                rep__user_id__in={c.accountable_user_id for c in rep_clocks},
                starts_at__lt=max(c.due_at for c in rep_clocks),
                ends_at__gt=min(c.started_at for c in rep_clocks)).values_list("rep__user_id", "starts_at", "ends_at"):
            spans.setdefault(user_id, []).append((start, end))
        for c in rep_clocks:
            if any(s < c.due_at and e > c.started_at for s, e in spans.get(c.accountable_user_id or 0, [])):
                away.add(c.pk)
    causes: dict[int, str] = {}
    for c in clocks:
        if c.kind == PolicyKind.ROUTING:
            causes[c.pk] = Cause.ROUTING
        elif c.kind == PolicyKind.SAL_REVIEW:
            causes[c.pk] = Cause.MANAGER
        elif c.pk in away:
            causes[c.pk] = Cause.OUT_OF_OFFICE
        elif c.lead_id in leads and not leads[c.lead_id].phone:
            causes[c.pk] = Cause.DATA
        else:
            causes[c.pk] = Cause.REP
    return causes


def _lead_label(lead: Lead | None) -> str:
    if lead is None:
        return "a lead"
    return str(lead)


def _text(c: SlaClock, lead: Lead | None, *, breach: bool) -> tuple[str, str]:
    what = KIND_LABEL.get(c.kind, c.kind)
    if breach:
        title = f"SLA breached: {what} for {_lead_label(lead)}"
        body = (f"The {what} SLA for {_lead_label(lead)} was due at {c.due_at:%Y-%m-%d %H:%M} UTC and is breached"
                + (f" (cause: {Cause(c.cause).label.lower()})" if c.cause else "") + ".")
    else:
        title = f"SLA at risk: {what} for {_lead_label(lead)}"
        body = f"The {what} SLA for {_lead_label(lead)} is due at {c.due_at:%Y-%m-%d %H:%M} UTC."
    why = (c.explanation or {}).get("text")
    if why:
        body += f"\n\n{why}"
    return title[:200], body


def _leads(clocks: Iterable[SlaClock]) -> dict[int, Lead]:
    ids = {c.lead_id for c in clocks}
    return {lead.pk: lead for lead in Lead.objects.filter(pk__in=ids).only(
        "id", "email", "first_name", "last_name", "phone", "owner_id", "team_id")}


def _notify(clocks: list[SlaClock], leads: dict[int, Lead], *, kind: str, now: dt.datetime) -> list[int]:
    """Notification rows, outbox rows and domain events of these clocks (in the caller's transaction)."""
    breach = kind == NotificationKind.BREACHED
    recipients = recipients_for(clocks, breach=breach)
    rows: list[Notification] = []
    outbox: list[OutboundEvent] = []
    for c in clocks:
        lead = leads.get(c.lead_id)
        title, body = _text(c, lead, breach=breach)
        for user_id in recipients.get(c.pk, []):
            rows.append(Notification(recipient_id=user_id, kind=kind, clock=c, lead_id=c.lead_id, title=title,
                                     body=body, url=f"/leads/{c.lead_id}/", created_at=now))
        data = clock_payload(c)
        outbox.append(OutboundEvent(event=kind, key=f"clock:{c.pk}", occurred_at=now, data=data, created_at=now))
        events.publish(events.DomainEvent(kind, now, c.lead_id, data))
    created = Notification.objects.bulk_create(rows)
    OutboundEvent.objects.bulk_create(outbox)
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: _deliver_later(ids), robust=True)
    return ids


def _deliver_later(ids: list[int]) -> None:
    from sla.tasks import deliver_notifications

    deliver_notifications.delay(ids)


def record_breaches(clocks: list[SlaClock], *, now: dt.datetime, causes: dict[int, str] | None = None,
                    stopped_at: dict[int, dt.datetime] | None = None, reason: str = "") -> list[int]:
    """Mark these running (locked) clocks breached and notify, once. Returns the notification ids."""
    clocks = [c for c in clocks if c.status == ClockStatus.RUNNING]
    if not clocks:
        return []
    leads = _leads(clocks)
    known = causes_for(clocks, leads)
    history = []
    for c in clocks:
        c.status = ClockStatus.BREACHED
        c.breached_at = now
        c.cause = (causes or {}).get(c.pk) or known[c.pk]
        c.breach_notified = True
        c.updated_at = now
        if stopped_at and c.pk in stopped_at:
            c.stopped_at = stopped_at[c.pk]
            c.stop_reason = reason
        history.append(SlaClockEvent(clock=c, kind=ClockEventKind.BREACHED, occurred_at=now, data={
            "old": ClockStatus.RUNNING, "new": ClockStatus.BREACHED, "due_at": c.due_at.isoformat(),
            "cause": c.cause, "stopped_at": c.stopped_at.isoformat() if c.stopped_at else None}))
    # set-based writes (one UPDATE per distinct cause), not bulk_update's CASE per row: a burst stays linear
    by_cause: dict[str, list[int]] = {}
    for c in clocks:
        by_cause.setdefault(c.cause, []).append(c.pk)
    for cause, ids in by_cause.items():
        SlaClock.objects.filter(pk__in=ids).update(status=ClockStatus.BREACHED, breached_at=now, cause=cause,
                                                   breach_notified=True, updated_at=now)
    for c in clocks:
        if c.stopped_at is not None:
            SlaClock.objects.filter(pk=c.pk).update(stopped_at=c.stopped_at, stop_reason=c.stop_reason)
    SlaClockEvent.objects.bulk_create(history)
    return _notify(clocks, leads, kind=NotificationKind.BREACHED, now=now)


def record_warnings(clocks: list[SlaClock], *, now: dt.datetime) -> list[int]:
    """Mark these running (locked) clocks at risk and tell their owner, once."""
    clocks = [c for c in clocks if c.status == ClockStatus.RUNNING and c.warned_at is None]
    if not clocks:
        return []
    for c in clocks:
        c.warned_at = now
        c.warn_notified = True
        c.updated_at = now
    SlaClock.objects.filter(pk__in=[c.pk for c in clocks]).update(warned_at=now, warn_notified=True, updated_at=now)
    SlaClockEvent.objects.bulk_create([SlaClockEvent(clock=c, kind=ClockEventKind.WARNED, occurred_at=now,
                                                     data={"warn_at": c.warn_at.isoformat(),
                                                           "due_at": c.due_at.isoformat()}) for c in clocks])
    return _notify(clocks, _leads(clocks), kind=NotificationKind.AT_RISK, now=now)


def notify_escalation(escalation: Escalation, recipients: list[int], *, now: dt.datetime) -> list[int]:
    """In-app + e-mail + outbox for an opened escalation (caller's transaction)."""
    who = escalation.team.name if escalation.team_id and escalation.team else "the company"
    title = f"Escalation level {escalation.level}: {escalation.side} SLAs of {who}"
    compliance = escalation.compliance
    body = (f"Weekly SLA compliance of {who} ({escalation.side} side) was "
            f"{'n/a' if compliance is None else f'{compliance:.0%}'} against a target of {escalation.target:.0%} "
            f"for {escalation.weeks_under} week(s). " + {
                1: "Level 1: a conversation between marketing ops and sales ops.",
                2: "Level 2: VP review.",
                3: "Level 3: executive intervention."}[escalation.level])
    rows = Notification.objects.bulk_create([
        Notification(recipient_id=uid, kind=NotificationKind.ESCALATION, escalation=escalation, title=title[:200],
                     body=body, url=f"/sla/escalations/{escalation.pk}/", created_at=now) for uid in recipients])
    data = {"id": escalation.pk, "team": escalation.team_id, "side": escalation.side, "level": escalation.level,
            "week": escalation.week.isoformat(), "compliance": compliance, "target": escalation.target,
            "weeks_under": escalation.weeks_under}
    OutboundEvent.objects.create(event=NotificationKind.ESCALATION, key=f"escalation:{escalation.pk}",
                                 occurred_at=now, data=data, created_at=now)
    events.publish(events.DomainEvent(NotificationKind.ESCALATION, now, None, data))
    ids = [n.pk for n in rows]
    if ids:
        transaction.on_commit(lambda: _deliver_later(ids), robust=True)
    return ids


# --- e-mail --------------------------------------------------------------------------------------------


def notifications_deliver(ids: list[int] | None = None, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send the e-mail copy of pending notifications (these ids, or any due). No network inside a
    transaction: rows are claimed (``sending``) and committed, mailed, then marked ``sent``. A claim older
    than ten minutes (a worker died while sending) is taken again. Returns how many were sent."""
    now = now or clock.now()
    with transaction.atomic():
        qs = Notification.objects.select_for_update(skip_locked=True).filter(
            Q(email_status=EmailStatus.PENDING)
            | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=now - EMAIL_RETRY_AFTER))
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        claimed = list(qs.order_by("id")[:limit])
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            email_status=EmailStatus.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1)
        for n in claimed:
            n.email_attempts += 1
    if not claimed:
        return 0
    addresses = dict(User.objects.filter(pk__in={n.recipient_id for n in claimed}).values_list("id", "email"))
    sent = 0
    connection = mail.get_connection(fail_silently=False)
    for n in claimed:
        address = addresses.get(n.recipient_id) or ""
        if not address:
            n.email_status = EmailStatus.SKIPPED
            continue
        try:
            mail.EmailMessage(subject=f"[LeadOps] {n.title}", body=n.body + f"\n\n{n.url}",
                              from_email=settings.DEFAULT_FROM_EMAIL, to=[address], connection=connection).send()
        except Exception:  # the mail server: retried by a later sweep, up to a limit
            log.exception("e-mail of notification %s failed", n.pk)
            n.email_status = EmailStatus.FAILED if n.email_attempts >= EMAIL_MAX_ATTEMPTS else EmailStatus.PENDING
            continue
        n.email_status = EmailStatus.SENT
        sent += 1
    done = clock.now()
    by_status: dict[str, list[int]] = {}
    for n in claimed:
        by_status.setdefault(n.email_status, []).append(n.pk)
    for status, ids in by_status.items():
        Notification.objects.filter(pk__in=ids).update(
            email_status=status, emailed_at=done if status == EmailStatus.SENT else None)
    return sent


def notification_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (these ids, or all). Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=clock.now())
