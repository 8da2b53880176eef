"""Writers of calendars and policies: versioned policies, calendar edits, the iCalendar import, the
seeded defaults, and the on-purpose recalculation of running clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from leadops import clock
from leadops.errors import Conflict, RuleViolation
from leadops.models import User
from sla import ical
from sla.calendar_math import CalendarError, CalendarSpec, parse_working_hours, validate_time_zone
from sla.models import (
    ALWAYS_OPEN_HOURS,
    DEFAULT_CALENDAR_NAME,
    POLICY_DEFAULTS,
    BusinessCalendar,
    ClockEventKind,
    ClockStatus,
    Holiday,
    PolicyKind,
    SlaClock,
    SlaClockEvent,
    SlaPolicy,
    SlaSettings,
)
from sla.services.timing import clock_due

MAX_TARGET = dt.timedelta(days=366)
MAX_HOLIDAYS = 5000


def invalid(field: str, message: str) -> RuleViolation:
    return RuleViolation(f"{field}: {message}", code="validation_error", details={"fields": {field: [message]}})


# --- calendars ---------------------------------------------------------------------------------------


def _clean_holidays(holidays: Any) -> dict[dt.date, str]:
    if not isinstance(holidays, list | tuple):
        raise invalid("holidays", "A list of {date, name} is required.")
    if len(holidays) > MAX_HOLIDAYS:
        raise invalid("holidays", f"At most {MAX_HOLIDAYS} holidays.")
    cleaned: dict[dt.date, str] = {}
    for index, item in enumerate(holidays):
        day = item.get("date") if isinstance(item, dict) else None
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                day = None
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise invalid(f"holidays[{index}].date", "A date (YYYY-MM-DD) is required.")
        if day in cleaned:
            raise invalid(f"holidays[{index}].date", f"{day} is listed twice.")
        cleaned[day] = str(item.get("name") or "")[:200]
    return cleaned


def _check_calendar(time_zone: str, working_hours: Any) -> list[dict[str, Any]]:
    try:
        validate_time_zone(time_zone)
        intervals = parse_working_hours(working_hours)
    except CalendarError as exc:
        raise invalid(exc.field, exc.message) from exc
    return [interval.as_dict() for interval in intervals]


@transaction.atomic
def calendar_create(*, name: str, time_zone: str = "UTC", working_hours: Any = None, holidays: Any = None,
                    is_default: bool = False) -> BusinessCalendar:
    hours = _check_calendar(time_zone, ALWAYS_OPEN_HOURS if working_hours is None else working_hours)
    days = _clean_holidays(holidays or [])
    if BusinessCalendar.objects.filter(name__iexact=name).exists():
        raise Conflict(f"A calendar named {name!r} already exists.", code="duplicate",
                       details={"fields": {"name": ["Already taken."]}})
    now = clock.now()
    if is_default:
        BusinessCalendar.objects.filter(is_default=True).update(is_default=False, updated_at=now)
    calendar = BusinessCalendar.objects.create(name=name, time_zone=time_zone, working_hours=hours,
                                               is_default=is_default, created_at=now, updated_at=now)
    Holiday.objects.bulk_create([Holiday(calendar=calendar, date=d, name=n) for d, n in sorted(days.items())])
    return calendar


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, **fields: Any) -> BusinessCalendar:
    """Edit a calendar: its version grows, so clocks started from now on use the new hours. Running
    clocks keep their due times (domain.md section 6) unless an admin recalculates them."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    time_zone = fields.get("time_zone", calendar.time_zone)
    hours = fields.get("working_hours", calendar.working_hours)
    calendar.working_hours = _check_calendar(time_zone, hours)
    calendar.time_zone = time_zone
    if "name" in fields and fields["name"] != calendar.name:
        if BusinessCalendar.objects.filter(name__iexact=fields["name"]).exclude(pk=calendar.pk).exists():
            raise Conflict(f"A calendar named {fields['name']!r} already exists.", code="duplicate",
                           details={"fields": {"name": ["Already taken."]}})
        calendar.name = fields["name"]
    now = clock.now()
    if fields.get("is_default") and not calendar.is_default:
        BusinessCalendar.objects.filter(is_default=True).update(is_default=False, updated_at=now)
        calendar.is_default = True
    elif fields.get("is_default") is False and calendar.is_default:
        raise invalid("is_default", "Make another calendar the default instead.")
    if "holidays" in fields:
        days = _clean_holidays(fields["holidays"])
        Holiday.objects.filter(calendar=calendar).delete()
        Holiday.objects.bulk_create([Holiday(calendar=calendar, date=d, name=n) for d, n in sorted(days.items())])
    calendar.version += 1
    calendar.updated_at = now
    calendar.save()
    return calendar


