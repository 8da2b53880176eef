"""The clocks' reactions to the lifecycle, touch, assignment and marketing events (domain.md section 6).

Each reaction runs inside the transaction of the change it reacts to (``events.subscribe_in_transaction``):
the lifecycle change and its clock changes commit together or not at all, so a crash between the two
cannot lose a clock. It locks the lead (already locked by the change) and then its clocks (the house
lock order). Times come from the event
(when the change happened), never from when the reaction ran. Every reaction is idempotent: a clock
is unique per (lead, kind, cycle), and stopping or re-targeting a clock that is no longer running
changes nothing.

| clock | starts | met | cancelled (lead leaves the path) |
|---|---|---|---|
| sal_review | lead.mql | accepted or rejected | new cycle |
| routing | lead.mql | first assignment to a rep | rejected before any assignment; new cycle |
| first_contact | first assignment to a rep after MQL | first attempt | rejected, recycled, disqualified, |
|  | (the receipt) |  | qualified without a logged attempt |
| touch_cadence | SAL | SQL, or the required attempts | recycled; disqualified (a manager's override |
|  |  |  | breaches it at once instead) |
| disposition | SAL | SQL, nurture or disqualified | new cycle |

A running clock that is stopped after its due time (before the sweep saw it) is breached at that
moment, with its stop time; a breached clock stays breached and only gains a stop time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from leadops.models import Team, TeamKind, User
from lifecycle.models import Lead, Touch
from lifecycle.state_machine import Stage
from sla.models import (
    Accountable,
    BusinessCalendar,
    Cause,
    ClockEventKind,
    ClockStatus,
    PolicyKind,
    SlaClock,
    SlaClockEvent,
    SlaPolicy,
)
from sla.services.notify import record_breaches
from sla.services.timing import clock_due

REP_KINDS = (PolicyKind.FIRST_CONTACT, PolicyKind.TOUCH_CADENCE, PolicyKind.DISPOSITION)
WORKED_STAGES = {Stage.MQL, Stage.SAL}
QUALIFIED_STAGES = {Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER}
OUT_STAGES = {Stage.NURTURE, Stage.DISQUALIFIED}


def _marketing_team_id() -> int | None:
    return Team.objects.filter(kind=TeamKind.MARKETING).order_by("id").values_list("id", flat=True).first()


def _lock_lead(lead_id: int | None) -> Lead | None:
    if lead_id is None:
        return None
    return Lead.objects.select_for_update().filter(pk=lead_id).first()


def _open_clocks(lead: Lead, kinds: Iterable[str] | None = None) -> list[SlaClock]:
    """The lead's clocks that can still change: running, or breached without a stop time (locked)."""
    qs = SlaClock.objects.select_for_update().filter(lead=lead, stopped_at__isnull=True,
                                                     status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return list(qs.order_by("id"))


def _log(c: SlaClock, kind: str, at: dt.datetime, **data: object) -> None:
    SlaClockEvent.objects.create(clock=c, kind=kind, occurred_at=at, data=data)


# --- start, stop, cancel, re-target -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockStart:
    """One clock for ``clocks_start`` to start: its kind and who answers for it."""

    kind: str
    accountable: str
    user_id: int | None = None
    team_id: int | None = None
    high_intent: bool = False


def clock_start(*, lead: Lead, kind: str, started_at: dt.datetime, accountable: str, user_id: int | None = None,
                team_id: int | None = None, high_intent: bool = False) -> SlaClock | None:
    """Start ``kind`` for the lead's current cycle under the active policy version. Nothing when the kind is
    switched off or the cycle already has that clock (a reassignment does not restart it)."""
    return clocks_start(lead=lead, started_at=started_at,
                        starts=[ClockStart(kind, accountable, user_id, team_id, high_intent)]).get(kind)


def clocks_start(*, lead: Lead, started_at: dt.datetime, starts: Sequence[ClockStart]) -> dict[str, SlaClock]:
    """``clock_start`` for several kinds at the same moment (a lead entering MQL or SAL starts two); returns
    the clocks started, by kind.

    A fixed number of statements however many kinds: the policies in force, the cycle's clocks of those
    kinds, one insert of the new clocks and one of their history rows. The reactions hold the lead's lock,
    so the check cannot race another reaction; a clock written without that lock is still caught by the
    unique (lead, kind, cycle) constraint, and then the kinds are started one at a time.
    """
    kinds = [s.kind for s in starts]
    policies = {p.kind: p for p in SlaPolicy.objects.select_related("calendar").filter(kind__in=kinds, active=True)}
    if not policies:
        return {}
    team_calendars = _team_calendars({s.team_id for s in starts if s.team_id is not None})
    existing = set(SlaClock.objects.filter(lead=lead, cycle=lead.recycle_count, kind__in=list(policies))
                   .values_list("kind", flat=True))
    new: list[SlaClock] = []
    for s in starts:
        policy = policies.get(s.kind)
        if policy is None or s.kind in existing:
            continue
        high = s.high_intent and s.kind == PolicyKind.FIRST_CONTACT and policy.high_intent_target is not None
        team_calendar = team_calendars.get(s.team_id) if s.team_id is not None and policy.use_team_calendar else None
        timing = clock_due(started_at, policy, (team_calendar or policy.calendar).spec(), high_intent=high)
        new.append(SlaClock(
            calendar=team_calendar,
            lead=lead, policy=policy, kind=s.kind, policy_version=policy.version, cycle=lead.recycle_count,
            started_at=started_at, due_at=timing.due_at, warn_at=timing.warn_at, accountable=s.accountable,
            accountable_user_id=s.user_id, team_id=s.team_id, high_intent=high, explanation=timing.explanation,
        ))
        existing.add(s.kind)
    if not new:
        return {}
    try:
        with transaction.atomic():
            SlaClock.objects.bulk_create(new)
    except IntegrityError:  # started concurrently by another reaction
        if len(new) == 1:
            return {}
        started: dict[str, SlaClock] = {}
        for kind in [c.kind for c in new]:  # one at a time: the ones still missing
            started.update(clocks_start(lead=lead, started_at=started_at,
                                        starts=[next(s for s in starts if s.kind == kind)]))
        return started
    SlaClockEvent.objects.bulk_create([
        SlaClockEvent(clock=c, kind=ClockEventKind.STARTED, occurred_at=started_at, data={
            "due_at": c.due_at.isoformat(), "warn_at": c.warn_at.isoformat(), "policy_version": c.policy_version,
            "high_intent": c.high_intent, "accountable": c.accountable, "user": c.accountable_user_id,
            "team": c.team_id})
        for c in new
    ])
    return {c.kind: c for c in new}


def _team_calendars(team_ids: set[int]) -> dict[int, BusinessCalendar]:
    """The calendars of those teams that have one: a clock a team is accountable for counts on it."""
    if not team_ids:
        return {}
    return {t.pk: t.calendar for t in Team.objects.filter(pk__in=team_ids, calendar__isnull=False)
            .select_related("calendar") if t.calendar is not None}


def calendar_of(c: SlaClock, policy: SlaPolicy) -> BusinessCalendar:
    """The calendar a clock counts on: the team's it started with, else its policy's."""
    team_calendar = c.calendar if c.calendar_id is not None else None
    return team_calendar or policy.calendar


def clock_meet(c: SlaClock, *, at: dt.datetime, now: dt.datetime, reason: str) -> None:
    """The clock's goal was reached at ``at``: met if on time; breached (met late) if past due."""
    at = max(at, c.started_at)
    if c.status == ClockStatus.RUNNING:
        if at <= c.due_at:
            c.status, c.stopped_at, c.stop_reason, c.updated_at = ClockStatus.MET, at, reason, now
            c.save(update_fields=["status", "stopped_at", "stop_reason", "updated_at"])
            _log(c, ClockEventKind.MET, at, old=ClockStatus.RUNNING, new=ClockStatus.MET, reason=reason)
        else:
            record_breaches([c], now=now, stopped_at={c.pk: at}, reason=reason)
    elif c.status == ClockStatus.BREACHED and c.stopped_at is None:
        c.stopped_at, c.stop_reason, c.updated_at = at, reason, now
        c.save(update_fields=["stopped_at", "stop_reason", "updated_at"])
        _log(c, ClockEventKind.STOPPED, at, reason=reason, late_by_seconds=int((at - c.due_at).total_seconds()))


def clock_cancel(c: SlaClock, *, at: dt.datetime, now: dt.datetime, reason: str) -> None:
    """The lead left the clock's path at ``at``: cancelled before the due time, breached after it (the
    sweep may simply not have seen it yet); a breached clock only gains its stop time."""
    at = max(at, c.started_at)
    if c.status == ClockStatus.RUNNING:
        if at <= c.due_at:
            c.status, c.stopped_at, c.stop_reason, c.updated_at = ClockStatus.CANCELLED, at, reason, now
            c.save(update_fields=["status", "stopped_at", "stop_reason", "updated_at"])
            _log(c, ClockEventKind.CANCELLED, at, old=ClockStatus.RUNNING, new=ClockStatus.CANCELLED, reason=reason)
        else:
            record_breaches([c], now=now, stopped_at={c.pk: at}, reason=reason)
    elif c.status == ClockStatus.BREACHED and c.stopped_at is None:
        c.stopped_at, c.stop_reason, c.updated_at = at, reason, now
        c.save(update_fields=["stopped_at", "stop_reason", "updated_at"])
        _log(c, ClockEventKind.STOPPED, at, reason=reason)


def clock_retarget(c: SlaClock, *, request_at: dt.datetime, now: dt.datetime) -> bool:
    """A high-intent request on a running standard first-contact clock: due = min(due, request + 4 h)."""
    if c.status != ClockStatus.RUNNING or c.kind != PolicyKind.FIRST_CONTACT:
        return False
    policy = SlaPolicy.objects.select_related("calendar").get(pk=c.policy_id)
    if policy.high_intent_target is None:
        return False
    timing = clock_due(c.started_at, policy, calendar_of(c, policy).spec(), high_intent=True, request_at=request_at,
                       due_at=c.due_at)
    if timing.due_at >= c.due_at:
        return False
    old = {"due_at": c.due_at.isoformat(), "warn_at": c.warn_at.isoformat()}
    c.due_at, c.warn_at, c.explanation = timing.due_at, timing.warn_at, timing.explanation
    c.high_intent, c.retarget_request_at, c.updated_at = True, request_at, now
    c.save(update_fields=["due_at", "warn_at", "explanation", "high_intent", "retarget_request_at", "updated_at"])
    _log(c, ClockEventKind.RETARGETED, now, old=old, new={"due_at": c.due_at.isoformat(),
                                                         "warn_at": c.warn_at.isoformat()},
         request_at=request_at.isoformat())
    return True


def _reassign(c: SlaClock, *, user_id: int | None, team_id: int | None, at: dt.datetime) -> None:
    if (c.accountable_user_id, c.team_id) == (user_id, team_id):
        return
    old = {"user": c.accountable_user_id, "team": c.team_id}
    c.accountable_user_id, c.team_id, c.updated_at = user_id, team_id, at
    c.save(update_fields=["accountable_user", "team", "updated_at"])
    _log(c, ClockEventKind.REASSIGNED, at, old=old, new={"user": user_id, "team": team_id})


# --- reactions -------------------------------------------------------------------------------------------


def _team_of(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id).values_list("team_id", flat=True).first()


def _start_first_contact(lead: Lead, *, at: dt.datetime, now: dt.datetime) -> None:
    user_team = _team_of(lead.owner_id)
    c = clock_start(lead=lead, kind=PolicyKind.FIRST_CONTACT, started_at=at, accountable=Accountable.REP,
                    user_id=lead.owner_id, team_id=user_team or lead.team_id, high_intent=lead.high_intent)
    if c is not None and lead.first_attempt_at is not None:  # attempted before it was assigned
        clock_meet(c, at=at, now=now, reason="attempt")


def on_mql(*, lead_id: int, at: dt.datetime, now: dt.datetime, cycle: int) -> None:
    """A lead became MQL: the SAL review and routing clocks start. A lead that already has an owner (assigned
    before it became MQL, or routed before this reaction ran) has routing met and first contact started at
    its assignment (or at the MQL moment, for an assignment before it)."""
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None or lead.recycle_count != cycle or lead.stage != Stage.MQL:
            return  # the lead moved on before this ran; the later events' reactions take it from there
        for old in _open_clocks(lead):
            if old.cycle < cycle:
                clock_cancel(old, at=at, now=now, reason="new_cycle")
        started = clocks_start(lead=lead, started_at=at, starts=[
            ClockStart(PolicyKind.SAL_REVIEW, Accountable.TEAM, team_id=lead.team_id),
            ClockStart(PolicyKind.ROUTING, Accountable.MARKETING_OPS, team_id=_marketing_team_id()),
        ])
        routing = started.get(PolicyKind.ROUTING)
        if lead.owner_id:
            assigned = max(at, lead.assigned_at or at)
            if routing is not None:
                clock_meet(routing, at=assigned, now=now, reason="assigned")
            _start_first_contact(lead, at=assigned, now=now)


def on_assigned(*, lead_id: int, rep_id: int | None, at: dt.datetime, now: dt.datetime) -> None:
    """Routing decided, a manager reassigned, or the owner was chosen on acceptance."""
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None:
            return
        clocks = [c for c in _open_clocks(lead) if c.cycle == lead.recycle_count]
        rep_team = User.objects.filter(pk=rep_id).values_list("team_id", flat=True).first() if rep_id else None
        for c in clocks:
            if c.kind == PolicyKind.ROUTING and rep_id is not None:
                clock_meet(c, at=at, now=now, reason="assigned")
            elif c.kind == PolicyKind.SAL_REVIEW:
                _reassign(c, user_id=None, team_id=rep_team or lead.team_id, at=at)
            elif c.kind in REP_KINDS and rep_id is not None:
                _reassign(c, user_id=rep_id, team_id=rep_team or lead.team_id, at=at)
        if rep_id is not None and lead.owner_id is not None and lead.stage in WORKED_STAGES \
                and lead.became_mql_at is not None and lead.became_mql_at <= at:
            _start_first_contact(lead, at=at, now=now)


def on_stage_changed(*, lead_id: int, source: str, target: str, cycle: int, override: bool, at: dt.datetime,
                     now: dt.datetime) -> None:
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None:
            return
        for c in _open_clocks(lead):
            if c.cycle < cycle:
                clock_cancel(c, at=at, now=now, reason="new_cycle")
                continue
            if c.cycle > cycle:
                continue
            _react(c, lead=lead, source=source, target=target, override=override, at=at, now=now)
        if target == Stage.SAL and lead.recycle_count == cycle and lead.stage == Stage.SAL:
            team = _team_of(lead.owner_id) or lead.team_id
            started = clocks_start(lead=lead, started_at=at, starts=[
                ClockStart(PolicyKind.TOUCH_CADENCE, Accountable.REP, user_id=lead.owner_id, team_id=team),
                ClockStart(PolicyKind.DISPOSITION, Accountable.REP, user_id=lead.owner_id, team_id=team),
            ])
            cadence = started.get(PolicyKind.TOUCH_CADENCE)
            if cadence is not None:
                _check_cadence(cadence, lead, now=now)


def _react(c: SlaClock, *, lead: Lead, source: str, target: str, override: bool, at: dt.datetime,
           now: dt.datetime) -> None:
    kind = c.kind
    if kind == PolicyKind.SAL_REVIEW:
        if source == Stage.MQL and target in (Stage.SAL, *OUT_STAGES):
            clock_meet(c, at=at, now=now, reason="accept" if target == Stage.SAL else "reject")
    elif kind == PolicyKind.ROUTING:
        if target == Stage.SAL and lead.owner_id:
            clock_meet(c, at=at, now=now, reason="accept")
        elif target in OUT_STAGES:
            clock_cancel(c, at=at, now=now, reason=target)
    elif kind == PolicyKind.FIRST_CONTACT:
        if target in OUT_STAGES:
            clock_cancel(c, at=at, now=now, reason=target)
        elif target in QUALIFIED_STAGES:
            clock_cancel(c, at=at, now=now, reason="qualified_without_attempt")
    elif kind == PolicyKind.TOUCH_CADENCE:
        if target in QUALIFIED_STAGES:
            clock_meet(c, at=at, now=now, reason="sql")
        elif target == Stage.DISQUALIFIED and override:
            breach_for_override(c, at=at, now=now)
        elif target in OUT_STAGES:
            clock_cancel(c, at=at, now=now, reason=target)
    elif kind == PolicyKind.DISPOSITION and target in (*QUALIFIED_STAGES, *OUT_STAGES):
        clock_meet(c, at=at, now=now, reason=target)


def breach_for_override(c: SlaClock, *, at: dt.datetime, now: dt.datetime) -> None:
    """A manager's override of an unmet cadence is itself recorded as a breach, at once."""
    if c.status == ClockStatus.RUNNING:
        record_breaches([c], now=now, causes={c.pk: Cause.OVERRIDE}, stopped_at={c.pk: max(at, c.started_at)},
                        reason="override")
    elif c.status == ClockStatus.BREACHED and c.stopped_at is None:
        clock_cancel(c, at=at, now=now, reason="override")


def on_cadence_override(*, lead_id: int, cycle: int, at: dt.datetime, now: dt.datetime) -> None:
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None:
            return
        for c in _open_clocks(lead, [PolicyKind.TOUCH_CADENCE]):
            if c.cycle == cycle:
                breach_for_override(c, at=at, now=now)


def _check_cadence(c: SlaClock, lead: Lead, *, now: dt.datetime) -> None:
    if SlaClock.policy.is_cached(c):  # a clock just started carries its policy
        required = c.policy.required_attempts or 6
    else:
        required = SlaPolicy.objects.filter(pk=c.policy_id).values_list("required_attempts", flat=True).first() or 6
    if lead.touch_attempts < required or lead.became_mql_at is None:
        return
    # the moment of the required-th attempt of this cycle (touches may be logged out of order)
    nth = (Touch.objects.filter(lead=lead, counts_as_attempt=True, cycle=lead.recycle_count,
                                occurred_at__gte=lead.became_mql_at)
           .order_by("occurred_at", "id").values_list("occurred_at", flat=True)[required - 1:required].first())
    clock_meet(c, at=min(nth or now, now), now=now, reason="attempts")


def on_touch(*, lead_id: int, counts: bool, at: dt.datetime, now: dt.datetime) -> None:
    """An attempt stops first contact (at the first attempt) and, at the required count, the cadence."""
    if not counts:
        return
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None or lead.first_attempt_at is None:
            return
        for c in _open_clocks(lead, [PolicyKind.FIRST_CONTACT, PolicyKind.TOUCH_CADENCE]):
            if c.cycle != lead.recycle_count:
                continue
            if c.kind == PolicyKind.FIRST_CONTACT:
                clock_meet(c, at=min(lead.first_attempt_at, at), now=now, reason="attempt")
            else:
                _check_cadence(c, lead, now=now)


def on_high_intent(*, lead_id: int, occurred_at: dt.datetime, now: dt.datetime) -> None:
    """A high-intent request (scoring's ``lead.high_intent``: a demo request on a lead already in the
    funnel) pulls a running standard first-contact clock in: due = min(due, request + 4 h)."""
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        if lead is None:
            return
        for c in _open_clocks(lead, [PolicyKind.FIRST_CONTACT]):
            if c.cycle == lead.recycle_count:
                clock_retarget(c, request_at=min(occurred_at, now), now=now)
