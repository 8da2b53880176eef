"""Business time on a weekly calendar with holidays, in a time zone. Pure: no database, no clock.

A calendar (``CalendarSpec``) is a time zone, weekly working intervals in local time (several per day)
and holidays (whole local dates). Business time is *real elapsed time* spent inside a working interval
on a non-holiday date, so:

- a 24x7 calendar counts wall-clock time, in every zone and across daylight-saving changes (a
  spring-forward day has 23 business hours, a fall-back day 25);
- ``09:00-17:00`` on a spring-forward day is still 8 hours unless the jump falls inside the interval;
- an interval boundary that falls in a daylight-saving gap (a local time that does not exist) moves
  forward by the gap (PEP 495's ``fold=0``); one in a repeated hour means its first occurrence.

Speed: each calendar compiles, once, into sorted UTC working segments (integer microseconds since
the epoch) with a running total of business time before each segment, over a window of years that
grows on demand. ``add_business_time`` and ``business_time_between`` are then two binary searches
(a few microseconds; see bench/sla_bench.py), and the 24x7 calendar is plain arithmetic.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_US = dt.timedelta(microseconds=1)
MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
INITIAL_YEARS_BEFORE = 1
INITIAL_YEARS_AFTER = 3
EXTEND_BY_YEARS = 4
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
MAX_YEARS = 400  # a calendar with so little working time that a due time is centuries away is refused


class CalendarError(ValueError):
    """A calendar that cannot be used; ``field`` names the offending input (``working_hours[2].end``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, order=True)
