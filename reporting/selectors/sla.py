"""SLA compliance over a period and the two speeds (domain.md sections 6 and 8).

Compliance is the same measure as the escalation ladder's ``sla.selectors.metrics.weekly_compliance``
(met / (met + breached) of the clocks *due* in the interval; running and cancelled clocks are not
counted), over any period and grouped by policy, team or rep instead of per ISO week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import CharField, Count, F, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from leadops.models import Team, User
from lifecycle.models import StageTransition, Touch
from reporting.selectors.common import EpochSeconds, PercentileCont, Period, ratio, seconds_or_none
from reporting.selectors.funnel import cohort
from routing.models import Assignment
from sla.models import SIDE_OF_KIND, ClockStatus, PolicyKind, SlaClock
from sla.selectors.metrics import sla_settings

GROUPS = ("policy", "team", "rep")
UNKNOWN = "unknown"


@dataclass
class ComplianceRow:
    key: str
    label: str
    side: str | None
    met: int
    breached: int
    compliance: float | None
    below_target: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SpeedRow:
    key: str
    label: str
    mqls: int
    contacted: int
    never_contacted: int
    speed_to_lead_median_s: float | None
    speed_to_lead_p90_s: float | None
    response_time_median_s: float | None
    response_time_p90_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SlaReport:
    period: Period
    group_by: str
    target: float
    rows: list[ComplianceRow]
    total: ComplianceRow
    speed: list[SpeedRow]
    speed_total: SpeedRow


def _labels(group_by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group_by == "policy":
        return {k: dict(PolicyKind.choices).get(k, k) for k in keys}
    if group_by == "team":
        names = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    else:
        names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    return {k: names.get(int(k), "Unknown") if k.isdigit() else "Unassigned" for k in keys}


def _whole_days(period: Period) -> bool:
    return all(t.timetz() == dt.time(tzinfo=dt.UTC) for t in (period.starts_at, period.ends_at))


def compliance(*, period: Period, group_by: str) -> tuple[list[ComplianceRow], ComplianceRow, float]:
    """met / (met + breached) of clocks whose ``due_at`` is in the period, per policy kind, accountable team
    or accountable rep (``accountable_user``). One query."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by {group_by!r}")
    target = sla_settings().compliance_target
    field = CLOCK_KEY[group_by]
    key = F(field) if group_by == "policy" else Coalesce(Cast(field, CharField()), Value(UNKNOWN))
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    rows: list[Any]
    if rollups.usable() is not None and _whole_days(period):
        rows = rollups.clock_counts(period.starts_at, period.ends_at, group_by)
    else:
        rows = list(SlaClock.objects.filter(due_at__gte=period.starts_at, due_at__lt=period.ends_at,
                                            status__in=[ClockStatus.MET, ClockStatus.BREACHED])
                    .annotate(key=key).values("key")
                    .annotate(met=Count("id", filter=Q(status=ClockStatus.MET)),
                              breached=Count("id", filter=Q(status=ClockStatus.BREACHED)))
                    .order_by("key"))
    labels = _labels(group_by, [r["key"] for r in rows])

    def make(key: str, label: str, side: str | None, met: int, breached: int) -> ComplianceRow:
        rate = ratio(met, met + breached)
        return ComplianceRow(key, label, side, met, breached, rate, rate is not None and rate < target)

    out = [make(r["key"], labels[r["key"]], SIDE_OF_KIND.get(r["key"]) if group_by == "policy" else None,
                r["met"], r["breached"]) for r in rows]
    total = make("total", "Total", None, sum(r.met for r in out), sum(r.breached for r in out))
    return out, total, target


def speed_entries(period: Period) -> QuerySet[StageTransition]:
    """The period's MQL entries annotated with ``first_attempt``, ``assigned_at``, ``assigned_rep`` (the first
    rep assigned in the cycle) and the two speeds in seconds (``stl``, ``rrt``)."""
    first_attempt = (Touch.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"),
                                          counts_as_attempt=True, occurred_at__gte=OuterRef("occurred_at"))
                     .values("lead_id").annotate(t=Min("occurred_at")).values("t"))
    first_rep = (Assignment.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), rep__isnull=False)
                 .order_by("decided_at", "id"))
    return cohort(period).annotate(
        first_attempt=Subquery(first_attempt),
        assigned_at=Subquery(first_rep.values("decided_at")[:1]),
        assigned_rep=Subquery(first_rep.values("rep_id")[:1]),
    ).annotate(
        stl=EpochSeconds(F("first_attempt") - F("occurred_at")),
        rrt=EpochSeconds(F("first_attempt") - F("assigned_at")),
    )


SPEED_KEY = {"team": "lead__team_id", "rep": "assigned_rep"}
CLOCK_KEY = {"policy": "kind", "team": "team_id", "rep": "accountable_user_id"}


def speed(*, period: Period, group_by: str | None = None) -> tuple[list[SpeedRow], SpeedRow]:
    """Speed to lead (first attempt - MQL entry) and rep response time (first attempt - first assignment to
    a rep in the cycle), median and p90 (``percentile_cont``), over the period's MQL cohort; the count never
    contacted (no attempt in the cycle yet). Grouped by the lead's team or by the first assigned rep
    (``group_by`` policy or None: the total only). Two queries."""
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    rolled = rollups.usable() is not None
    qs: QuerySet[Any] = rollups.speed_entries(period) if rolled else speed_entries(period)
    aggregates = {
        "mqls": Count("id"), "contacted": Count("id", filter=Q(first_attempt__isnull=False)),
        "stl_median": PercentileCont("stl", 0.5), "stl_p90": PercentileCont("stl", 0.9),
        "rrt_median": PercentileCont("rrt", 0.5), "rrt_p90": PercentileCont("rrt", 0.9),
    }

    def make(key: str, label: str, r: Any) -> SpeedRow:
        return SpeedRow(key, label, r["mqls"], r["contacted"], r["mqls"] - r["contacted"],
                        seconds_or_none(r["stl_median"]), seconds_or_none(r["stl_p90"]),
                        seconds_or_none(r["rrt_median"]), seconds_or_none(r["rrt_p90"]))

    total = make("total", "Total", dict(qs.aggregate(**aggregates)))
    if group_by not in ("team", "rep"):
        return [], total
    field = (rollups.SPEED_KEY if rolled else SPEED_KEY)[group_by]
    rows = list(qs.annotate(key=Coalesce(Cast(field, CharField()), Value(UNKNOWN))).values("key")
                .annotate(**aggregates).order_by("key"))
    labels = _labels(group_by, [r["key"] for r in rows])
    return [make(r["key"], labels[r["key"]], r) for r in rows], total


def sla_report(*, period: Period, group_by: str) -> SlaReport:
    rows, total, target = compliance(period=period, group_by=group_by)
    speed_rows, speed_total = speed(period=period, group_by=group_by)
    return SlaReport(period, group_by, target, rows, total, speed_rows, speed_total)
