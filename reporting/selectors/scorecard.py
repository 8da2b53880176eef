"""The lead quality scorecard (domain.md section 8): per campaign or channel, per calendar month (UTC), the
month's new leads and its MQL cohort (MQL entries, one per lead and cycle, exactly as in ``funnel``) with
acceptance, MQL->SQL, the top 3 rejection reasons, and the pipeline and revenue that cohort produced.

- ``leads``: leads created in the month, by the same key (a lead's first campaign or source);
- ``mqls``, ``accepted``, ``rejected``, ``sqls``, ``opportunities`` and the rates and flags: ``funnel``'s
  definitions over the entries of the month;
- ``top_reasons``: the reasons of the entries' rejections (the ``mql -> nurture/disqualified`` move of the
  same cycle), most frequent first, ties by reason code, at most 3 (``unknown``: a rejection without reason);
- ``pipeline``: the amount of the opportunities of the entries' cycles (``Opportunity.lead`` and ``cycle``),
  whatever their stage now; ``won``: the part of it closed won.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from lifecycle.models import DealStage, Lead, Opportunity, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.common import Period
from reporting.selectors.funnel import FunnelRow, cohort, finish_row, group_key, labels_of
from sla.selectors.metrics import sla_settings

GROUPS = ("campaign", "channel")
TOP_REASONS = 3
ZERO = Decimal("0.00")


@dataclass
class ScorecardRow:
    month: str  # 2026-11
    key: str
    label: str
    leads: int = 0
    mqls: int = 0
    accepted: int = 0
    rejected: int = 0
    sqls: int = 0
    opportunities: int = 0
    acceptance_rate: float | None = None
    mql_to_sql: float | None = None
    pipeline: Decimal = ZERO
    won: Decimal = ZERO
    top_reasons: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScorecardReport:
    period: Period
    group_by: str
    months: list[str]
    rows: list[ScorecardRow]


def month_label(moment: dt.datetime | dt.date) -> str:
    return f"{moment.year}-{moment.month:02d}"


def months_of(period: Period) -> list[str]:
    """The calendar months the period touches, oldest first."""
    out, day = [], period.starts_at.date().replace(day=1)
    while dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) < period.ends_at:
        out.append(month_label(day))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _amount(**filters: Any) -> Any:
    opps = (Opportunity.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), **filters)
            .values("lead_id").annotate(s=Sum("amount")).values("s"))
    return Coalesce(Subquery(opps), Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2))


def scorecard(*, period: Period, group_by: str) -> ScorecardReport:
    """Rows per (month, key), months oldest first, keys by label. Three aggregate queries over the MQL
    entries and the new leads, and one for labels."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by {group_by!r}")
    month = TruncMonth("occurred_at", tzinfo=dt.UTC)
    entries: Any = cohort(period).annotate(month=month, key=group_key(group_by))
    counted = (entries.annotate(pipeline_amount=_amount(), won_amount=_amount(deal_stage=DealStage.CLOSED_WON))
               .values("month", "key")
               .annotate(mqls=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
                         rejected_n=Count("id", filter=Q(rejected=True)),
                         sqls=Count("id", filter=Q(reached_sql=True)),
                         opportunities=Count("id", filter=Q(reached_opportunity=True)),
                         pipeline=Sum("pipeline_amount"), won=Sum("won_amount"))
               .order_by())
    rejection_reason = (StageTransition.objects
                        .filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), from_stage=Stage.MQL,
                                to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED])
                        .order_by("seq").values("reason__code")[:1])
    reasons = (entries.filter(rejected=True)
               .annotate(reason_code=Coalesce(Subquery(rejection_reason), Value("unknown")))
               .values("month", "key", "reason_code").annotate(n=Count("id")).order_by())
    created = (Lead.objects.filter(created_at__gte=period.starts_at, created_at__lt=period.ends_at)
               .annotate(month=TruncMonth("created_at", tzinfo=dt.UTC), key=group_key(group_by, prefix=""))
               .values("month", "key").annotate(n=Count("id")).order_by())

    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same rows

    if rollups.usable() is not None and rollups.whole_days(period):
        counted, reasons, created = cast(Any, rollups.scorecard_rows(period, group_by))
    rows: dict[tuple[str, str], ScorecardRow] = {}

    def row(month_start: dt.datetime, key: str) -> ScorecardRow:
        at = (month_label(month_start), key)
        if at not in rows:
            rows[at] = ScorecardRow(month=at[0], key=key, label="")
        return rows[at]

    for r in counted:
        target = row(r["month"], r["key"])
        target.mqls, target.accepted, target.rejected = r["mqls"], r["accepted"], r["rejected_n"]
        target.sqls, target.opportunities = r["sqls"], r["opportunities"]
        target.pipeline, target.won = (r["pipeline"] or ZERO).quantize(ZERO), (r["won"] or ZERO).quantize(ZERO)
    by_reason: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for rr in reasons:
        by_reason[(month_label(rr["month"]), rr["key"])].append((rr["reason_code"], rr["n"]))
    for rc in created:
        row(rc["month"], rc["key"]).leads = rc["n"]
    labels = labels_of(group_by, sorted({k for _, k in rows}))
    conf = sla_settings()
    for (month_, key), target in rows.items():
        target.label = labels[key]
        ranked = sorted(by_reason.get((month_, key), []), key=lambda item: (-item[1], item[0]))
        target.top_reasons = [{"reason": code, "count": n} for code, n in ranked[:TOP_REASONS]]
        funnel_row = finish_row(FunnelRow(key=key, label="", mqls=target.mqls, accepted=target.accepted,
                                          rejected=target.rejected, sqls=target.sqls), conf)
        target.acceptance_rate, target.mql_to_sql = funnel_row.acceptance_rate, funnel_row.mql_to_sql
        target.flags = list(funnel_row.flags or [])
    ordered = sorted(rows.values(), key=lambda r: (r.month, r.label.lower(), r.key))
    return ScorecardReport(period, group_by, months_of(period), ordered)
