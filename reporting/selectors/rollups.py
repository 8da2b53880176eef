"""The report rollups, read behind the report selectors' own signatures (docs/metrics.md, "Rollups and
freshness").

``reporting.services.rollups_refresh`` (beat, every 2 minutes) rebuilds, from the history tables and in one
snapshot: ``MqlEntryFact`` (one row per MQL entry: what its cycle reached, the lead's grouping keys, the
speed inputs, the first rejection reason and the cycle's opportunity amounts), ``DailyCount`` (per day:
leads by source and by first campaign, MQL entries by source, moves to sal/sql/opportunity, pipeline
created, first-touch SQLs, attribution's totals), ``DailyClockCount`` (met and breached clocks per due day
by policy, team and rep), ``AttributionDaily`` (per day and campaign, each model's credit of the deals won
or created that day), ``ClosedOpportunityFact`` (win/loss) and the aging counts (``RollupState.aging``).

While the last rebuild is at most ``MAX_AGE`` old, ``funnel_report``, ``sla.compliance``, ``sla.speed``,
``weekly_pipeline``, ``aging_leads``, ``attribution_report``, ``scorecard``, ``win_loss`` and
``campaign_calendar`` answer from these tables with the same numbers (tests/reporting/test_rollups.py
compares both paths on a hand-built history); otherwise, or inside ``disabled()``, they compute live.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.fields import CharField
from django.db.models.functions import Cast, Coalesce, TruncMonth, TruncWeek

from leadops import clock
from reporting.models import (
    ROLLUP,
    AttributionDaily,
    ClosedOpportunityFact,
    DailyClockCount,
    DailyCount,
    MqlEntryFact,
    RollupState,
)
from reporting.selectors.common import EpochSeconds, Period, funnel_counts

MAX_AGE = dt.timedelta(minutes=5)
_disabled: contextvars.ContextVar[bool] = contextvars.ContextVar("reporting_rollups_disabled", default=False)


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Compute live inside this block (tests comparing both paths, the benchmark's "raw" figures)."""
    token = _disabled.set(True)
    try:
        yield
    finally:
        _disabled.reset(token)


def state() -> RollupState | None:
    return RollupState.objects.filter(name=ROLLUP).first()


def usable(now: dt.datetime | None = None) -> dt.datetime | None:
    """The rollups' ``as_of`` when they may answer (rebuilt at most ``MAX_AGE`` ago), else None."""
    if _disabled.get():
        return None
    s = state()
    if s is None or s.as_of < (now or clock.now()) - MAX_AGE:
        return None
    return s.as_of


def aging() -> list[dict[str, Any]] | None:
    """``pipeline.aging_leads`` as computed by the last refresh (at its ``as_of``), when fresh."""
    if _disabled.get():
        return None
    s = state()
    if s is None or s.as_of < clock.now() - MAX_AGE:
        return None
    return list(s.aging)


def data_as_of() -> dt.datetime:
    """What a page shows as "data as of": the rollups' time when they answer, else now (computed live)."""
    return usable() or clock.now()


# --- the MQL cohort: funnel and speeds ----------------------------------------------------------------------


def cohort(starts_at: dt.datetime, ends_at: dt.datetime) -> QuerySet[MqlEntryFact]:
    return MqlEntryFact.objects.filter(occurred_at__gte=starts_at, occurred_at__lt=ends_at)


def funnel_groups(starts_at: dt.datetime, ends_at: dt.datetime, group_by: str) -> list[Any]:
    """Rows of ``key`` (as funnel._group_key makes it) and the six counts."""
    key = {"channel": F("source"), "score_band": F("score_band"),
           "campaign": Coalesce(Cast("campaign_id", CharField()), Value("unknown")),
           "team": Coalesce(Cast("team_id", CharField()), Value("unknown"))}[group_by]
    return list(cohort(starts_at, ends_at).annotate(key=key).values("key").annotate(**funnel_counts())
                .order_by("key"))


SPEED_KEY = {"team": "team_id", "rep": "assigned_rep_id"}


