"""Business time: a golden table (DST, midnight, weekends, holidays, several intervals a day), hypothesis
properties, the explanation of a due time, and the iCalendar reader. Pure: no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import ical
from sla.calendar_math import (
    CalendarError,
    CalendarSpec,
    add_business_time,
    business_time_between,
    explain_due,
    iso_duration,
    parse_working_hours,
)

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
H = dt.timedelta(hours=1)


def weekly(days, *spans):
    return parse_working_hours([{"weekday": d, "start": a, "end": b} for d in days for a, b in spans])


BERLIN_9_5 = CalendarSpec(
    name="Berlin office", time_zone="Europe/Berlin", hours=weekly(range(5), ("09:00", "17:00")),
    holidays={dt.date(2026, 12, 24): "Christmas Eve", dt.date(2026, 12, 25): "Christmas",
              dt.date(2027, 1, 1): "New Year"},
)
NY_SPLIT = CalendarSpec(name="NY", time_zone="America/New_York",
                        hours=weekly(range(5), ("09:00", "12:00"), ("13:00", "17:00")))
NIGHT_SHIFT = CalendarSpec(name="Nights", time_zone="UTC",
                           hours=weekly(range(7), ("22:00", "24:00"), ("00:00", "06:00")))
SUNDAYS_BERLIN = CalendarSpec(name="Sundays", time_zone="Europe/Berlin", hours=weekly([6], ("00:00", "24:00")))
ALWAYS_UTC = CalendarSpec(name="24x7")
ALWAYS_BERLIN = CalendarSpec(name="24x7 Berlin", time_zone="Europe/Berlin")


def b(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def ny(*args):
    return dt.datetime(*args, tzinfo=NEW_YORK)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


GOLDEN = [
    # (case, calendar, start, duration, expected due)
    ("inside one day", BERLIN_9_5, b(2026, 11, 16, 10), 4 * H, b(2026, 11, 16, 14)),
    ("over the end of the day", BERLIN_9_5, b(2026, 11, 16, 16), 2 * H, b(2026, 11, 17, 10)),
    ("exactly to the end of the day stays there", BERLIN_9_5, b(2026, 11, 16, 9), 8 * H, b(2026, 11, 16, 17)),
    ("24 business hours are three working days", BERLIN_9_5, b(2026, 11, 16, 9), 24 * H, b(2026, 11, 18, 17)),
    ("over a weekend", BERLIN_9_5, b(2026, 11, 20, 15), 4 * H, b(2026, 11, 23, 11)),
    ("starting before opening", BERLIN_9_5, b(2026, 11, 16, 7), 1 * H, b(2026, 11, 16, 10)),
    ("starting on a Saturday", BERLIN_9_5, b(2026, 11, 21, 12), 1 * H, b(2026, 11, 23, 10)),
    ("a zero duration is the start itself", BERLIN_9_5, b(2026, 11, 21, 12), dt.timedelta(0), b(2026, 11, 21, 12)),
    ("two holidays and a weekend", BERLIN_9_5, b(2026, 12, 23, 16), 2 * H, b(2026, 12, 28, 10)),
    ("spring forward over a weekend", BERLIN_9_5, b(2026, 3, 27, 16), 2 * H, b(2026, 3, 30, 10)),
    ("fall back over a weekend", BERLIN_9_5, b(2026, 10, 23, 16), 2 * H, b(2026, 10, 26, 10)),
    ("US spring forward", NY_SPLIT, ny(2026, 3, 6, 16), 2 * H, ny(2026, 3, 9, 10)),
    ("lunch break skipped", NY_SPLIT, ny(2026, 11, 16, 11), 2 * H, ny(2026, 11, 16, 14)),
    ("minute precision over lunch", NY_SPLIT, ny(2026, 11, 16, 11, 59), 2 * dt.timedelta(minutes=1),
     ny(2026, 11, 16, 13, 1)),
    ("midnight inside a night shift", NIGHT_SHIFT, utc(2026, 11, 16, 23), 2 * H, utc(2026, 11, 17, 1)),
    ("night shift resumes at 22:00", NIGHT_SHIFT, utc(2026, 11, 17, 5), 2 * H, utc(2026, 11, 17, 23)),
    ("24x7 is wall time", ALWAYS_UTC, utc(2026, 3, 29), 24 * H, utc(2026, 3, 30)),
    ("24x7 over spring forward is 24 real hours", ALWAYS_BERLIN, b(2026, 3, 29, 0), 24 * H, b(2026, 3, 30, 1)),
    ("24x7 over fall back is 24 real hours", ALWAYS_BERLIN, b(2026, 10, 25, 0), 24 * H, b(2026, 10, 25, 23)),
    ("a 23-hour Sunday", SUNDAYS_BERLIN, b(2026, 3, 29, 0), 23 * H, b(2026, 3, 30, 0)),
    ("the 24th hour is the next Sunday", SUNDAYS_BERLIN, b(2026, 3, 29, 0), 24 * H, b(2026, 4, 5, 1)),
    ("a 25-hour Sunday", SUNDAYS_BERLIN, b(2026, 10, 25, 0), 25 * H, b(2026, 10, 26, 0)),
    # 48,000 h = 6,000 working days = 1,200 weeks, plus the three holidays: a Wednesday 23 years on
    ("past the compiled window", BERLIN_9_5, b(2026, 11, 16, 9), dt.timedelta(days=2000), b(2049, 11, 17, 17)),
]


@pytest.mark.parametrize(("case", "calendar", "start", "duration", "due"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_due_times(case, calendar, start, duration, due):
    got = add_business_time(start, duration, calendar)
    assert got == due, f"{case}: {got.astimezone(calendar.zone)} != {due}"
    assert business_time_between(start, got, calendar) == duration


@pytest.mark.parametrize(("calendar", "a", "later", "expected"), [
    (BERLIN_9_5, b(2026, 11, 20, 16), b(2026, 11, 23, 10), 2 * H),
    (BERLIN_9_5, b(2026, 12, 23, 16), b(2026, 12, 28, 10), 2 * H),
    (BERLIN_9_5, b(2026, 11, 21, 0), b(2026, 11, 22, 23), dt.timedelta(0)),
    (SUNDAYS_BERLIN, b(2026, 3, 29, 0), b(2026, 3, 30, 0), 23 * H),
    (ALWAYS_BERLIN, b(2026, 10, 25, 0), b(2026, 10, 26, 0), 25 * H),
])
def test_business_time_between_and_its_reverse(calendar, a, later, expected):
    assert business_time_between(a, later, calendar) == expected
    assert business_time_between(later, a, calendar) == -expected


def test_refusals():
    with pytest.raises(ValueError):
        add_business_time(utc(2026, 1, 1), -H, BERLIN_9_5)
    with pytest.raises(ValueError):
        add_business_time(dt.datetime(2026, 1, 1), H, BERLIN_9_5)  # noqa: DTZ001 - a naive start is the point


@pytest.mark.parametrize(("hours", "field"), [
    ([{"weekday": 0, "start": "17:00", "end": "09:00"}], "working_hours[0].end"),
    ([{"weekday": 0, "start": "09:00", "end": "09:00"}], "working_hours[0].end"),
    ([{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}],
     "working_hours[1]"),
    ([{"weekday": 7, "start": "09:00", "end": "12:00"}], "working_hours[0].weekday"),
    ([{"weekday": 1, "start": "9am", "end": "12:00"}], "working_hours[0].start"),
    ([{"weekday": 1, "start": "09:00", "end": "24:30"}], "working_hours[0].end"),
    ([], "working_hours"),
])
def test_bad_working_hours_name_the_field(hours, field):
    with pytest.raises(CalendarError) as refused:
        parse_working_hours(hours)
    assert refused.value.field == field


def test_touching_intervals_are_fine_and_unknown_zones_refused():
    spec = CalendarSpec(hours=weekly([0], ("09:00", "12:00"), ("12:00", "13:00")))
    assert spec.week[0] == ((540, 780),)
    with pytest.raises(CalendarError) as refused:
        CalendarSpec(time_zone="Mars/Olympus")
    assert refused.value.field == "time_zone"


def test_explain_due_names_calendar_zone_and_holidays_skipped():
    start = b(2026, 12, 23, 16)
    due = add_business_time(start, 2 * H, BERLIN_9_5)
    why = explain_due(start, due, BERLIN_9_5)
    assert why["calendar"] == "Berlin office" and why["time_zone"] == "Europe/Berlin"
    assert why["holidays_skipped"] == [{"date": "2026-12-24", "name": "Christmas Eve"},
                                       {"date": "2026-12-25", "name": "Christmas"}]
    assert why["closed_days_skipped"] == 2  # the weekend
    assert why["business_duration"] == "PT2H" and why["hours"] == "Mon-Fri 09:00-17:00"
    assert "2026-12-25 (Christmas)" in why["text"] and "Europe/Berlin" in why["text"]


def test_iso_durations():
    assert [iso_duration(x) for x in (4 * H, dt.timedelta(days=14), dt.timedelta(minutes=5),
                                      dt.timedelta(days=2, hours=2, minutes=30), dt.timedelta(0),
                                      dt.timedelta(hours=24), dt.timedelta(seconds=90.5))] == \
        ["PT4H", "P14D", "PT5M", "P2DT2H30M", "PT0S", "PT24H", "PT1M30.5S"]
    assert iso_duration(dt.timedelta(days=1, hours=12), days=False) == "PT36H"


# --- properties ----------------------------------------------------------------------------------------


def random_calendar(draw) -> CalendarSpec:
    zone = draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]))
    intervals = []
    for day in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
        for a, z in zip(cuts[::2], cuts[1::2], strict=False):
            intervals.append({"weekday": day, "start": f"{a * 15 // 60:02d}:{a * 15 % 60:02d}",
                              "end": f"{z * 15 // 60:02d}:{z * 15 % 60:02d}"})
    if not intervals:
        intervals = [{"weekday": 2, "start": "10:00", "end": "11:00"}]
    holidays = draw(st.sets(st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)), max_size=40))
    return CalendarSpec(time_zone=zone, hours=parse_working_hours(intervals), holidays=holidays)


calendars = st.one_of(st.just(BERLIN_9_5), st.just(NY_SPLIT), st.just(NIGHT_SHIFT), st.just(SUNDAYS_BERLIN),
                      st.composite(random_calendar)())
moments = st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2028, 12, 31), timezones=st.just(dt.UTC))  # noqa: DTZ001
durations = st.timedeltas(dt.timedelta(0), dt.timedelta(days=30))
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(calendars, moments, durations, durations)
def test_add_is_monotone_in_the_duration(calendar, start, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert add_business_time(start, d1, calendar) <= add_business_time(start, d2, calendar)


@PROPERTY
@given(calendars, moments, moments, durations)
def test_add_is_monotone_in_the_start(calendar, s1, s2, duration):
    s1, s2 = sorted((s1, s2))
    assert add_business_time(s1, duration, calendar) <= add_business_time(s2, duration, calendar)


@PROPERTY
@given(calendars, moments, durations)
def test_add_then_between_returns_the_duration(calendar, start, duration):
    due = add_business_time(start, duration, calendar)
    assert due >= start
    assert business_time_between(start, due, calendar) == duration


@PROPERTY
@given(calendars, moments, moments, moments)
def test_between_is_additive(calendar, a, m, z):
    a, m, z = sorted((a, m, z))
    assert business_time_between(a, m, calendar) + business_time_between(m, z, calendar) == \
        business_time_between(a, z, calendar)
    assert dt.timedelta(0) <= business_time_between(a, z, calendar) <= z - a


@PROPERTY
@given(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]), moments, durations)
def test_24x7_equals_wall_time_in_every_zone(zone, start, duration):
    calendar = CalendarSpec(time_zone=zone)
    assert add_business_time(start, duration, calendar) == start + duration
    # the same hours written out (not short-circuited) give the same answer
    written = CalendarSpec(time_zone=zone, hours=weekly(range(7), ("00:00", "24:00")), holidays={dt.date(1990, 1, 1)})
    assert not written.always_open
    assert add_business_time(start, duration, written) == start + duration


# --- iCalendar ----------------------------------------------------------------------------------------------

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//holidays//EN\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261225\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\\, both days\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:New Y\r
 ear\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260501\r
RRULE:FREQ=YEARLY;COUNT=3\r
SUMMARY:Labour Day\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261002T230000Z\r
SUMMARY:Unity Day (midnight in Berlin)\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=America/New_York:20261126T090000\r
SUMMARY:Thanksgiving\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260704\r
STATUS:CANCELLED\r
SUMMARY:Cancelled party\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260105\r
RRULE:FREQ=WEEKLY\r
SUMMARY:Mondays\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ics_holidays_are_read():
    result = ical.parse_holidays(ICS, time_zone="Europe/Berlin")
    assert result.events == 7
    assert result.holidays == {
        dt.date(2026, 12, 25): "Christmas, both days", dt.date(2026, 12, 26): "Christmas, both days",
        dt.date(2027, 1, 1): "New Year",
        dt.date(2026, 5, 1): "Labour Day", dt.date(2027, 5, 1): "Labour Day", dt.date(2028, 5, 1): "Labour Day",
        dt.date(2026, 10, 3): "Unity Day (midnight in Berlin)",
        dt.date(2026, 11, 26): "Thanksgiving",
    }
    assert any("Cancelled" in s for s in result.skipped) and any("FREQ=YEARLY" in s for s in result.skipped)


@pytest.mark.parametrize("text", ["hello", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026\nEND:VEVENT\nEND:VCALENDAR",
                                  "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260230\nEND:VEVENT",
                                  "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n"])
def test_ics_garbage_is_refused(text):
    with pytest.raises(ical.IcsError):
        ical.parse_holidays(text)