class WorkingInterval:
    """``start``/``end`` are minutes after local midnight, ``0 <= start < end <= 1440`` (1440 = 24:00)."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "start": format_minutes(self.start), "end": format_minutes(self.end)}


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hhmm(value: Any, field: str) -> int:
    """"09:30" -> 570; "24:00" is allowed (the end of the day)."""
    if not isinstance(value, str) or not _HHMM.match(value):
        raise CalendarError(field, "Use HH:MM (00:00 to 24:00).")
    hours, minutes = int(value[:2]), int(value[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise CalendarError(field, "Use HH:MM (00:00 to 24:00).")
    return hours * 60 + minutes


def validate_time_zone(name: Any, field: str = "time_zone") -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError(field, "A time zone name is required (e.g. Europe/Berlin).")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarError(field, f"Unknown time zone {name!r}.") from exc


def parse_working_hours(raw: Any, field: str = "working_hours") -> tuple[WorkingInterval, ...]:
    """Validate ``[{"weekday": 0, "start": "09:00", "end": "12:30"}, ...]``.

    Refused (``CalendarError`` naming the item): a weekday outside 0-6, a malformed time, an inverted or
    empty interval (end <= start; an overnight shift is two intervals, one each side of midnight), two
    intervals of one day that overlap, and a week with no working time at all. Touching intervals
    (12:00-13:00 and 13:00-17:00) are fine and count as one.
    """
    if not isinstance(raw, list | tuple):
        raise CalendarError(field, "A list of {weekday, start, end} intervals is required.")
    intervals: list[tuple[WorkingInterval, int]] = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            raise CalendarError(where, "Each interval is an object {weekday, start, end}.")
        unknown = set(item) - {"weekday", "start", "end"}
        if unknown:
            raise CalendarError(f"{where}.{sorted(unknown)[0]}", "Unknown key.")
        weekday = item.get("weekday")
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise CalendarError(f"{where}.weekday", "A weekday from 0 (Monday) to 6 (Sunday) is required.")
        start = parse_hhmm(item.get("start"), f"{where}.start")
        end = parse_hhmm(item.get("end"), f"{where}.end")
        if end <= start:
            raise CalendarError(
                f"{where}.end", "Must be after start (an interval over midnight is two intervals)."
            )
        intervals.append((WorkingInterval(weekday, start, end), index))
    if not intervals:
        raise CalendarError(field, "At least one working interval is required.")
    intervals.sort(key=lambda pair: (pair[0].weekday, pair[0].start))
    for (a, _), (b, b_index) in zip(intervals, intervals[1:], strict=False):
        if a.weekday == b.weekday and b.start < a.end:
            raise CalendarError(
                f"{field}[{b_index}]",
                f"Overlaps {format_minutes(a.start)}-{format_minutes(a.end)} on {WEEKDAYS[a.weekday]}.",
            )
    return tuple(interval for interval, _ in intervals)


ALWAYS = tuple(WorkingInterval(day, 0, MINUTES_PER_DAY) for day in range(7))


def _epoch_us(moment: dt.datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return (moment - EPOCH) // ONE_US


def _from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


@dataclass(frozen=True)
class _Tables:
    """Working segments of the years ``y0..y1`` in UTC microseconds, with running business totals."""

    y0: int
    y1: int
    starts: list[int]
    ends: list[int]
    cum: list[int]  # business us before segment i
    cum_end: list[int]  # business us up to the end of segment i

    def position(self, us: int) -> int:
        """Business us from the start of the window to ``us``."""
        i = bisect.bisect_right(self.starts, us) - 1
        if i < 0:
            return 0
        return self.cum[i] + min(us, self.ends[i]) - self.starts[i]


class CalendarSpec:
    """An immutable, compiled business calendar. Build once (the model caches it per version) and reuse."""

    def __init__(
        self,
        *,
        time_zone: str = "UTC",
        hours: Iterable[WorkingInterval] | None = None,
        holidays: Mapping[dt.date, str] | Iterable[dt.date] = (),
        name: str = "",
    ):
        self.name = name
        self.time_zone = time_zone
        self.zone = validate_time_zone(time_zone)
        merged: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
        for interval in sorted(ALWAYS if hours is None else hours):
            day = merged[interval.weekday]
            if day and interval.start <= day[-1][1]:  # touching or overlapping: one interval
                day[-1] = (day[-1][0], max(day[-1][1], interval.end))
            else:
                day.append((interval.start, interval.end))
        if not any(merged.values()):
            raise CalendarError("working_hours", "At least one working interval is required.")
        self.week: tuple[tuple[tuple[int, int], ...], ...] = tuple(tuple(merged[d]) for d in range(7))
        if isinstance(holidays, Mapping):
            self.holidays: dict[dt.date, str] = dict(holidays)
        else:
            self.holidays = {day: "" for day in holidays}
        self.holiday_dates: list[dt.date] = sorted(self.holidays)
        self.always_open = not self.holidays and all(day == ((0, MINUTES_PER_DAY),) for day in self.week)
        self._lock = threading.Lock()
        self._tables: _Tables | None = None

    # --- compilation ------------------------------------------------------------------------------

    def _midnight_offset(self, day: dt.date) -> int:
        """UTC offset (us) of the zone at local midnight of ``day`` (a wall time, so naive by design)."""
        offset = self.zone.utcoffset(dt.datetime(day.year, day.month, day.day))  # noqa: DTZ001
        return 0 if offset is None else offset // ONE_US

    def _local_to_us(self, day: dt.date, minutes: int) -> int:
        naive = dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minutes)  # noqa: DTZ001
        return _epoch_us(naive.replace(tzinfo=self.zone))

    def _compile(self, y0: int, y1: int) -> _Tables:
        starts: list[int] = []
        ends: list[int] = []
        day = dt.date(y0, 1, 1)
        last = dt.date(y1, 12, 31)
        one = dt.timedelta(days=1)
        holidays, week = self.holidays, self.week
        previous_end = -(2**62)
        ordinal = day.toordinal()
        midnight_offset = self._midnight_offset(day)
        while day <= last:
            following = day + one
            next_offset = self._midnight_offset(following)
            intervals = week[day.weekday()]
            if intervals and day not in holidays:
                base = (ordinal - EPOCH_ORDINAL) * DAY_US
                steady = midnight_offset == next_offset  # no daylight-saving change today: one offset
                for start_min, end_min in intervals:
                    if steady:
                        start = base + start_min * MINUTE_US - midnight_offset
                        end = base + end_min * MINUTE_US - midnight_offset
                    else:
                        start = self._local_to_us(day, start_min)
                        end = self._local_to_us(day, end_min)
                    start = max(start, previous_end)  # clamp inside DST gaps
                    if end <= start:
                        continue
                    if starts and start == ends[-1]:  # 24:00 of one day meets 00:00 of the next
                        ends[-1] = end
                    else:
                        starts.append(start)
                        ends.append(end)
                    previous_end = end
            day, ordinal, midnight_offset = following, ordinal + 1, next_offset
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            cum.append(total)
            total += end - start
            cum_end.append(total)
        return _Tables(y0, y1, starts, ends, cum, cum_end)

    def _cover(self, *moments_us: int) -> _Tables:
        """The compiled tables, covering these instants with a year to spare on each side."""
        years = [_from_us(us).year for us in moments_us]
        return self._cover_years(min(years) - 1, max(years) + 1)

    def _cover_years(self, low: int, high: int) -> _Tables:
        tables = self._tables
        if tables is not None and tables.y0 <= low and high <= tables.y1:
            return tables
        with self._lock:
            tables = self._tables
            if tables is not None and tables.y0 <= low and high <= tables.y1:
                return tables
            if tables is None:
                y0, y1 = low - INITIAL_YEARS_BEFORE + 1, high + INITIAL_YEARS_AFTER - 1
            else:
                y0 = min(tables.y0, low - EXTEND_BY_YEARS + 1) if low < tables.y0 else tables.y0
                y1 = max(tables.y1, high + EXTEND_BY_YEARS - 1) if high > tables.y1 else tables.y1
            y0, y1 = max(y0, 2), min(y1, 9997)
            if y1 - y0 > MAX_YEARS:
                raise CalendarError("working_hours", "The calendar has too little working time for this duration.")
            tables = self._compile(y0, y1)
            self._tables = tables  # one assignment: readers see the old tables or the new ones
            return tables

    # --- the two operations ---------------------------------------------------------------------

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        if duration == dt.timedelta(0):
            return start
        if self.always_open:  # in UTC: same-zone datetime arithmetic in Python is wall-clock arithmetic
            return (start.astimezone(dt.UTC) + duration).astimezone(start.tzinfo)
        start_us = _epoch_us(start)
        amount = duration // ONE_US
        tables = self._cover(start_us)
        while True:
            target = tables.position(start_us) + amount
            j = bisect.bisect_left(tables.cum_end, target)
            if j < len(tables.cum_end):
                return _from_us(tables.starts[j] + (target - tables.cum[j])).astimezone(start.tzinfo)
            # past the compiled window: grow it by a few years and search again
            if tables.y1 >= 9997:
                raise OverflowError("due time beyond the year 9997")
            tables = self._cover_years(tables.y0, tables.y1 + 1)

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        if self.always_open:
            return b.astimezone(dt.UTC) - a.astimezone(dt.UTC)
        a_us, b_us = _epoch_us(a), _epoch_us(b)
        if b_us < a_us:
            return -self.between(b, a)
        tables = self._cover(a_us, b_us)
        return dt.timedelta(microseconds=tables.position(b_us) - tables.position(a_us))

    # --- explanation ----------------------------------------------------------------------------

    def describe_hours(self) -> str:
        if all(day == ((0, MINUTES_PER_DAY),) for day in self.week):
            return "24x7"
        parts = []
        index = 0
        while index < 7:  # runs of days with the same hours: "Mon-Fri 09:00-17:00"
            intervals = self.week[index]
            end = index
            while end + 1 < 7 and self.week[end + 1] == intervals:
                end += 1
            if intervals:
                days = WEEKDAYS[index].capitalize() + (f"-{WEEKDAYS[end].capitalize()}" if end > index else "")
                spans = ", ".join(f"{format_minutes(s)}-{format_minutes(e)}" for s, e in intervals)
                parts.append(f"{days} {spans}")
            index = end + 1
        return "; ".join(parts)

    def holidays_within(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        lo = bisect.bisect_left(self.holiday_dates, first)
        hi = bisect.bisect_right(self.holiday_dates, last)
        return [(day, self.holidays[day]) for day in self.holiday_dates[lo:hi]]


def add_business_time(start: dt.datetime, duration: dt.timedelta, calendar: CalendarSpec) -> dt.datetime:
    """The earliest moment by which ``duration`` of business time has elapsed since ``start``.

    A zero duration answers ``start`` itself. A due time that lands exactly on the end of a working
    interval is that end (Friday 17:00), not the start of the next one (Monday 09:00).
    """
    return calendar.add(start, duration)


def business_time_between(a: dt.datetime, b: dt.datetime, calendar: CalendarSpec) -> dt.timedelta:
    """Business time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    return calendar.between(a, b)