def speed_entries(period: Period) -> QuerySet[MqlEntryFact]:
    """As ``sla.speed_entries``: the period's MQL entries with ``first_attempt``, ``assigned_rep`` and the two
    speeds in seconds (``stl``, ``rrt``)."""
    return cohort(period.starts_at, period.ends_at).annotate(
        first_attempt=F("first_attempt_at"), assigned_rep=F("assigned_rep_id"),
        stl=EpochSeconds(F("first_attempt_at") - F("occurred_at")),
        rrt=EpochSeconds(F("first_attempt_at") - F("assigned_at")))


# --- attribution --------------------------------------------------------------------------------------------

_DAYS = "day >= (%s AT TIME ZONE 'UTC')::date AND day < (%s AT TIME ZONE 'UTC')::date"


def whole_days(period: Period) -> bool:
    """Whether the period starts and ends at UTC midnights (what the daily rollups can answer)."""
    return all(t.timetz() == dt.time(tzinfo=dt.UTC) for t in (period.starts_at, period.ends_at))


def revenue_sql(model: str, which: str) -> str:
    """``attribution._revenue_sql`` from ``AttributionDaily``: campaign, revenue, deals, first-touch deals;
    the same two parameters (start, end)."""
    return f"""
        SELECT campaign_id, SUM(rev_{model}) AS revenue, SUM(deals_{model})::bigint AS deals,
               SUM(first_touch_deals)::bigint AS first_touch_deals
        FROM {AttributionDaily._meta.db_table} WHERE kind = '{which}' AND {_DAYS}
        GROUP BY campaign_id HAVING SUM(w_{model}) > 0 OR SUM(first_touch_deals) > 0
    """


def totals_sql(which: str) -> str:
    """``attribution._totals_sql`` from ``DailyCount``: amount, count and unattributed amount."""
    return f"""
        SELECT COALESCE(SUM(amount) FILTER (WHERE metric = '{which}_total'), 0),
               COALESCE(SUM(n) FILTER (WHERE metric = '{which}_total'), 0)::bigint,
               COALESCE(SUM(amount) FILTER (WHERE metric = '{which}_unattributed'), 0)
        FROM {DailyCount._meta.db_table} WHERE metric IN ('{which}_total', '{which}_unattributed') AND {_DAYS}
    """


def cost_per_sql_sql() -> str:
    """``attribution._cost_per_sql_sql`` from ``DailyCount``: SQL entries per first-touch campaign."""
    return f"""
        SELECT key::bigint, SUM(n)::bigint FROM {DailyCount._meta.db_table} WHERE metric = 'sql_first_touch' AND {_DAYS}
        GROUP BY key
    """


# --- clocks -------------------------------------------------------------------------------------------------


def clock_counts(starts_at: dt.datetime, ends_at: dt.datetime, group_by: str) -> list[Any]:
    """met and breached per ``key`` over clocks due in ``[starts_at, ends_at)``; both ends must be UTC
    midnights (the rollup is per day), which every report period is."""
    if starts_at.timetz() != dt.time(tzinfo=dt.UTC) or ends_at.timetz() != dt.time(tzinfo=dt.UTC):
        raise ValueError("clock rollups need whole UTC days")
    return list(DailyClockCount.objects.filter(group_by=group_by, day__gte=starts_at.date(), day__lt=ends_at.date())
                .values("key").annotate(met=Sum("met"), breached=Sum("breached")).order_by("key"))


def weekly_clock_counts(first: dt.date, end: dt.date) -> list[Any]:
    """met and breached per ISO week (Monday) and kind over due days in ``[first, end)``."""
    rows = (DailyClockCount.objects.filter(group_by="policy", day__gte=first, day__lt=end)
            .annotate(w=TruncWeek("day")).values("w", "key").annotate(met=Sum("met"), breached=Sum("breached"))
            .order_by())
    return [{"w": r["w"], "kind": r["key"], "met": r["met"], "breached": r["breached"]} for r in rows]


# --- the weekly pipeline's per-week numbers -----------------------------------------------------------------


WEEKLY_METRICS = ("leads", "sal", "sql", "opportunity", "pipeline")


