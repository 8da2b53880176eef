"""Funnel and conversion of an MQL cohort (domain.md section 8).

The cohort of a period is every *MQL entry* in it: each ``StageTransition`` row with ``to_stage='mql'``
and ``occurred_at`` in the period. An entry is one (lead, cycle): re-entering MQL from nurture or
disqualified starts a new cycle, so a recycled lead's earlier cycle stays in the cohort of the period it
became MQL in, and a lead that became MQL twice in the same period counts twice (once per cycle): each
cycle was a separate hand-off that sales had to work. What happened to an entry is read from the
transitions of the same lead *and the same cycle*, whenever they happened (up to now).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf

from leadops.models import Team
from lifecycle.models import Campaign, Channel, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.common import Period, funnel_counts, ratio
from sla.models import SlaSettings
from sla.selectors.metrics import sla_settings

GROUPS = ("channel", "campaign", "team", "score_band")
UNKNOWN = "unknown"
# score bands of the lead's current total score (the MQL threshold is 60)
SCORE_BANDS = (("<40", None, 40), ("40-59", 40, 60), ("60-79", 60, 80), ("80+", 80, None))


@dataclass
class FunnelRow:
    key: str
    label: str
    mqls: int = 0
    accepted: int = 0
    rejected: int = 0
    sqls: int = 0
    opportunities: int = 0
    customers: int = 0
    mql_to_sql: float | None = None
    acceptance_rate: float | None = None
    lead_to_opportunity: float | None = None
    flags: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _same_cycle(**filters: Any) -> Exists:
    return Exists(StageTransition.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), **filters))


def cohort(period: Period) -> QuerySet[StageTransition]:
    """The cohort's MQL entries, each annotated with what its cycle reached (booleans)."""
    return (StageTransition.objects
            .filter(to_stage=Stage.MQL, occurred_at__gte=period.starts_at, occurred_at__lt=period.ends_at)
            .annotate(
                accepted=_same_cycle(from_stage=Stage.MQL, to_stage=Stage.SAL),
                rejected=_same_cycle(from_stage=Stage.MQL, to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED]),
                reached_sql=_same_cycle(to_stage=Stage.SQL),
                reached_opportunity=_same_cycle(to_stage=Stage.OPPORTUNITY),
                reached_customer=_same_cycle(to_stage=Stage.CUSTOMER),
            ))


def _score_band(prefix: str) -> Case:
    whens = []
    for label, low, high in SCORE_BANDS:
        q = Q()
        if low is not None:
            q &= Q(**{f"{prefix}score__gte": low})
        if high is not None:
            q &= Q(**{f"{prefix}score__lt": high})
        whens.append(When(q, then=Value(label)))
    return Case(*whens, output_field=CharField())


def group_key(group_by: str, prefix: str = "lead__") -> Any:
    """The group's key (a string; ``unknown`` when empty) read from the lead row; ``prefix`` is the path to
    the lead (``lead__`` from a transition, ``""`` on a lead queryset)."""
    if group_by == "channel":
        return Coalesce(NullIf(F(f"{prefix}source"), Value("")), Value(UNKNOWN))
    if group_by == "campaign":
        return Coalesce(Cast(f"{prefix}first_campaign_id", CharField()), Value(UNKNOWN))
    if group_by == "team":
        return Coalesce(Cast(f"{prefix}team_id", CharField()), Value(UNKNOWN))
    if group_by == "score_band":
        return _score_band(prefix)
    raise ValueError(f"unknown group_by {group_by!r}")


def labels_of(group_by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group_by == "campaign":
        names = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "team":
        names = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "channel":
        return {k: dict(Channel.choices).get(k, "Unknown") for k in keys}
    else:
        return {k: k for k in keys}
    return {k: names.get(int(k), "Unknown") if k.isdigit() else "Unknown" for k in keys}


def finish_row(row: FunnelRow, conf: SlaSettings | None = None) -> FunnelRow:
    """Fill in the three rates and the threshold flags (``conf``: the SLA settings, read when not given)."""
    conf = conf or sla_settings()
    row.mql_to_sql = ratio(row.sqls, row.mqls)
    row.acceptance_rate = ratio(row.accepted, row.accepted + row.rejected)
    row.lead_to_opportunity = ratio(row.opportunities, row.mqls)
    flags = []
    if row.acceptance_rate is not None and row.acceptance_rate < conf.acceptance_floor:
        flags.append("acceptance_below_floor")
    if row.mql_to_sql is not None:
        if row.mql_to_sql < conf.quality_floor:
            flags.append("mql_to_sql_below_floor")
        elif row.mql_to_sql >= conf.quality_healthy:
            flags.append("mql_to_sql_healthy")
    row.flags = flags
    return row


@dataclass
class FunnelReport:
    period: Period
    group_by: str
    rows: list[FunnelRow]
    total: FunnelRow


def funnel_report(*, period: Period, group_by: str) -> FunnelReport:
    """Cohort counts and rates per group, plus the total: two queries (one aggregate, one for labels)."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by {group_by!r}")
    counted = (cohort(period).annotate(key=group_key(group_by)).values("key").annotate(**funnel_counts())
               .order_by("key"))
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    data: list[Any] = (list(counted) if rollups.usable() is None
                       else rollups.funnel_groups(period.starts_at, period.ends_at, group_by))
    if group_by == "score_band":
        order = [band[0] for band in SCORE_BANDS]
        data.sort(key=lambda r: order.index(r["key"]))
    labels = labels_of(group_by, [r["key"] for r in data])
    rows = [finish_row(FunnelRow(key=r["key"], label=labels[r["key"]], mqls=r["mqls"], accepted=r["accepted"],
                              rejected=r["rejected"], sqls=r["sqls"], opportunities=r["opportunities"],
                              customers=r["customers"])) for r in data]
    total = FunnelRow(key="total", label="Total")
    for r in rows:
        for name in ("mqls", "accepted", "rejected", "sqls", "opportunities", "customers"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return FunnelReport(period, group_by, rows, finish_row(total))