def iso_duration(value: dt.timedelta, *, days: bool = True) -> str:
    """PT4H, PT24H, P14D, PT5M, P2DT2H30M, PT0S. Days (24 hours each) are written from two days on, so a
    day-long target reads PT24H; ``days=False`` always writes hours (PT36H)."""
    if value < dt.timedelta(0):
        return "-" + iso_duration(-value, days=days)
    seconds = value.seconds
    in_days = days and value >= dt.timedelta(days=2)
    if not in_days:
        seconds += value.days * 86400
    days_part = value.days if in_days else 0
    micro = value.microseconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days_part}D" if days_part else "")
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if secs or micro:
        time_part += f"{secs}.{micro:06d}".rstrip("0").rstrip(".") + "S"
    if time_part:
        out += "T" + time_part
    return out if out != "P" else "PT0S"


def explain_due(start: dt.datetime, due: dt.datetime, calendar: CalendarSpec) -> dict[str, Any]:
    """Why ``due`` is when it is: the calendar, its zone, its hours, the holidays and closed days skipped."""
    zone = calendar.zone
    local_start, local_due = start.astimezone(zone), due.astimezone(zone)
    business = calendar.between(start, due)
    skipped = []
    closed_days = 0
    if not calendar.always_open:
        for day, name in calendar.holidays_within(local_start.date(), local_due.date()):
            if calendar.week[day.weekday()]:
                skipped.append({"date": day.isoformat(), "name": name})
        day = local_start.date()
        while day <= local_due.date() and closed_days < 10_000:
            if not calendar.week[day.weekday()] and day not in calendar.holidays:
                closed_days += 1
            day += dt.timedelta(days=1)
    label = calendar.name or "calendar"
    text = (f"Due {local_due:%a %Y-%m-%d %H:%M} {calendar.time_zone}: "
            f"{iso_duration(business, days=False)} of business time "
            f"on {label!r} ({calendar.describe_hours()}) from {local_start:%a %Y-%m-%d %H:%M}")
    if skipped:
        text += "; skipping " + ", ".join(f"{h['date']} ({h['name'] or 'holiday'})" for h in skipped)
    if closed_days:
        text += f"; {closed_days} closed day(s) skipped"
    return {
        "calendar": calendar.name,
        "time_zone": calendar.time_zone,
        "hours": calendar.describe_hours(),
        "always_open": calendar.always_open,
        "started_local": local_start.isoformat(),
        "due_local": local_due.isoformat(),
        "business_duration": iso_duration(business, days=False),
        "wall_duration": iso_duration(due.astimezone(dt.UTC) - start.astimezone(dt.UTC), days=False),
        "holidays_skipped": skipped,
        "closed_days_skipped": closed_days,
        "text": text + ".",
    }