@transaction.atomic
def calendar_import_ics(*, calendar: BusinessCalendar, text: str, replace: bool = False) -> dict[str, Any]:
    """Add (or, with ``replace``, set) the holidays of an iCalendar text. Existing dates keep their name."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    try:
        parsed = ical.parse_holidays(text, time_zone=calendar.time_zone)
    except ical.IcsError as exc:
        raise invalid("ics", str(exc)) from exc
    if replace:
        Holiday.objects.filter(calendar=calendar).delete()
    existing = set(Holiday.objects.filter(calendar=calendar).values_list("date", flat=True))
    new = [Holiday(calendar=calendar, date=d, name=n) for d, n in sorted(parsed.holidays.items()) if d not in existing]
    if len(existing) + len(new) > MAX_HOLIDAYS:
        raise invalid("ics", f"A calendar holds at most {MAX_HOLIDAYS} holidays.")
    Holiday.objects.bulk_create(new)
    calendar.version += 1
    calendar.updated_at = clock.now()
    calendar.save(update_fields=["version", "updated_at"])
    return {"events": parsed.events, "holidays_found": len(parsed.holidays), "created": len(new),
            "already_present": len(parsed.holidays) - len(new), "skipped": parsed.skipped}


def default_calendar() -> BusinessCalendar:
    found = BusinessCalendar.objects.filter(is_default=True).first()
    return found if found is not None else ensure_defaults()


def ensure_defaults() -> BusinessCalendar:
    """Seed the 24x7 default calendar, version 1 of each policy kind that has no version at all, and the
    settings row. Idempotent (runs after every migrate and flush); never re-creates a kind an admin
    switched off."""
    with transaction.atomic():
        calendar = BusinessCalendar.objects.filter(is_default=True).first()
        if calendar is None:
            calendar, _ = BusinessCalendar.objects.get_or_create(
                name=DEFAULT_CALENDAR_NAME,
                defaults={"time_zone": "UTC", "working_hours": ALWAYS_OPEN_HOURS, "is_default": True},
            )
            if not calendar.is_default:
                calendar.is_default = True
                calendar.save(update_fields=["is_default"])
        have = set(SlaPolicy.objects.values_list("kind", flat=True).distinct())
        for kind, values in POLICY_DEFAULTS.items():
            if kind not in have:
                SlaPolicy.objects.create(kind=kind, version=1, calendar=calendar, active=True,
                                         note="domain.md default", **values)  # type: ignore[arg-type]
        SlaSettings.objects.get_or_create(pk=1)
    return calendar


# --- policies ----------------------------------------------------------------------------------------

POLICY_FIELDS = ("target", "high_intent_target", "required_attempts", "calendar", "use_team_calendar",
                 "warn_fraction", "note")


def validate_policy(kind: str, values: dict[str, Any]) -> None:
    """422 naming the field: targets positive (at most a year), high intent only for first contact and
    no longer than the standard target, attempts only for the cadence, a warn fraction in (0, 1)."""
    if kind not in PolicyKind.values:
        raise invalid("kind", f"One of: {', '.join(PolicyKind.values)}.")
    target = values.get("target")
    if not isinstance(target, dt.timedelta) or target <= dt.timedelta(0):
        raise invalid("target", "A positive ISO 8601 duration is required (e.g. PT24H, P14D).")
    if target > MAX_TARGET:
        raise invalid("target", "At most P366D.")
    high = values.get("high_intent_target")
    if high is not None:
        if kind != PolicyKind.FIRST_CONTACT:
            raise invalid("high_intent_target", "Only first_contact has a high-intent target.")
        if not isinstance(high, dt.timedelta) or high <= dt.timedelta(0):
            raise invalid("high_intent_target", "A positive ISO 8601 duration is required (e.g. PT4H).")
        if high > target:
            raise invalid("high_intent_target", "Must not be longer than target.")
    attempts = values.get("required_attempts")
    if kind == PolicyKind.TOUCH_CADENCE:
        if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100:
            raise invalid("required_attempts", "A whole number from 1 to 100 is required for touch_cadence.")
    elif attempts is not None:
        raise invalid("required_attempts", "Only touch_cadence counts attempts.")
    fraction = values.get("warn_fraction")
    if not isinstance(fraction, int | float) or isinstance(fraction, bool) or not 0 < float(fraction) < 1:
        raise invalid("warn_fraction", "Must be strictly between 0 and 1 (e.g. 0.75).")
    if not isinstance(values.get("calendar"), BusinessCalendar):
        raise invalid("calendar", "A calendar is required.")


def _new_version(kind: str, values: dict[str, Any], *, active: bool, actor: User | None) -> SlaPolicy:
    validate_policy(kind, values)
    # lock the kind's versions: version numbers and the one-active rule are decided under the lock
    versions = list(SlaPolicy.objects.select_for_update().filter(kind=kind).order_by("version"))
    number = (versions[-1].version if versions else 0) + 1
    now = clock.now()
    if active:
        SlaPolicy.objects.filter(kind=kind, active=True).update(active=False)
    try:
        with transaction.atomic():
            return SlaPolicy.objects.create(
                kind=kind, version=number, active=active, created_by=actor, created_at=now,
                target=values["target"], high_intent_target=values.get("high_intent_target"),
                required_attempts=values.get("required_attempts"), calendar=values["calendar"],
                use_team_calendar=bool(values.get("use_team_calendar", True)),
                warn_fraction=float(values["warn_fraction"]), note=values.get("note") or "",
            )
    except IntegrityError as exc:
        raise Conflict("Another version of this policy was saved at the same moment; try again.",
                       code="concurrent_change") from exc


@transaction.atomic
def policy_create(*, kind: str, target: dt.timedelta, calendar: BusinessCalendar | None = None,
                  high_intent_target: dt.timedelta | None = None, required_attempts: int | None = None,
                  warn_fraction: float = 0.75, active: bool = True, note: str = "",
                  use_team_calendar: bool | None = None, actor: User | None = None) -> SlaPolicy:
    """A new version of ``kind`` (version 1 if it has none); active by default, replacing the active one.
    ``use_team_calendar`` defaults to the kind's seed (yes for the hour-scale kinds, no for the two-week ones)."""
    if use_team_calendar is None:
        use_team_calendar = bool(POLICY_DEFAULTS.get(kind, {}).get("use_team_calendar", True))
    values = {"target": target, "high_intent_target": high_intent_target, "required_attempts": required_attempts,
              "calendar": calendar or default_calendar(), "use_team_calendar": use_team_calendar,
              "warn_fraction": warn_fraction, "note": note}
    return _new_version(kind, values, active=active, actor=actor)


