"""Forecast vs actual (domain.md section 8): the open pipeline snapshotted weekly
(``reporting.services.forecast_snapshot_take``) against what actually closed won.

Per ISO week (Monday 00:00 UTC to the next Monday) of the range:

- the week's snapshot (if one was taken): open deals and amount, by deal stage, and the **quarter forecast**
  = the snapshot's open amount whose close date is in the quarter holding the week's Monday;
- **won**: opportunities closed won in the week (``closed_at``, else the close date, as in attribution);
- **quarter won to date**: closed won from the first day of that quarter to the end of the week;
- **quarter won**: closed won in the whole quarter (up to now), the actual the forecast is judged against.

``team`` narrows both sides to opportunities whose lead is in that team. Four queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, Sum
from django.db.models.functions import Cast, Coalesce, TruncDate

from lifecycle.models import DealStage, Opportunity
from reporting.models import ForecastLine, ForecastSnapshot
from reporting.selectors.pipeline import quarter_of
from reporting.selectors.weekly import iso_label

MAX_WEEKS = 106
ZERO = Decimal("0.00")


@dataclass
class ForecastWeek:
    week: str
    starts_on: dt.date
    quarter_start: dt.date
    snapshot_taken_at: dt.datetime | None = None
    open_deals: int | None = None
    open_amount: Decimal | None = None
    quarter_forecast: Decimal | None = None
    by_stage: dict[str, Decimal] = field(default_factory=dict)
    won_deals: int = 0
    won_amount: Decimal = ZERO
    quarter_won_to_date: Decimal = ZERO
    quarter_won: Decimal = ZERO

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ForecastReport:
    first_week: str
    last_week: str
    team: int | None
    weeks: list[ForecastWeek]


def _won_day() -> Any:
    return Coalesce(TruncDate("closed_at", tzinfo=dt.UTC), Cast("close_date", DateField()))


def forecast_vs_actual(*, first_monday: dt.date, last_monday: dt.date, team: int | None = None) -> ForecastReport:
    """Weeks from ``first_monday`` to ``last_monday`` (both Mondays, included), oldest first."""
    if first_monday > last_monday:
        raise ValueError("first_monday is after last_monday")
    count = (last_monday - first_monday).days // 7 + 1
    if count > MAX_WEEKS:
        raise ValueError(f"at most {MAX_WEEKS} weeks")
    weeks = [ForecastWeek(iso_label(m), m, quarter_of(m)[0])
             for m in (first_monday + dt.timedelta(weeks=i) for i in range(count))]
    by_monday = {w.starts_on: w for w in weeks}

    lines = ForecastLine.objects.filter(snapshot__week__gte=first_monday, snapshot__week__lte=last_monday)
    snaps = ForecastSnapshot.objects.filter(week__gte=first_monday, week__lte=last_monday)
    if team is not None:
        lines = lines.filter(team_id=team)
    for snap in snaps.values("week", "taken_at"):
        w = by_monday[snap["week"]]
        w.snapshot_taken_at, w.open_deals, w.open_amount, w.quarter_forecast = snap["taken_at"], 0, ZERO, ZERO
    for line in (lines.values("snapshot__week", "deal_stage", "close_quarter")
                 .annotate(n=Sum("deals"), amount=Sum("amount")).order_by()):
        w = by_monday[line["snapshot__week"]]
        w.open_deals = (w.open_deals or 0) + line["n"]
        w.open_amount = (w.open_amount or ZERO) + line["amount"]
        w.by_stage[line["deal_stage"]] = w.by_stage.get(line["deal_stage"], ZERO) + line["amount"]
        if line["close_quarter"] == w.quarter_start:
            w.quarter_forecast = (w.quarter_forecast or ZERO) + line["amount"]

    # closed won per day, from the first week's quarter start to the end of the last week's quarter
    start = weeks[0].quarter_start
    end = quarter_of(last_monday)[1]
    won = Opportunity.objects.filter(deal_stage=DealStage.CLOSED_WON)
    if team is not None:
        won = won.filter(lead__team_id=team)
    per_day: dict[dt.date, tuple[int, Decimal]] = {}
    for row in (won.annotate(day=_won_day()).filter(day__gte=start, day__lt=end).values("day")
                .annotate(n=Count("id"), amount=Sum("amount")).order_by()):
        per_day[row["day"]] = (row["n"], row["amount"] or ZERO)
    quarter_total: defaultdict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for day, (_n, amount) in per_day.items():
        quarter_total[quarter_of(day)[0]] += amount
    for w in weeks:
        week_end = w.starts_on + dt.timedelta(days=7)
        for day, (n, amount) in per_day.items():
            if w.starts_on <= day < week_end:
                w.won_deals += n
                w.won_amount += amount
            if w.quarter_start <= day < week_end:
                w.quarter_won_to_date += amount
        w.quarter_won = quarter_total[w.quarter_start]
    return ForecastReport(weeks[0].week, weeks[-1].week, team, weeks)
