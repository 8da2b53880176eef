"""The campaign calendar (issue 9, domain.md section 3: "expected lead volume, the shared campaign
calendar"): the campaigns running in a period on a timeline, with expected against actual lead volume, and
the leads to expect per ISO week so sales can staff for them.

- A campaign is **in** the period when its run ``[starts_on, ends_on]`` overlaps it (no end: runs on; no
  start: not on the calendar).
- **Actual volume** = leads whose ``first_campaign`` is the campaign (the leads it sourced), all time.
- **Expected to date** = ``expected_volume`` x the share of the run's days elapsed by ``today`` (today
  counted; a campaign without an end is taken as running to the period's end). Pace = actual / expected to
  date; status: ``no_expectation`` (no expected volume), ``upcoming`` (not started), ``behind`` (pace < 0.8),
  ``on_track`` (0.8-1.2), ``ahead`` (> 1.2).
- **Per week**: expected = each campaign's ``expected_volume`` spread evenly over its run's days, summed over
  the days of the ISO week inside the period; actual = leads created in the week whose first campaign is one
  of the listed campaigns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from lifecycle.models import Campaign, Lead
from reporting.selectors.common import Period, ratio
from reporting.selectors.weekly import iso_label

BEHIND, AHEAD = 0.8, 1.2


@dataclass
class CampaignSlot:
    campaign: int
    name: str
    channel: str
    type: str
    starts_on: dt.date
    ends_on: dt.date | None
    expected_volume: int | None
    actual_volume: int
    expected_to_date: float | None
    pace: float | None
    status: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class WeekVolume:
    week: str
    starts_on: dt.date
    expected: float
    actual: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CampaignCalendar:
    period: Period
    today: dt.date
    campaigns: list[CampaignSlot]
    weeks: list[WeekVolume] = field(default_factory=list)


def campaigns_in(period: Period) -> QuerySet[Campaign]:
    first, last = period.starts_at.date(), period.ends_at.date() - dt.timedelta(days=1)
    return (Campaign.objects.filter(starts_on__isnull=False, starts_on__lte=last)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first)).order_by("starts_on", "name"))


def _run(c: Campaign, last: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the campaign's run (no end: the period's last day)."""
    start = c.starts_on or last  # campaigns_in() only lists campaigns with a start
    return start, c.ends_on or max(last, start)


def _status(c: Campaign, actual: int, expected_to_date: float | None, today: dt.date) -> tuple[float | None, str]:
    if c.expected_volume is None:
        return None, "no_expectation"
    if c.starts_on is None or today < c.starts_on:
        return None, "upcoming"
    pace = ratio(actual, expected_to_date or 0)
    if pace is None:
        return None, "on_track" if actual == 0 else "ahead"
    return pace, "behind" if pace < BEHIND else "ahead" if pace > AHEAD else "on_track"


def campaign_calendar(*, period: Period, today: dt.date) -> CampaignCalendar:
    """Three queries: the campaigns, their sourced leads, the sourced leads per ISO week of the period."""
    last = period.ends_at.date() - dt.timedelta(days=1)
    campaigns = list(campaigns_in(period))
    ids = [c.pk for c in campaigns]
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    rolled = rollups.usable() is not None and rollups.whole_days(period)
    if rolled:
        actual = rollups.campaign_leads(ids)
    else:
        actual = dict(Lead.objects.filter(first_campaign_id__in=ids).values("first_campaign_id")
                      .annotate(n=Count("id")).order_by().values_list("first_campaign_id", "n"))
    slots = []
    for c in campaigns:
        start, end = _run(c, last)
        run_days = (end - start).days + 1
        expected_to_date = None
        if c.expected_volume is not None:
            elapsed = min(max((today - start).days + 1, 0), run_days)
            expected_to_date = round(c.expected_volume * elapsed / run_days, 2)
        pace, status = _status(c, actual.get(c.pk, 0), expected_to_date, today)
        slots.append(CampaignSlot(c.pk, c.name, c.channel, c.type, start, c.ends_on, c.expected_volume,
                                  actual.get(c.pk, 0), expected_to_date, pace, status))

    if rolled:
        per_week = rollups.campaign_leads_per_week(ids, period)
    else:
        per_week = dict(Lead.objects.filter(first_campaign_id__in=ids, created_at__gte=period.starts_at,
                                            created_at__lt=period.ends_at)
                        .annotate(week=TruncWeek("created_at", tzinfo=dt.UTC)).values("week")
                        .annotate(n=Count("id")).order_by().values_list("week", "n"))
    actual_by_monday = {w.date(): n for w, n in per_week.items()}
    weeks = []
    monday = period.starts_at.date() - dt.timedelta(days=period.starts_at.weekday())
    while monday <= last:
        days = [monday + dt.timedelta(days=i) for i in range(7)]
        days = [d for d in days if period.starts_at.date() <= d <= last]
        expected = 0.0
        for c in campaigns:
            if c.expected_volume is None:
                continue
            start, end = _run(c, last)
            per_day = c.expected_volume / ((end - start).days + 1)
            expected += per_day * sum(1 for d in days if start <= d <= end)
        weeks.append(WeekVolume(iso_label(monday), monday, round(expected, 1), actual_by_monday.get(monday, 0)))
        monday += dt.timedelta(days=7)
    return CampaignCalendar(period, today, slots, weeks)