@transaction.atomic
def policy_update(*, policy: SlaPolicy, actor: User | None = None, **changes: Any) -> SlaPolicy:
    """Editing never changes a version: it writes version n+1 from this one plus ``changes``.

    ``{"active": true|false}`` alone switches this version on (rolling back to it) or off (the kind then
    starts no clocks) without a new version. A new version is active if the kind had an active version,
    unless ``active`` says otherwise. Running clocks keep their version (``clocks_recalculate``).
    """
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    settings_changed = {k: v for k, v in changes.items() if k in POLICY_FIELDS and getattr(policy, k) != v}
    active = changes.get("active")
    if not settings_changed:
        if active is None or active == policy.active:
            return policy
        if active:
            SlaPolicy.objects.filter(kind=policy.kind, active=True).update(active=False)
        policy.active = bool(active)
        policy.save(update_fields=["active"])
        return policy
    values = {name: getattr(policy, name) for name in POLICY_FIELDS}
    values.update(settings_changed)
    if active is None:
        active = SlaPolicy.objects.filter(kind=policy.kind, active=True).exists()
    return _new_version(policy.kind, values, active=bool(active), actor=actor)


def clocks_recalculate(*, kind: str, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Move the running clocks of ``kind`` onto the active version, on purpose (an admin's action).
    Due and warning times are recomputed from each clock's start; a high-intent re-target is kept
    (the earlier due wins). Returns how many clocks changed."""
    now = now or clock.now()
    policy = SlaPolicy.objects.select_related("calendar").filter(kind=kind, active=True).first()
    if policy is None:
        raise RuleViolation(f"No active {kind} policy to recalculate onto.", code="no_active_policy",
                            details={"fields": {"kind": ["No active version."]}})
    spec: CalendarSpec = policy.calendar.spec()
    changed = 0
    while True:
        with transaction.atomic():
            clocks = list(SlaClock.objects.select_for_update(skip_locked=True)
                          .filter(kind=kind, status=ClockStatus.RUNNING).exclude(policy=policy)
                          .order_by("id")[:batch_size])
            if not clocks:
                return changed
            team_calendars = BusinessCalendar.objects.in_bulk({c.calendar_id for c in clocks if c.calendar_id})
            history = []
            for c in clocks:
                old = {"due_at": c.due_at.isoformat(), "warn_at": c.warn_at.isoformat(),
                       "policy_version": c.policy_version}
                on = team_calendars[c.calendar_id].spec() if c.calendar_id else spec  # a team's calendar stays
                timing = clock_due(c.started_at, policy, on, high_intent=c.high_intent,
                                   request_at=c.retarget_request_at)
                c.policy, c.policy_version = policy, policy.version
                c.due_at, c.warn_at, c.explanation = timing.due_at, timing.warn_at, timing.explanation
                c.updated_at = now
                history.append(SlaClockEvent(clock=c, kind=ClockEventKind.RECALCULATED, occurred_at=now, data={
                    "old": old, "new": {"due_at": c.due_at.isoformat(), "warn_at": c.warn_at.isoformat(),
                                        "policy_version": policy.version}}))
            SlaClock.objects.bulk_update(clocks, ["policy", "policy_version", "due_at", "warn_at", "explanation",
                                                  "updated_at"])
            SlaClockEvent.objects.bulk_create(history)
            changed += len(clocks)


def policy_max_version(kind: str) -> int:
    return SlaPolicy.objects.filter(kind=kind).aggregate(m=Max("version"))["m"] or 0
