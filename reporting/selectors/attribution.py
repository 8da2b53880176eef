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


def _revenue_sql(model: str) -> str:
    opp, event = Opportunity._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        WITH touches AS (
            SELECT o.id AS opp_id, o.amount, e.campaign_id,
                   row_number() OVER (PARTITION BY o.id ORDER BY e.occurred_at, e.id) AS pos,
                   count(*) OVER (PARTITION BY o.id) AS n
            FROM {opp} o JOIN {event} e ON e.lead_id = o.lead_id
            WHERE {_won_in_period_sql()} AND e.campaign_id IS NOT NULL AND e.occurred_at < o.created_at
        )
        SELECT campaign_id, SUM(amount * ({_WEIGHT[model]})) AS revenue, COUNT(DISTINCT opp_id) AS deals
        FROM touches WHERE ({_WEIGHT[model]}) > 0 GROUP BY campaign_id
    """


def _totals_sql() -> str:
    opp, event = Opportunity._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        SELECT COALESCE(SUM(o.amount), 0), COUNT(*),
               COALESCE(SUM(o.amount) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM {event} e WHERE e.lead_id = o.lead_id AND e.campaign_id IS NOT NULL
                   AND e.occurred_at < o.created_at)), 0)
        FROM {opp} o WHERE {_won_in_period_sql()}
    """


def _cost_per_sql_sql() -> str:
    """SQL entries of the period, each credited to the campaign of its lead's earliest campaign event at or
    before the SQL transition (first touch)."""
    tr, event = StageTransition._meta.db_table, MarketingEvent._meta.db_table
    return f"""
        SELECT ft.campaign_id, COUNT(*) FROM {tr} t
        CROSS JOIN LATERAL (
            SELECT e.campaign_id FROM {event} e
            WHERE e.lead_id = t.lead_id AND e.campaign_id IS NOT NULL AND e.occurred_at <= t.occurred_at
            ORDER BY e.occurred_at, e.id LIMIT 1
        ) ft
        WHERE t.to_stage = '{Stage.SQL.value}' AND t.occurred_at >= %s AND t.occurred_at < %s
        GROUP BY ft.campaign_id
    """


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChannelRow:
    channel: str
    revenue: Decimal
    sqls: int
    cost: Decimal
    cost_per_sql: Decimal | None

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


def _per_sql(cost: Decimal, sqls: int) -> Decimal | None:
    return (cost / sqls).quantize(CENT) if sqls else None


def attribution_report(*, period: Period, model: str) -> AttributionReport:
    """Revenue of the opportunities closed won in the period (``closed_at``, else the close date) per
    campaign and channel under ``model``, and cost per SQL (first touch) of the period's SQLs. Four queries."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}")
    args = [period.starts_at, period.ends_at]
    with connection.cursor() as cur:
        cur.execute(_revenue_sql(model), args)
        revenue = {row[0]: (Decimal(row[1]), row[2]) for row in cur.fetchall()}
        cur.execute(_totals_sql(), args)
        won_revenue, won_deals, unattributed = cur.fetchone()
        cur.execute(_cost_per_sql_sql(), args)
        sqls = dict(cur.fetchall())
    ids = set(revenue) | set(sqls)
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=ids).only("id", "name", "channel", "cost")}
    rows = []
    for pk in sorted(ids, key=lambda i: (-revenue.get(i, (Decimal(0), 0))[0], campaigns[i].name)):
        c = campaigns[pk]
        rev, deals = revenue.get(pk, (Decimal(0), 0))
        n = sqls.get(pk, 0)
        rows.append(CampaignRow(pk, c.name, c.channel, rev.quantize(CENT), deals, n, c.cost, _per_sql(c.cost, n)))
    by_channel: dict[str, ChannelRow] = {}
    for r in rows:
        ch = by_channel.setdefault(r.channel, ChannelRow(r.channel, Decimal("0.00"), 0, Decimal("0.00"), None))
        ch.revenue += r.revenue
        ch.sqls += r.sqls
        ch.cost += r.cost
    for ch in by_channel.values():
        ch.cost_per_sql = _per_sql(ch.cost, ch.sqls)
    return AttributionReport(period, model, Decimal(won_revenue).quantize(CENT), won_deals,
                             Decimal(unattributed).quantize(CENT), rows,
                             sorted(by_channel.values(), key=lambda c: (-c.revenue, c.channel)))
