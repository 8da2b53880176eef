"""Per-team, per-period measures (domain.md section 6): the marketing SLAs, the sales obligations to
marketing, and weekly SLA compliance (the escalation ladder's input). Read-only; each measure is a
bounded number of aggregate queries.

Which leads are a team's: a sales or SDR team's are the leads routed to it (``Lead.team``); a marketing
team, or no team, means the whole company (marketing delivers to everyone).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek

from leadops.models import Team, TeamKind
from lifecycle.models import Lead, StageTransition
from lifecycle.selectors import DATA_GAPS, data_complete_q, with_data_completeness
from lifecycle.state_machine import Stage
from sla.models import (
    SIDE_OF_KIND,
    CapacityNotice,
    ClockStatus,
    MqlTarget,
    PolicyKind,
    SlaClock,
    SlaSettings,
)


def sla_settings() -> SlaSettings:
    found = SlaSettings.objects.filter(pk=1).first()
    return found if found is not None else SlaSettings()


@dataclass
class Measure:
    name: str
    value: float | int | None
    target: float | int | None
    status: str  # ok, healthy, below, flagged, no_data, no_target
    numerator: int = 0
    denominator: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def _company_wide(team: Team | None) -> bool:
    return team is None or team.kind == TeamKind.MARKETING


def _mql_transitions(team: Team | None, start: dt.datetime, end: dt.datetime) -> QuerySet[StageTransition]:
    qs = StageTransition.objects.filter(to_stage=Stage.MQL, occurred_at__gte=start, occurred_at__lt=end)
    return qs if _company_wide(team) else qs.filter(lead__team=team)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def marketing_slas(*, month: dt.date, team: Team | None = None) -> list[Measure]:
    """MQL volume vs target, MQL->SQL of the month's cohort, data completeness of the month's MQLs, and
    routing within its SLA (the routing clocks started in the month)."""
    conf = sla_settings()
    start, end = month_bounds(month)
    mqls = _mql_transitions(team, start, end)
    measures = []

    volume = mqls.count()
    target_row = MqlTarget.objects.filter(team=team, month=start.date()).first()
    target = target_row.target if target_row else None
    measures.append(Measure("mql_volume", volume, target,
                            "no_target" if target is None else ("ok" if volume >= target else "below"),
                            volume, target or 0))

    reached = StageTransition.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"),
                                             to_stage=Stage.SQL)
    cohort = mqls.annotate(reached=Exists(reached)).aggregate(n=Count("id"), sql=Count("id", filter=Q(reached=True)))
    rate = _ratio(cohort["sql"], cohort["n"])
    quality = ("no_data" if rate is None else "below" if rate < conf.quality_floor
               else "healthy" if rate >= conf.quality_healthy else "ok")
    measures.append(Measure("lead_quality", rate, conf.quality_floor, quality, cohort["sql"], cohort["n"],
                            {"healthy": conf.quality_healthy}))

    # one definition of "complete", shared with the MQL queue's "Data incomplete" filter (lifecycle.selectors)
    leads = with_data_completeness(Lead.objects.filter(pk__in=mqls.values("lead_id")))
    counts = leads.aggregate(n=Count("id"), complete=Count("id", filter=data_complete_q()),
                             no_company=Count("id", filter=DATA_GAPS["company"]),
                             no_title=Count("id", filter=DATA_GAPS["title"]),
                             no_source=Count("id", filter=DATA_GAPS["source"]),
                             no_history=Count("id", filter=DATA_GAPS["behaviour history"]))
    share = _ratio(counts["complete"], counts["n"])
    measures.append(Measure("data_completeness", share, conf.completeness_floor,
                            "no_data" if share is None else ("ok" if share >= conf.completeness_floor else "below"),
                            counts["complete"], counts["n"],
                            {k: v for k, v in counts.items() if k.startswith("no_")}))

    routing = SlaClock.objects.filter(kind=PolicyKind.ROUTING, started_at__gte=start, started_at__lt=end,
                                      status__in=[ClockStatus.MET, ClockStatus.BREACHED])
    if not _company_wide(team):
        routing = routing.filter(lead__team=team)
    r = routing.aggregate(n=Count("id"), met=Count("id", filter=Q(status=ClockStatus.MET)))
    routed = _ratio(r["met"], r["n"])
    measures.append(Measure("routing", routed, conf.compliance_target,
                            "no_data" if routed is None else ("ok" if routed >= conf.compliance_target else "below"),
                            r["met"], r["n"]))
    return measures


def sales_obligations(*, month: dt.date, team: Team | None = None) -> list[Measure]:
    """Acceptance rate of the MQLs reviewed in the month (>= 60 %, lower flagged) and the capacity
    notices filed in the month (less than 30 days' notice flagged)."""
    conf = sla_settings()
    start, end = month_bounds(month)
    reviewed = StageTransition.objects.filter(from_stage=Stage.MQL, occurred_at__gte=start, occurred_at__lt=end,
                                              to_stage__in=[Stage.SAL, Stage.NURTURE, Stage.DISQUALIFIED])
    if not _company_wide(team):
        reviewed = reviewed.filter(lead__team=team)
    r = reviewed.aggregate(n=Count("id"), accepted=Count("id", filter=Q(to_stage=Stage.SAL)))
    rate = _ratio(r["accepted"], r["n"])
    measures = [Measure("acceptance", rate, conf.acceptance_floor,
                        "no_data" if rate is None else ("ok" if rate >= conf.acceptance_floor else "flagged"),
                        r["accepted"], r["n"])]
    notices = CapacityNotice.objects.filter(filed_at__gte=start, filed_at__lt=end)
    if team is not None:
        notices = notices.filter(team=team)
    rows = list(notices.order_by("filed_at").values("id", "team_id", "effective_on", "lead_time_days",
                                                    "short_notice"))
    short = [row for row in rows if row["short_notice"]]
    measures.append(Measure("capacity_notice", len(rows) - len(short), conf.capacity_notice_days,
                            "no_data" if not rows else ("flagged" if short else "ok"), len(rows) - len(short),
                            len(rows), {"flagged": [{**row, "effective_on": row["effective_on"].isoformat()}
                                                    for row in short]}))
    return measures


# --- weekly compliance (the ladder's input) ------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def iso_week(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class WeekStat:
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def compliance(self) -> float | None:
        return _ratio(self.met, self.total)


def weekly_compliance(first_week: dt.date, last_week: dt.date) -> dict[tuple[int | None, str, dt.date], WeekStat]:
    """met / (met + breached) of the clocks due in each ISO week (Monday to Monday, UTC), per accountable
    team and side. One query."""
    start = dt.datetime.combine(first_week, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last_week + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)
    rows = (SlaClock.objects.filter(due_at__gte=start, due_at__lt=end,
                                    status__in=[ClockStatus.MET, ClockStatus.BREACHED])
            .annotate(week=TruncWeek("due_at", tzinfo=dt.UTC))
            .values("team_id", "kind", "week", "status").annotate(n=Count("id")))
    stats: dict[tuple[int | None, str, dt.date], WeekStat] = defaultdict(WeekStat)
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        stat = stats[(row["team_id"], SIDE_OF_KIND[row["kind"]], week)]
        if row["status"] == ClockStatus.MET:
            stat.met += row["n"]
        else:
            stat.breached += row["n"]
    return dict(stats)
