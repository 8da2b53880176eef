"""A small iCalendar (RFC 5545) reader for holiday calendars: whole days out of VEVENTs. Pure.

Read: ``DTSTART`` (a date, ``VALUE=DATE``, or a date-time in UTC, with ``TZID`` or floating: its
date in that zone, else in the calendar's zone), ``DTEND`` (exclusive, as RFC 5545 says: a
three-day event is three holidays; at most 366 days), ``SUMMARY`` (the holiday's name, unescaped),
``RRULE`` with ``FREQ=YEARLY`` (bounded by ``COUNT`` or ``UNTIL``; unbounded rules are expanded up
to ``horizon_years`` years). Other recurrence rules, cancelled events (``STATUS:CANCELLED``) and events
without a start are skipped and reported, never guessed. Folded lines are unfolded.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

MAX_EVENT_DAYS = 366
MAX_BYTES = 1_000_000
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")


class IcsError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass
class IcsResult:
    holidays: dict[dt.date, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    events: int = 0


def _unfold(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if raw[:1] in (" ", "\t") and lines:
            first, previous = lines[-1]
            lines[-1] = (first, previous + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    """'DTSTART;VALUE=DATE:20261225' -> ('DTSTART', {'VALUE': 'DATE'}, '20261225')."""
    head, sep, value = line.partition(":")
    if not sep:
        raise ValueError("no ':' in a content line")
    name, *params = head.split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.upper()] = val.strip('"')
    return name.upper(), parsed, value


def _unescape(text: str) -> str:
    return (text.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";")
            .replace("\\\\", "\\")).strip()


def _date_of(value: str, params: dict[str, str], zone: zoneinfo.ZoneInfo, line: int) -> dt.date:
    value = value.strip()
    match = _DATE.match(value)
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError as exc:
            raise IcsError(f"invalid date {value!r}", line) from exc
    match = _DATETIME.match(value)
    if not match:
        raise IcsError(f"invalid date or date-time {value!r}", line)
    y, mo, d, h, mi, s, utc = match.groups()
    try:
        moment = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s), 59))  # noqa: DTZ001 - a wall time
    except ValueError as exc:
        raise IcsError(f"invalid date-time {value!r}", line) from exc
    if utc:
        return moment.replace(tzinfo=dt.UTC).astimezone(zone).date()
    if "TZID" in params:
        try:
            source = zoneinfo.ZoneInfo(params["TZID"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise IcsError(f"unknown TZID {params['TZID']!r}", line) from exc
        return moment.replace(tzinfo=source).astimezone(zone).date()
    return moment.date()  # floating time: the local date as written


def _yearly(start: dt.date, rule: str, horizon_years: int, line: int) -> list[dt.date] | None:
    parts = dict(part.partition("=")[::2] for part in rule.upper().split(";") if part)
    if parts.get("FREQ") != "YEARLY" or set(parts) - {"FREQ", "COUNT", "UNTIL", "INTERVAL"}:
        return None
    interval = int(parts.get("INTERVAL", "1") or 1)
    count = int(parts["COUNT"]) if parts.get("COUNT", "").isdigit() else None
    until = None
    if parts.get("UNTIL"):
        raw = parts["UNTIL"][:8]
        if not _DATE.match(raw):
            raise IcsError(f"invalid UNTIL {parts['UNTIL']!r}", line)
        until = dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    days: list[dt.date] = []
    year = start.year
    while len(days) < 1000:
        if count is not None and len(days) >= count:
            break
        if count is None and until is None and year > start.year + horizon_years:
            break
        try:
            day = start.replace(year=year)
        except ValueError:  # 29 February in a common year
            year += interval
            continue
        if until is not None and day > until:
            break
        days.append(day)
        year += interval
    return days


def parse_holidays(text: str, *, time_zone: str = "UTC", horizon_years: int = 10) -> IcsResult:
    """Holidays (date -> name) from an iCalendar text. Raises ``IcsError`` for text that is not iCalendar."""
    if len(text.encode("utf-8", "ignore")) > MAX_BYTES:
        raise IcsError("the file is larger than 1 MB")
    zone = zoneinfo.ZoneInfo(time_zone)
    lines = _unfold(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise IcsError("not an iCalendar file (it must start with BEGIN:VCALENDAR)", lines[0][0] if lines else None)
    result = IcsResult()
    event: dict[str, tuple[dict[str, str], str, int]] | None = None
    begin_line = 0
    for number, line in lines:
        try:
            name, params, value = _split(line)
        except ValueError as exc:
            raise IcsError(str(exc), number) from exc
        if name == "BEGIN" and value.strip().upper() == "VEVENT":
            event, begin_line = {}, number
            continue
        if name == "END" and value.strip().upper() == "VEVENT":
            if event is not None:
                result.events += 1
                _take(event, result, zone, begin_line, horizon_years)
            event = None
            continue
        if event is not None and name in ("DTSTART", "DTEND", "SUMMARY", "RRULE", "STATUS") and name not in event:
            event[name] = (params, value, number)
    if event is not None:
        raise IcsError("a VEVENT is not closed (END:VEVENT missing)", begin_line)
    return result


def _take(event: dict[str, tuple[dict[str, str], str, int]], result: IcsResult, zone: zoneinfo.ZoneInfo,
          line: int, horizon_years: int) -> None:
    summary = _unescape(event["SUMMARY"][1]) if "SUMMARY" in event else ""
    label = summary or f"event at line {line}"
    if "DTSTART" not in event:
        result.skipped.append(f"{label}: no DTSTART")
        return
    if "STATUS" in event and event["STATUS"][1].strip().upper() == "CANCELLED":
        result.skipped.append(f"{label}: cancelled")
        return
    params, value, number = event["DTSTART"]
    start = _date_of(value, params, zone, number)
    length = 1
    if "DTEND" in event:
        end_params, end_value, end_number = event["DTEND"]
        end = _date_of(end_value, end_params, zone, end_number)
        all_day = _DATE.match(value.strip()) is not None
        length = (end - start).days if all_day else (end - start).days + 1
        if length < 1:
            length = 1
        if length > MAX_EVENT_DAYS:
            result.skipped.append(f"{label}: longer than {MAX_EVENT_DAYS} days")
            return
    starts = [start]
    if "RRULE" in event:
        expanded = _yearly(start, event["RRULE"][1], horizon_years, event["RRULE"][2])
        if expanded is None:
            result.skipped.append(f"{label}: only yearly recurrence (FREQ=YEARLY) is supported")
            return
        starts = expanded
    for first in starts:
        for offset in range(length):
            day = first + dt.timedelta(days=offset)
            result.holidays.setdefault(day, summary[:200])
