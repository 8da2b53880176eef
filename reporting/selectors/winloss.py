"""Win/loss (issue 9): the opportunities *closed* in the period, won and lost, per campaign (the lead's first
campaign), channel (the lead's source) or rep (the opportunity's owner), with the closed-lost reasons.

Closed in the period = ``closed_at`` in it, or, when ``closed_at`` is empty, the close date (the same rule as
attribution's revenue). Win rate = won / (won + lost); nothing closed -> ``None``. Lost reasons are
``Opportunity.lost_reason`` codes (``unknown`` when missing), most frequent first, ties by code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce

from leadops.models import User
from lifecycle.models import DealStage, Opportunity
from reporting.selectors.common import Period, ratio
from reporting.selectors.funnel import UNKNOWN, group_key, labels_of

GROUPS = ("campaign", "channel", "rep")
ZERO = Decimal("0.00")


@dataclass
class WinLossRow:
    key: str
    label: str
    won: int = 0
    won_amount: Decimal = ZERO
    lost: int = 0
    lost_amount: Decimal = ZERO
    win_rate: float | None = None
    lost_reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class WinLossReport:
    period: Period
    group_by: str
    rows: list[WinLossRow]
    total: WinLossRow
    reasons: list[str]  # every lost reason code of the report, most frequent first


def closed_in(period: Period) -> QuerySet[Opportunity]:
    """Opportunities closed won or lost in the period."""
    first, last = period.starts_at.date(), period.ends_at.date()
    return Opportunity.objects.filter(
        Q(closed_at__gte=period.starts_at, closed_at__lt=period.ends_at)
        | Q(closed_at__isnull=True, close_date__gte=first, close_date__lt=last),
        deal_stage__in=[DealStage.CLOSED_WON, DealStage.CLOSED_LOST])


def opportunity_key(group_by: str) -> Any:
    if group_by == "rep":
        return Coalesce(Cast("owner_id", CharField()), Value(UNKNOWN))
    return group_key(group_by, prefix="lead__")


def _labels(group_by: str, keys: list[str]) -> dict[str, str]:
    if group_by != "rep":
        return labels_of(group_by, keys)
    names = dict(User.objects.filter(pk__in=[int(k) for k in keys if k.isdigit()]).values_list("pk", "username"))
    return {k: names.get(int(k), "Unknown") if k.isdigit() else "No owner" for k in keys}


def win_loss(*, period: Period, group_by: str) -> WinLossReport:
    """Two aggregate queries (counts and amounts; lost reasons) and one for labels."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by {group_by!r}")
    closed: Any = closed_in(period).annotate(key=opportunity_key(group_by))
    won, lost = Q(deal_stage=DealStage.CLOSED_WON), Q(deal_stage=DealStage.CLOSED_LOST)
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same rows

    if rollups.usable() is not None and rollups.whole_days(period):
        counted, reasons = cast(Any, rollups.win_loss_rows(period, group_by))
    else:
        counted = list(closed.values("key").annotate(
            won=Count("id", filter=won), won_amount=Sum("amount", filter=won),
            lost=Count("id", filter=lost), lost_amount=Sum("amount", filter=lost)).order_by())
        reasons = (closed.filter(lost).annotate(reason=Coalesce("lost_reason__code", Value(UNKNOWN)))
                   .values("key", "reason").annotate(n=Count("id")).order_by())
    by_key: dict[str, dict[str, int]] = defaultdict(dict)
    for r in reasons:
        by_key[r["key"]][r["reason"]] = r["n"]
    labels = _labels(group_by, [r["key"] for r in counted])

    def ranked(counts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"reason": code, "count": n} for code, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]

    rows = []
    total = WinLossRow(key="total", label="Total")
    all_reasons: dict[str, int] = defaultdict(int)
    for r in counted:
        row = WinLossRow(r["key"], labels[r["key"]], r["won"], (r["won_amount"] or ZERO).quantize(ZERO),
                         r["lost"], (r["lost_amount"] or ZERO).quantize(ZERO),
                         ratio(r["won"], r["won"] + r["lost"]), ranked(by_key[r["key"]]))
        rows.append(row)
        total.won += row.won
        total.won_amount += row.won_amount
        total.lost += row.lost
        total.lost_amount += row.lost_amount
        for code, n in by_key[r["key"]].items():
            all_reasons[code] += n
    total.win_rate = ratio(total.won, total.won + total.lost)
    total.lost_reasons = ranked(all_reasons)
    rows.sort(key=lambda r: (-(r.won + r.lost), r.label.lower(), r.key))
    return WinLossReport(period, group_by, rows, total, [r["reason"] for r in total.lost_reasons])
