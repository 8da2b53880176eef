"""The leads behind a number of the weekly pipeline dashboard (each number links to this list).

Each ``metric`` is the same condition the number was counted with (see docs/metrics.md), as a lead
queryset; the caller narrows it to the leads the user may see. A lead appears once even when it counts
twice (two MQL entries in one week)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from leadops import clock
from lifecycle.models import Lead, Opportunity, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.pipeline import STAGE_WINDOW_POLICY
from sla.models import SlaPolicy

WEEK_METRICS = ("leads", "mqls", "sals", "sqls", "opportunities", "pipeline", "rejected")
NOW_METRICS = ("aging",)
METRICS = WEEK_METRICS + NOW_METRICS


def leads_behind(*, metric: str, starts_at: dt.datetime, ends_at: dt.datetime, source: str | None = None,
                 reason: str | None = None, stage: str | None = None, owner: int | None = None,
                 now: dt.datetime | None = None) -> QuerySet[Lead]:
    """Leads counted by ``metric`` in ``[starts_at, ends_at)`` (``aging``: now, in ``stage``), optionally of one
    ``source`` (``unknown`` = blank), rejection ``reason`` code or ``owner`` (0 = unassigned)."""
    qs: QuerySet[Lead]
    if metric == "leads":
        qs = Lead.objects.filter(created_at__gte=starts_at, created_at__lt=ends_at)
    elif metric in ("mqls", "sals", "sqls", "opportunities"):
        to = {"mqls": Stage.MQL, "sals": Stage.SAL, "sqls": Stage.SQL, "opportunities": Stage.OPPORTUNITY}[metric]
        ids = StageTransition.objects.filter(to_stage=to, occurred_at__gte=starts_at, occurred_at__lt=ends_at)
        qs = Lead.objects.filter(pk__in=ids.values("lead_id"))
    elif metric == "pipeline":
        opps = Opportunity.objects.filter(created_at__gte=starts_at, created_at__lt=ends_at)
        qs = Lead.objects.filter(pk__in=opps.values("lead_id"))
    elif metric == "rejected":
        moves = StageTransition.objects.filter(from_stage=Stage.MQL, to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED],
                                               occurred_at__gte=starts_at, occurred_at__lt=ends_at)
        if reason is not None:
            moves = moves.filter(reason__isnull=True) if reason == "unknown" else moves.filter(reason__code=reason)
        qs = Lead.objects.filter(pk__in=moves.values("lead_id"))
    elif metric == "aging":
        if stage not in STAGE_WINDOW_POLICY:
            return Lead.objects.none()
        window = (SlaPolicy.objects.filter(kind=STAGE_WINDOW_POLICY[Stage(stage)], active=True)
                  .values_list("target", flat=True).first())
        if window is None:
            return Lead.objects.none()
        limit = (now or clock.now()) - window
        filters: dict[str, Any] = {"stage": stage, f"became_{stage}_at__lt": limit}
        qs = Lead.objects.filter(**filters)
    else:
        raise ValueError(f"unknown metric {metric!r}")
    if source is not None:
        qs = qs.filter(source="" if source == "unknown" else source)
    if owner is not None:
        qs = qs.filter(owner__isnull=True) if owner == 0 else qs.filter(owner_id=owner)
    return qs
