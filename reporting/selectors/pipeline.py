"""Pipeline coverage and aging leads (domain.md section 8)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from leadops import clock
from leadops.models import User
from lifecycle.models import CLOSED_DEAL_STAGES, Lead, Opportunity, RevenueTarget
from lifecycle.state_machine import Stage
from sla.models import PolicyKind, SlaPolicy

HEALTHY_COVERAGE = (3.0, 5.0)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First day of the quarter holding ``day`` and first day of the next one."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    nxt = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, nxt


@dataclass
class Coverage:
    quarter_start: dt.date
    quarter_end: dt.date  # exclusive
    open_amount: Decimal
    open_deals: int
    target: Decimal | None
    coverage: float | None
    status: str  # no_target, below, healthy, above

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pipeline_coverage(*, day: dt.date) -> Coverage:
    """Open opportunity amount (deal stage not closed) with a close date in the quarter of ``day``, over the
    quarter's revenue target: the company row (no team), else the sum of the team rows. Two queries."""
    start, end = quarter_of(day)
    opps = (Opportunity.objects.exclude(deal_stage__in=CLOSED_DEAL_STAGES)
            .filter(close_date__gte=start, close_date__lt=end)
            .aggregate(amount=Sum("amount"), n=Count("id")))
    targets = RevenueTarget.objects.filter(period_start=start).aggregate(
        company=Sum("amount", filter=Q(team__isnull=True)), teams=Sum("amount", filter=Q(team__isnull=False)))
    target = targets["company"] if targets["company"] is not None else targets["teams"]
    amount = opps["amount"] or Decimal("0.00")
    cover = round(float(amount / target), 2) if target else None
    status = ("no_target" if cover is None else "below" if cover < HEALTHY_COVERAGE[0]
              else "healthy" if cover <= HEALTHY_COVERAGE[1] else "above")
    return Coverage(start, end, amount, opps["n"], target, cover, status)


# the SLA that bounds the time a lead may sit in a stage: MQL -> reviewed (sal_review), SAL -> disposed
STAGE_WINDOW_POLICY = {Stage.MQL: PolicyKind.SAL_REVIEW, Stage.SAL: PolicyKind.DISPOSITION}


@dataclass
class AgingGroup:
    stage: str
    window_hours: float
    total: int
    by_owner: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def aging_leads(*, now: dt.datetime | None = None) -> list[AgingGroup]:
    """Leads now in a stage (MQL, SAL) for longer than that stage's SLA window (the active policy's target,
    wall-clock), counted per stage and owner (None: unassigned). One query per stage plus two. Without
    ``now``, the rollup's count (as of its refresh, at most 5 minutes old) answers when fresh."""
    if now is None:
        from reporting.selectors import rollups

        rolled = rollups.aging()
        if rolled is not None:
            return [AgingGroup(**g) for g in rolled]
    now = now or clock.now()
    windows = dict(SlaPolicy.objects.filter(active=True, kind__in=STAGE_WINDOW_POLICY.values())
                   .values_list("kind", "target"))
    groups = []
    owners: set[int] = set()
    for stage, kind in STAGE_WINDOW_POLICY.items():
        window = windows.get(kind)
        if window is None:
            continue
        rows = list(Lead.objects.filter(stage=stage, **{f"became_{stage}_at__lt": now - window})
                    .values("owner_id").annotate(n=Count("id")).order_by("owner_id"))
        owners |= {r["owner_id"] for r in rows if r["owner_id"]}
        groups.append(AgingGroup(str(stage), window.total_seconds() / 3600, sum(r["n"] for r in rows),
                                 [{"owner": r["owner_id"], "count": r["n"]} for r in rows]))
    names: dict[int, str] = defaultdict(str, User.objects.filter(pk__in=owners).values_list("pk", "username"))
    for g in groups:
        for row in g.by_owner:
            row["username"] = names[row["owner"]] if row["owner"] else ""
    return groups