def weekly_counts(first: dt.date, end: dt.date) -> dict[str, list[Any]]:
    """Per ISO week (Monday) in ``[first, end)``: leads by source, MQL entries by source, sal/sql/opportunity
    entries, pipeline created."""
    daily = (DailyCount.objects.filter(day__gte=first, day__lt=end, metric__in=WEEKLY_METRICS)
             .annotate(w=TruncWeek("day"))
             .values("w", "metric", "key").annotate(n=Sum("n"), amount=Sum("amount")).order_by())
    mqls = (DailyCount.objects.filter(day__gte=first, day__lt=end, metric="mql").annotate(w=TruncWeek("day"))
            .values("w", "key").annotate(n=Sum("n")).order_by())
    return {"daily": list(daily), "mqls": [{"w": r["w"], "source": r["key"], "n": r["n"]} for r in mqls]}


# --- the lead quality scorecard, win/loss and the campaign calendar (reporting/selectors/scorecard.py,
# winloss.py, campaigns.py): the same rows as their live querysets --------------------------------------------

_FACT_KEY = {"channel": F("source"), "campaign": Coalesce(Cast("campaign_id", CharField()), Value("unknown"))}


def scorecard_rows(period: Period, group_by: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(counted, reasons, created) as ``scorecard.scorecard`` builds them; the period in whole days."""
    entries = cohort(period.starts_at, period.ends_at).annotate(
        month=TruncMonth("occurred_at", tzinfo=dt.UTC), key=_FACT_KEY[group_by])
    counted = list(entries.values("month", "key").annotate(
        mqls=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
        rejected_n=Count("id", filter=Q(rejected=True)), sqls=Count("id", filter=Q(reached_sql=True)),
        opportunities=Count("id", filter=Q(reached_opportunity=True)),
        pipeline=Sum("cycle_pipeline"), won=Sum("cycle_won")).order_by())
    reasons = list(entries.filter(rejected=True).annotate(reason_code=Coalesce("rejection_reason", Value("unknown")))
                   .values("month", "key", "reason_code").annotate(n=Count("id")).order_by())
    metric = "leads" if group_by == "channel" else "leads_campaign"
    created = list(DailyCount.objects.filter(metric=metric, day__gte=period.starts_at.date(),
                                             day__lt=period.ends_at.date())
                   .annotate(month=TruncMonth("day")).values("month", "key").annotate(n=Sum("n")).order_by())
    return counted, reasons, created


def closed_opportunities(period: Period, group_by: str) -> Any:
    """``winloss.closed_in(period).annotate(key=...)`` from the rollup: ``won``/``lost`` are booleans here."""
    return (ClosedOpportunityFact.objects.filter(day__gte=period.starts_at.date(), day__lt=period.ends_at.date())
            .annotate(key=F(f"{group_by}_key")))


def win_loss_rows(period: Period, group_by: str) -> tuple[list[Any], list[Any]]:
    """(counted, reasons) as ``winloss.win_loss`` builds them."""
    closed: Any = closed_opportunities(period, group_by)
    counted = list(closed.values("key").annotate(  # "won" last: the annotation shadows the field of that name
        won_amount=Sum("amount", filter=Q(won=True)), lost=Count("id", filter=Q(won=False)),
        lost_amount=Sum("amount", filter=Q(won=False)), won=Count("id", filter=Q(won=True))).order_by())
    reasons = list(closed.filter(won=False).annotate(reason=F("lost_reason")).values("key", "reason")
                   .annotate(n=Count("id")).order_by())
    return counted, reasons


def campaign_leads(ids: list[int]) -> dict[int, int]:
    """Leads sourced by each campaign (first campaign), all time."""
    return {int(r["key"]): r["n"] for r in DailyCount.objects.filter(
        metric="leads_campaign", key__in=[str(i) for i in ids]).values("key").annotate(n=Sum("n")).order_by()}


def campaign_leads_per_week(ids: list[int], period: Period) -> dict[dt.datetime, int]:
    """Leads sourced by the campaigns per ISO week (Monday 00:00 UTC) of the period (whole days)."""
    return {dt.datetime.combine(r["week"], dt.time(), tzinfo=dt.UTC): r["n"] for r in DailyCount.objects.filter(
        metric="leads_campaign", key__in=[str(i) for i in ids], day__gte=period.starts_at.date(),
        day__lt=period.ends_at.date()).annotate(week=TruncWeek("day")).values("week").annotate(n=Sum("n")).order_by()}


def week_monday_of(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


ZERO = Decimal("0.00")
