"""Marketing-sourced revenue (four attribution models) and cost per SQL (domain.md section 8).

Touches of a won opportunity are the marketing events of its lead that name a campaign and occurred
strictly before the opportunity was created, ordered by (occurred_at, id) so ties are broken the same
way every time. Credit per touch, as a share of the opportunity's amount (n = the number of touches):

- ``first_touch``: 1 to the first, 0 to the others;
- ``last_touch``: 1 to the last;
- ``linear``: 1/n to each;
- ``u_shaped``: n = 1: 1; n = 2: 1/2 each; n >= 3: 0.4 to the first and the last, 0.2/(n-2) to each other.

A campaign's revenue is the sum of its touches' credit; a campaign touched twice gets both credits.
Won opportunities without any touch are reported as ``unattributed``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from lifecycle.models import Campaign, DealStage, MarketingEvent, Opportunity, StageTransition
from lifecycle.state_machine import Stage
from reporting.selectors.common import Period

MODELS = ("first_touch", "last_touch", "linear", "u_shaped")
CENT = Decimal("0.01")

_WEIGHT = {
    "first_touch": "CASE WHEN pos = 1 THEN 1 ELSE 0 END",
    "last_touch": "CASE WHEN pos = n THEN 1 ELSE 0 END",
    "linear": "1.0 / n",
    "u_shaped": ("CASE WHEN n = 1 THEN 1 WHEN n = 2 THEN 0.5 WHEN pos = 1 OR pos = n THEN 0.4 "
                 "ELSE 0.2 / (n - 2) END"),
}


def _won_in_period_sql() -> str:
    return (f"o.deal_stage = '{DealStage.CLOSED_WON.value}' AND "
            "COALESCE(o.closed_at, o.close_date::timestamp AT TIME ZONE 'UTC') >= %s AND "
            "COALESCE(o.closed_at, o.close_date::timestamp AT TIME ZONE 'UTC') < %s")


def _created_in_period_sql() -> str:
    return "o.created_at >= %s AND o.created_at < %s"


OPPORTUNITIES = {"won": _won_in_period_sql, "pipeline": _created_in_period_sql}


def _touches_sql(which: str) -> str:
    """Each touch (campaign event before the opportunity was created) of the ``which`` opportunities of the
    period (``won``: closed won in it; ``pipeline``: created in it), with its position and count."""
    opp, event = Opportunity._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        SELECT o.id AS opp_id, o.lead_id, o.amount, e.campaign_id,
               row_number() OVER (PARTITION BY o.id ORDER BY e.occurred_at, e.id) AS pos,
               count(*) OVER (PARTITION BY o.id) AS n
        FROM {opp} o JOIN {event} e ON e.lead_id = o.lead_id
        WHERE {OPPORTUNITIES[which]()} AND e.campaign_id IS NOT NULL AND e.occurred_at < o.created_at
    """


def _revenue_sql(model: str, which: str = "won", rolled: bool = False) -> str:
    """``rolled``: the same rows from the rollup (reporting/selectors/rollups.py)."""
    if rolled:
        from reporting.selectors import rollups

        return rollups.revenue_sql(model, which)
    w = _WEIGHT[model]
    return f"""
        WITH touches AS ({_touches_sql(which)})
        SELECT campaign_id, SUM(amount * ({w})) AS revenue, COUNT(DISTINCT opp_id) FILTER (WHERE ({w}) > 0) AS deals,
               COUNT(*) FILTER (WHERE pos = 1) AS first_touch_deals
        FROM touches GROUP BY campaign_id HAVING SUM({w}) > 0 OR COUNT(*) FILTER (WHERE pos = 1) > 0
    """


def credited_lead_ids_sql(model: str, which: str) -> str:
    """Leads of the ``which`` opportunities whose touch of campaign ``%s`` gets a share under ``model``
    (the list behind a campaign's revenue or pipeline). Parameters: start, end, campaign ids (a list)."""
    return f"""
        WITH touches AS ({_touches_sql(which)})
        SELECT DISTINCT lead_id FROM touches WHERE ({_WEIGHT[model]}) > 0 AND campaign_id = ANY(%s)
    """


def _totals_sql(which: str = "won", rolled: bool = False) -> str:
    if rolled:
        from reporting.selectors import rollups

        return rollups.totals_sql(which)
    opp, event = Opportunity._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        SELECT COALESCE(SUM(o.amount), 0), COUNT(*),
               COALESCE(SUM(o.amount) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM {event} e WHERE e.lead_id = o.lead_id AND e.campaign_id IS NOT NULL
                   AND e.occurred_at < o.created_at)), 0)
        FROM {opp} o WHERE {OPPORTUNITIES[which]()}
    """


def _first_touch_sqls_sql() -> str:
    """SQL entries of the period, each with the campaign of its lead's earliest campaign event at or before
    the SQL transition (first touch); entries without one are left out."""
    tr, event = StageTransition._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        SELECT t.lead_id, ft.campaign_id FROM {tr} t
        CROSS JOIN LATERAL (
            SELECT e.campaign_id FROM {event} e
            WHERE e.lead_id = t.lead_id AND e.campaign_id IS NOT NULL AND e.occurred_at <= t.occurred_at
            ORDER BY e.occurred_at, e.id LIMIT 1
        ) ft
        WHERE t.to_stage = '{Stage.SQL.value}' AND t.occurred_at >= %s AND t.occurred_at < %s
    """


