"""The weekly pipeline meeting's numbers (domain.md section 9): a chosen ISO week against the 12 weeks
before it. Weeks are ISO weeks, Monday 00:00 UTC to the next Monday."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek

from leadops import clock
from lifecycle.models import Lead, Opportunity, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.common import ratio
from reporting.selectors.pipeline import aging_leads, pipeline_coverage
from sla.models import SIDE_OF_KIND, Escalation
from sla.selectors.metrics import weekly_compliance

HISTORY_WEEKS = 12
UNKNOWN = "unknown"
STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


def week_monday(year: int, week: int) -> dt.date:
    """Monday of the ISO week (ValueError when it does not exist)."""
    return dt.date.fromisocalendar(year, week, 1)


def checked_monday(year: int, week: int) -> dt.date:
    """Monday of the ISO week, refused (ValueError) when it or its 12 previous weeks fall outside the calendar."""
    monday = week_monday(year, week)
    if not dt.date.min + dt.timedelta(weeks=HISTORY_WEEKS) <= monday <= dt.date.max - dt.timedelta(days=7):
        raise ValueError(f"{year}-W{week:02d} is out of range")
    return monday


def iso_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class WeekNumbers:
    week: str
    starts_on: dt.date
    leads: int = 0
    leads_by_source: dict[str, int] = field(default_factory=dict)
    mqls: int = 0
    mqls_by_source: dict[str, int] = field(default_factory=dict)
    sals: int = 0
    sqls: int = 0
    opportunities: int = 0
    pipeline_created: Decimal = Decimal("0.00")
    sales_met: int = 0
    sales_breached: int = 0
    sales_compliance: float | None = None
    marketing_met: int = 0
    marketing_breached: int = 0
    marketing_compliance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class WeeklyPipeline:
    week: str
    weeks: list[WeekNumbers]  # oldest first; the last one is the chosen week
    coverage: dict[str, Any]
    aging: list[dict[str, Any]]
    rejection_reasons: list[dict[str, Any]]
    open_escalations: list[dict[str, Any]]
    generated_at: dt.datetime

    @property
    def current(self) -> WeekNumbers:
        return self.weeks[-1]


def _monday(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _count_live(weeks: dict[dt.date, WeekNumbers], first: dt.date, monday: dt.date, start: dt.datetime,
                end: dt.datetime) -> None:
    for lrow in (Lead.objects.filter(created_at__gte=start, created_at__lt=end)
                .annotate(w=TruncWeek("created_at", tzinfo=dt.UTC)).values("w", "source").annotate(n=Count("id"))
                .order_by()):
        wk = weeks[_monday(lrow["w"])]
        wk.leads += lrow["n"]
        source = lrow["source"] or UNKNOWN
        wk.leads_by_source[source] = wk.leads_by_source.get(source, 0) + lrow["n"]

    for trow in (StageTransition.objects.filter(occurred_at__gte=start, occurred_at__lt=end, to_stage__in=STAGES)
                .annotate(w=TruncWeek("occurred_at", tzinfo=dt.UTC))
                .values("w", "to_stage", "lead__source").annotate(n=Count("id")).order_by()):
        wk = weeks[_monday(trow["w"])]
        if trow["to_stage"] == Stage.MQL:
            wk.mqls += trow["n"]
            source = trow["lead__source"] or UNKNOWN
            wk.mqls_by_source[source] = wk.mqls_by_source.get(source, 0) + trow["n"]
        else:
            name = {"sal": "sals", "sql": "sqls", "opportunity": "opportunities"}[str(trow["to_stage"])]
            setattr(wk, name, getattr(wk, name) + trow["n"])

    for orow in (Opportunity.objects.filter(created_at__gte=start, created_at__lt=end)
                .annotate(w=TruncWeek("created_at", tzinfo=dt.UTC)).values("w").annotate(amount=Sum("amount"))
                .order_by()):
        weeks[_monday(orow["w"])].pipeline_created = orow["amount"] or Decimal("0.00")

    for (_team, side, week), stat in weekly_compliance(first, monday).items():
        if week in weeks:
            wk = weeks[week]
            setattr(wk, f"{side}_met", getattr(wk, f"{side}_met") + stat.met)
            setattr(wk, f"{side}_breached", getattr(wk, f"{side}_breached") + stat.breached)


def _add_source(counts: dict[str, int], source: str, n: int) -> None:
    counts[source] = counts.get(source, 0) + n


def _count_rolled_up(weeks: dict[dt.date, WeekNumbers], first: dt.date, end: dt.date) -> None:
    """The same per-week numbers as ``_count_live``, from the rollups (reporting/selectors/rollups.py)."""
    from reporting.selectors import rollups

    counts = rollups.weekly_counts(first, end)
    for row in counts["daily"]:
        wk = weeks[_monday(row["w"])]
        if row["metric"] == "leads":
            wk.leads += row["n"]
            _add_source(wk.leads_by_source, row["key"], row["n"])
        elif row["metric"] == "pipeline":
            wk.pipeline_created = row["amount"] or Decimal("0.00")
        else:
            name = {"sal": "sals", "sql": "sqls", "opportunity": "opportunities"}[row["metric"]]
            setattr(wk, name, getattr(wk, name) + row["n"])
    for row in counts["mqls"]:
        wk = weeks[_monday(row["w"])]
        wk.mqls += row["n"]
        _add_source(wk.mqls_by_source, row["source"], row["n"])
    for row in rollups.weekly_clock_counts(first, end):
        wk = weeks[_monday(row["w"])]
        side = SIDE_OF_KIND[row["kind"]]
        setattr(wk, f"{side}_met", getattr(wk, f"{side}_met") + row["met"])
        setattr(wk, f"{side}_breached", getattr(wk, f"{side}_breached") + row["breached"])


def weekly_pipeline(*, monday: dt.date) -> WeeklyPipeline:
    """Leads (created) and MQLs by source, SAL, SQL and opportunity entries (transitions), pipeline created
    (amount of opportunities created), and SLA compliance per side (clocks due), for the week and the 12
    before it; for the chosen week also the quarter's coverage, aging leads (as of now), the week's
    rejection reasons and the open escalations. A fixed number of queries."""
    first = monday - dt.timedelta(weeks=HISTORY_WEEKS)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)
    weeks = {first + dt.timedelta(weeks=i): WeekNumbers(iso_label(first + dt.timedelta(weeks=i)),
                                                        first + dt.timedelta(weeks=i))
             for i in range(HISTORY_WEEKS + 1)}

    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    as_of = rollups.usable()
    if as_of is None:
        _count_live(weeks, first, monday, start, end)
    else:
        _count_rolled_up(weeks, first, end.date())
    for wk in weeks.values():
        wk.sales_compliance = ratio(wk.sales_met, wk.sales_met + wk.sales_breached)
        wk.marketing_compliance = ratio(wk.marketing_met, wk.marketing_met + wk.marketing_breached)

    week_start = end - dt.timedelta(days=7)
    reasons: defaultdict[str, int] = defaultdict(int)
    for rrow in (StageTransition.objects.filter(occurred_at__gte=week_start, occurred_at__lt=end,
                                               from_stage=Stage.MQL,
                                               to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED])
                .values("reason__code").annotate(n=Count("id")).order_by()):
        reasons[rrow["reason__code"] or UNKNOWN] += rrow["n"]
    escalations = [{"id": e.pk, "team": e.team_id, "team_name": e.team.name if e.team else "Company",
                    "side": e.side, "level": e.level, "week": iso_label(e.week), "compliance": e.compliance,
                    "target": e.target} for e in Escalation.objects.select_related("team")
                   .filter(closed_at__isnull=True).order_by("-level", "opened_at")[:100]]
    return WeeklyPipeline(
        week=iso_label(monday),
        weeks=[weeks[k] for k in sorted(weeks)],
        coverage=pipeline_coverage(day=monday).as_dict(),
        aging=[g.as_dict() for g in aging_leads()],
        rejection_reasons=[{"reason": k, "count": v} for k, v in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))],
        open_escalations=escalations,
        generated_at=as_of or clock.now(),
    )
