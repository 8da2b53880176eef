"""The leads behind a number of the weekly pipeline dashboard and of the period reports (each number links
to this list).

Each ``metric`` is the same condition the number was counted with (see docs/metrics.md), as a lead
queryset; the caller narrows it to the leads the user may see. A lead appears once even when it counts
twice (two MQL entries in one week)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Coalesce

from leadops import clock
from lifecycle.models import Campaign, DealStage, Lead, Opportunity, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.common import Period
from reporting.selectors.pipeline import STAGE_WINDOW_POLICY
from sla.models import SlaClock, SlaPolicy

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


# --- the leads behind a number of the period reports (funnel, SLA, attribution, scorecard, win/loss, calendar)

COHORT_METRICS = {  # an MQL entry of the period whose cycle ... (see funnel.cohort)
    "mqls": None, "accepted": "accepted", "rejected": "rejected", "sqls": "reached_sql",
    "opportunities": "reached_opportunity", "customers": "reached_customer", "won": "won",
}
PERIOD_METRICS: dict[str, tuple[str, ...]] = {
    "funnel": (*COHORT_METRICS, "leads"),
    "sla": ("met", "breached", "never_contacted"),
    "attribution": ("won", "pipeline", "sqls"),
    "win_loss": ("won", "lost"),
    "campaigns": ("sourced", "created"),
}
PERIOD_GROUPS: dict[str, tuple[str, ...]] = {
    "funnel": ("channel", "campaign", "team", "score_band"),
    "sla": ("policy", "team", "rep"),
    "attribution": ("campaign", "channel"),
    "win_loss": ("campaign", "channel", "rep"),
    "campaigns": ("campaign", "week"),
}


def _lead_ids_from_sql(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [row[0] for row in cur.fetchall()]


def period_leads_behind(*, report: str, metric: str, period: Period, group_by: str | None = None,
                        key: str | None = None, model: str = "first_touch",
                        reason: str | None = None) -> QuerySet[Lead]:
    """The leads counted by ``metric`` of ``report`` over ``period``, in the group ``key`` of ``group_by``
    (no key: all groups), with the same condition the selector counted with. ``reason``: a rejection reason
    (funnel ``rejected``) or a lost reason (win/loss ``lost``) code, ``unknown`` = none. Unknown report, metric
    or group: ValueError."""
    from reporting.selectors import attribution, funnel, sla, winloss

    if metric not in PERIOD_METRICS.get(report, ()) or (group_by is not None
                                                         and group_by not in PERIOD_GROUPS[report]):
        raise ValueError(f"unknown {report!r} number {metric!r} by {group_by!r}")
    if key is not None and group_by is None:
        raise ValueError("a key needs a group_by")

    def by_key(qs: QuerySet[Any], expression: Any) -> QuerySet[Any]:
        return qs if key is None else qs.annotate(group=expression).filter(group=key)

    if report == "funnel" and metric == "leads":
        leads = Lead.objects.filter(created_at__gte=period.starts_at, created_at__lt=period.ends_at)
        return by_key(leads, funnel.group_key(group_by, prefix="")) if group_by else leads
    if report == "funnel":
        entries: Any = funnel.cohort(period)
        if metric == "won":
            entries = entries.filter(Exists(Opportunity.objects.filter(
                lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), deal_stage=DealStage.CLOSED_WON)))
        elif (flag := COHORT_METRICS[metric]) is not None:
            entries = entries.filter(**{flag: True})
        if metric == "rejected" and reason is not None:
            moves = StageTransition.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"),
                                                   from_stage=Stage.MQL,
                                                   to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED])
            moves = moves.filter(reason__isnull=True) if reason == "unknown" else moves.filter(reason__code=reason)
            entries = entries.filter(Exists(moves))
        entries = by_key(entries, funnel.group_key(group_by)) if group_by else entries
        return Lead.objects.filter(pk__in=entries.values("lead_id"))
    if report == "sla" and metric == "never_contacted":
        if group_by == "policy":
            group_by = key = None  # speeds are not per policy: the total
        speeds: Any = sla.speed_entries(period)
        entries = speeds.filter(first_attempt__isnull=True)
        if group_by:
            entries = by_key(entries, Coalesce(Cast(sla.SPEED_KEY[group_by], CharField()), Value("unknown")))
        return Lead.objects.filter(pk__in=entries.values("lead_id"))
    if report == "sla":
        clocks = SlaClock.objects.filter(due_at__gte=period.starts_at, due_at__lt=period.ends_at, status=metric)
        if group_by:
            field = sla.CLOCK_KEY[group_by]
            expression = F(field) if group_by == "policy" else Coalesce(Cast(field, CharField()), Value("unknown"))
            clocks = by_key(clocks, expression)
        return Lead.objects.filter(pk__in=clocks.values("lead_id"))
    if report == "attribution":
        if key is None:
            campaign_ids = list(Campaign.objects.values_list("pk", flat=True))
        elif group_by == "channel":
            campaign_ids = list(Campaign.objects.filter(channel=key).values_list("pk", flat=True))
        else:
            campaign_ids = [int(key)] if key.isdigit() else []
        args: list[Any] = [period.starts_at, period.ends_at, campaign_ids]
        if metric == "sqls":
            sql = attribution.credited_sql_lead_ids_sql()
        else:
            if model not in attribution.MODELS:
                raise ValueError(f"unknown model {model!r}")
            sql = attribution.credited_lead_ids_sql(model, metric)
        return Lead.objects.filter(pk__in=_lead_ids_from_sql(sql, args))
    if report == "win_loss":
        stage = DealStage.CLOSED_WON if metric == "won" else DealStage.CLOSED_LOST
        opps = winloss.closed_in(period).filter(deal_stage=stage)
        if metric == "lost" and reason is not None:
            opps = opps.filter(lost_reason__isnull=True) if reason == "unknown" else opps.filter(
                lost_reason__code=reason)
        opps = by_key(opps, winloss.opportunity_key(group_by)) if group_by else opps
        return Lead.objects.filter(pk__in=opps.values("lead_id"))
    if metric == "created":  # the calendar's weekly actual: created in the ISO week ``key`` (inside the period)
        from reporting.selectors.campaigns import campaigns_in

        leads = Lead.objects.filter(first_campaign__in=campaigns_in(period).values("pk"),
                                    created_at__gte=period.starts_at, created_at__lt=period.ends_at)
        if group_by == "week" and key is not None:
            match = re.match(r"^(\d{4})-W(\d{2})$", key)
            try:
                monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else None
            except ValueError:
                monday = None
            if monday is None:
                raise ValueError(f"not an ISO week: {key!r}")
            start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
            leads = leads.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(days=7))
        return leads
    # campaigns: the leads a campaign sourced (all time, like the calendar's actual volume)
    if group_by == "week":
        raise ValueError("sourced leads are per campaign")
    if key is None:
        return Lead.objects.filter(first_campaign__isnull=False)
    return Lead.objects.filter(first_campaign_id=int(key)) if key.isdigit() else Lead.objects.none()