def _cost_per_sql_sql(rolled: bool = False) -> str:
    if rolled:
        from reporting.selectors import rollups

        return rollups.cost_per_sql_sql()
    return f"SELECT campaign_id, COUNT(*) FROM ({_first_touch_sqls_sql()}) s GROUP BY campaign_id"


def credited_sql_lead_ids_sql() -> str:
    """Leads of the period's SQL entries credited (first touch) to one of the campaigns ``%s`` (a list)."""
    return f"SELECT DISTINCT lead_id FROM ({_first_touch_sqls_sql()}) s WHERE campaign_id = ANY(%s)"


@dataclass
class CampaignRow:
    campaign: int
    name: str
    channel: str
    revenue: Decimal
    deals: int
    sqls: int
    cost: Decimal
    cost_per_sql: Decimal | None
    pipeline: Decimal = Decimal("0.00")
    won_deals_first_touch: int = 0
    cost_per_won_deal: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChannelRow:
    channel: str
    revenue: Decimal
    sqls: int
    cost: Decimal
    cost_per_sql: Decimal | None
    pipeline: Decimal = Decimal("0.00")
    won_deals_first_touch: int = 0
    cost_per_won_deal: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AttributionReport:
    period: Period
    model: str
    won_revenue: Decimal
    won_deals: int
    unattributed_revenue: Decimal
    campaigns: list[CampaignRow]
    channels: list[ChannelRow]
    pipeline_created: Decimal = Decimal("0.00")
    pipeline_deals: int = 0
    unattributed_pipeline: Decimal = Decimal("0.00")


def _per_sql(cost: Decimal, sqls: int) -> Decimal | None:
    return (cost / sqls).quantize(CENT) if sqls else None


def attribution_report(*, period: Period, model: str) -> AttributionReport:
    """Revenue of the opportunities closed won in the period (``closed_at``, else the close date) and pipeline
    of those created in it, per campaign and channel under ``model``; cost per SQL (first touch) of the
    period's SQLs and cost per won deal (first touch). Six queries."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}")
    args = [period.starts_at, period.ends_at]
    from reporting.selectors import rollups  # the rollup, when fresh, answers with the same numbers

    rolled = rollups.usable() is not None and rollups.whole_days(period)
    with connection.cursor() as cur:
        cur.execute(_revenue_sql(model, "won", rolled), args)
        revenue = {row[0]: (Decimal(row[1]), row[2], row[3]) for row in cur.fetchall()}
        cur.execute(_revenue_sql(model, "pipeline", rolled), args)
        pipeline = {row[0]: Decimal(row[1]) for row in cur.fetchall() if row[1]}
        cur.execute(_totals_sql("won", rolled), args)
        won_revenue, won_deals, unattributed = cur.fetchone()
        cur.execute(_totals_sql("pipeline", rolled), args)
        pipeline_created, pipeline_deals, unattributed_pipeline = cur.fetchone()
        cur.execute(_cost_per_sql_sql(rolled), args)
        sqls = dict(cur.fetchall())
    ids = set(revenue) | set(sqls) | set(pipeline)
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=ids).only("id", "name", "channel", "cost")}
    zero = (Decimal(0), 0, 0)
    rows = []
    for pk in sorted(ids, key=lambda i: (-revenue.get(i, zero)[0], -pipeline.get(i, Decimal(0)), campaigns[i].name)):
        c = campaigns[pk]
        rev, deals, first_deals = revenue.get(pk, zero)
        n = sqls.get(pk, 0)
        rows.append(CampaignRow(pk, c.name, c.channel, rev.quantize(CENT), deals, n, c.cost, _per_sql(c.cost, n),
                                pipeline.get(pk, Decimal(0)).quantize(CENT), first_deals,
                                _per_sql(c.cost, first_deals)))
    by_channel: dict[str, ChannelRow] = {}
    for r in rows:
        ch = by_channel.setdefault(r.channel, ChannelRow(r.channel, Decimal("0.00"), 0, Decimal("0.00"), None))
        ch.revenue += r.revenue
        ch.sqls += r.sqls
        ch.cost += r.cost
        ch.pipeline += r.pipeline
        ch.won_deals_first_touch += r.won_deals_first_touch
    for ch in by_channel.values():
        ch.cost_per_sql = _per_sql(ch.cost, ch.sqls)
        ch.cost_per_won_deal = _per_sql(ch.cost, ch.won_deals_first_touch)
    return AttributionReport(period, model, Decimal(won_revenue).quantize(CENT), won_deals,
                             Decimal(unattributed).quantize(CENT), rows,
                             sorted(by_channel.values(), key=lambda c: (-c.revenue, -c.pipeline, c.channel)),
                             Decimal(pipeline_created).quantize(CENT), pipeline_deals,
                             Decimal(unattributed_pipeline).quantize(CENT))
