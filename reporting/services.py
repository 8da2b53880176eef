"""Reporting's writers: the weekly forecast snapshot, the alignment pulse (surveys and answers) and the
rollup rebuild. Each is idempotent; the tasks in ``reporting/tasks.py`` only call these. See
docs/metrics.md for the definitions and the rollup/freshness design."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from leadops import roles
from leadops.errors import Conflict, Forbidden, ValidationFailed
from leadops.models import User
from lifecycle.models import CLOSED_DEAL_STAGES, Opportunity
from reporting.models import (
    ROLLUP,
    AttributionDaily,
    ClosedOpportunityFact,
    DailyClockCount,
    DailyCount,
    ForecastLine,
    ForecastSnapshot,
    MqlEntryFact,
    PulseResponse,
    PulseSurvey,
    RollupState,
)
from reporting.selectors.pipeline import aging_leads, quarter_of

# --- forecast snapshots -----------------------------------------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def forecast_snapshot_take(*, now: dt.datetime) -> ForecastSnapshot | None:
    """Store the open pipeline (deal stage not closed) of ``now``'s ISO week, per deal stage, the lead's
    team and quarter of the close date. Idempotent per week: when the week already has a snapshot nothing
    is written and None is returned (the first snapshot of a week stands)."""
    week = monday_of(now.date())
    with transaction.atomic():
        try:
            with transaction.atomic():
                snapshot = ForecastSnapshot.objects.create(week=week, taken_at=now)
        except IntegrityError:
            return None
        rows = (Opportunity.objects.exclude(deal_stage__in=CLOSED_DEAL_STAGES)
                .values("deal_stage", "lead__team_id", "close_date").annotate(n=Count("id"), amount=Sum("amount"))
                .order_by())
        lines: dict[tuple[str, int | None, dt.date], list] = {}
        for r in rows:
            key = (r["deal_stage"], r["lead__team_id"], quarter_of(r["close_date"])[0])
            acc = lines.setdefault(key, [0, Decimal("0.00")])
            acc[0] += r["n"]
            acc[1] += r["amount"] or Decimal("0.00")
        ForecastLine.objects.bulk_create([
            ForecastLine(snapshot=snapshot, deal_stage=stage, team_id=team, close_quarter=quarter, deals=n,
                         amount=amount) for (stage, team, quarter), (n, amount) in sorted(
                lines.items(), key=lambda i: (i[0][0], i[0][1] or 0, i[0][2]))])
        snapshot.open_deals = sum(v[0] for v in lines.values())
        snapshot.open_amount = sum((v[1] for v in lines.values()), Decimal("0.00"))
        snapshot.save(update_fields=["open_deals", "open_amount"])
    return snapshot


# --- the alignment pulse ----------------------------------------------------------------------------------

PULSE_OPEN_DAYS = 14  # a pulse is open from the 1st of its month 00:00 UTC for this many days


def pulse_ensure(*, now: dt.datetime) -> PulseSurvey:
    """The pulse of ``now``'s month, created (open from the 1st for 14 days) if it does not exist yet."""
    first = now.date().replace(day=1)
    opens = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    survey, _ = PulseSurvey.objects.get_or_create(
        period_start=first, defaults={"opens_at": opens, "closes_at": opens + dt.timedelta(days=PULSE_OPEN_DAYS),
                                      "created_at": now})
    return survey


def pulse_respond(*, user: User, survey: PulseSurvey, score: object, comment: str = "",
                  now: dt.datetime) -> PulseResponse:
    """Record ``user``'s answer to ``survey``: a whole number 0-10 and an optional comment (at most 1,000
    characters). Only marketing and sales members answer (403), only while the pulse is open (409
    ``pulse_closed``), and once per person and survey (409 ``already_answered``)."""
    side = roles.pulse_side(user)
    if side is None:
        raise Forbidden("Only members of marketing and sales teams answer the alignment pulse.",
                        code="not_a_pulse_member")
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        errors["score"] = ["Choose a whole number from 0 to 10."]
    comment = (comment or "").strip()
    if len(comment) > 1000:
        errors["comment"] = ["At most 1,000 characters."]
    if errors:
        raise ValidationFailed("The answer is not valid.", details={"fields": errors})
    if not survey.opens_at <= now < survey.closes_at:
        raise Conflict(f"The pulse {survey.label} is not open (open {survey.opens_at:%Y-%m-%d %H:%M} to "
                       f"{survey.closes_at:%Y-%m-%d %H:%M} UTC).", code="pulse_closed")
    assert isinstance(score, int)
    try:
        with transaction.atomic():
            return PulseResponse.objects.create(survey=survey, respondent=user, side=side, team_id=user.team_id,
                                                score=score, comment=comment, answered_at=now)
    except IntegrityError as exc:
        raise Conflict(f"You have already answered the pulse {survey.label}.", code="already_answered") from exc


# --- rollups ----------------------------------------------------------------------------------------------

# One row per MQL entry: what its cycle reached (set-based over all transitions), the lead's grouping keys
# as they are now, the first counted attempt at or after the entry in the cycle and the first assignment
# to a rep in the cycle. The same definitions as reporting/selectors/funnel.py::cohort and sla.py::speed.
_FACT_SQL = """
    WITH reached AS (
        SELECT lead_id, cycle,
               bool_or(from_stage = 'mql' AND to_stage = 'sal') AS accepted,
               bool_or(from_stage = 'mql' AND to_stage IN ('nurture', 'disqualified')) AS rejected,
               bool_or(to_stage = 'sql') AS reached_sql,
               bool_or(to_stage = 'opportunity') AS reached_opportunity,
               bool_or(to_stage = 'customer') AS reached_customer
        FROM lifecycle_stagetransition
        WHERE to_stage IN ('sal', 'nurture', 'disqualified', 'sql', 'opportunity', 'customer')
        GROUP BY lead_id, cycle
    ), rejection AS (
        SELECT DISTINCT ON (x.lead_id, x.cycle) x.lead_id, x.cycle, COALESCE(d.code, 'unknown') AS code
        FROM lifecycle_stagetransition x LEFT JOIN lifecycle_dispositionreason d ON d.id = x.reason_id
        WHERE x.from_stage = 'mql' AND x.to_stage IN ('nurture', 'disqualified')
        ORDER BY x.lead_id, x.cycle, x.seq
    ), amounts AS (
        SELECT lead_id, cycle, SUM(amount) AS pipeline, COALESCE(SUM(amount) FILTER (
                   WHERE deal_stage = 'closed_won'), 0) AS won
        FROM lifecycle_opportunity GROUP BY lead_id, cycle
    )
    SELECT t.id, t.lead_id, t.cycle, t.occurred_at,
           COALESCE(NULLIF(l.source, ''), 'unknown') AS source, l.first_campaign_id AS campaign_id,
           l.team_id,
           CASE WHEN l.score < 40 THEN '<40' WHEN l.score < 60 THEN '40-59' WHEN l.score < 80 THEN '60-79'
                ELSE '80+' END AS score_band,
           COALESCE(r.accepted, false) AS accepted, COALESCE(r.rejected, false) AS rejected,
           COALESCE(r.reached_sql, false) AS reached_sql,
           COALESCE(r.reached_opportunity, false) AS reached_opportunity,
           COALESCE(r.reached_customer, false) AS reached_customer,
           (SELECT min(x.occurred_at) FROM lifecycle_touch x
             WHERE x.lead_id = t.lead_id AND x.cycle = t.cycle AND x.counts_as_attempt
               AND x.occurred_at >= t.occurred_at) AS first_attempt_at,
           a.decided_at AS assigned_at, a.rep_id AS assigned_rep_id,
           rj.code AS rejection_reason, COALESCE(am.pipeline, 0) AS cycle_pipeline,
           COALESCE(am.won, 0) AS cycle_won
    FROM lifecycle_stagetransition t
    JOIN lifecycle_lead l ON l.id = t.lead_id
    LEFT JOIN reached r ON r.lead_id = t.lead_id AND r.cycle = t.cycle
    LEFT JOIN rejection rj ON rj.lead_id = t.lead_id AND rj.cycle = t.cycle
    LEFT JOIN amounts am ON am.lead_id = t.lead_id AND am.cycle = t.cycle
    LEFT JOIN LATERAL (
        SELECT y.decided_at, y.rep_id FROM routing_assignment y
        WHERE y.lead_id = t.lead_id AND y.cycle = t.cycle AND y.rep_id IS NOT NULL
        ORDER BY y.decided_at, y.id LIMIT 1) a ON true
    WHERE t.to_stage = 'mql'
"""
_FACT_COLS = ("id, lead_id, cycle, occurred_at, source, campaign_id, team_id, score_band, accepted, "
              "rejected, reached_sql, reached_opportunity, reached_customer, first_attempt_at, assigned_at, "
              "assigned_rep_id, rejection_reason, cycle_pipeline, cycle_won")

_DAILY_SQL = """
    SELECT (created_at AT TIME ZONE 'UTC')::date, 'leads', COALESCE(NULLIF(source, ''), 'unknown'), count(*),
           NULL::numeric
    FROM lifecycle_lead GROUP BY 1, 3
    UNION ALL
    SELECT (created_at AT TIME ZONE 'UTC')::date, 'leads_campaign', COALESCE(first_campaign_id::text, 'unknown'),
           count(*), NULL
    FROM lifecycle_lead GROUP BY 1, 3
    UNION ALL
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, to_stage, '', count(*), NULL
    FROM lifecycle_stagetransition WHERE to_stage IN ('sal', 'sql', 'opportunity') GROUP BY 1, 2
    UNION ALL
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, 'mql', source, count(*), NULL FROM _fact_new GROUP BY 1, 3
    UNION ALL
    SELECT (created_at AT TIME ZONE 'UTC')::date, 'pipeline', '', count(*), COALESCE(sum(amount), 0)
    FROM lifecycle_opportunity GROUP BY 1
    UNION ALL
    SELECT (t.occurred_at AT TIME ZONE 'UTC')::date, 'sql_first_touch', ft.campaign_id::text, count(*), NULL
    FROM lifecycle_stagetransition t
    CROSS JOIN LATERAL (
        SELECT e.campaign_id FROM lifecycle_marketingevent e
        WHERE e.lead_id = t.lead_id AND e.campaign_id IS NOT NULL AND e.occurred_at <= t.occurred_at
        ORDER BY e.occurred_at, e.id LIMIT 1) ft
    WHERE t.to_stage = 'sql' GROUP BY 1, 3
"""

# Attribution's touches (reporting/selectors/attribution.py::_touches_sql) per opportunity, computed once.
_TOUCH_SQL = """
    SELECT o.id AS opportunity_id, o.lead_id, o.amount, o.created_at,
           CASE WHEN o.deal_stage = 'closed_won'
                THEN COALESCE(o.closed_at, o.close_date::timestamp AT TIME ZONE 'UTC') END AS won_at,
           t.campaign_id, COALESCE(t.pos, 0) AS pos, COALESCE(t.n, 0) AS n
    FROM lifecycle_opportunity o
    LEFT JOIN LATERAL (
        SELECT e.campaign_id, row_number() OVER (ORDER BY e.occurred_at, e.id) AS pos, count(*) OVER () AS n
        FROM lifecycle_marketingevent e
        WHERE e.lead_id = o.lead_id AND e.campaign_id IS NOT NULL AND e.occurred_at < o.created_at) t ON true
"""

# the weights of reporting/selectors/attribution.py::_WEIGHT, per model
_W = {
    "first_touch": "CASE WHEN pos = 1 THEN 1 ELSE 0 END",
    "last_touch": "CASE WHEN pos = n THEN 1 ELSE 0 END",
    "linear": "1.0 / n",
    "u_shaped": "CASE WHEN n = 1 THEN 1 WHEN n = 2 THEN 0.5 WHEN pos = 1 OR pos = n THEN 0.4 ELSE 0.2 / (n - 2) END",
}
_ATTRIBUTION_COLS = ("kind, day, campaign_id, " + ", ".join(f"rev_{m}, w_{m}, deals_{m}" for m in _W)
                     + ", first_touch_deals")
_ATTRIBUTION_SQL = " UNION ALL ".join(f"""
    SELECT '{kind}', ({when} AT TIME ZONE 'UTC')::date, campaign_id,
           {", ".join(f"SUM(amount * ({w})), SUM({w}), COUNT(DISTINCT opportunity_id) FILTER (WHERE ({w}) > 0)"
                      for w in _W.values())},
           COUNT(*) FILTER (WHERE pos = 1)
    FROM _touch_new WHERE n > 0 AND {when} IS NOT NULL GROUP BY 2, campaign_id"""
    for kind, when in (("won", "won_at"), ("pipeline", "created_at")))
# totals per day: won_total / pipeline_total (n, amount) and their unattributed part (no touch)
_DAILY_ATTRIBUTION_SQL = " UNION ALL ".join(f"""
    SELECT ({when} AT TIME ZONE 'UTC')::date, '{kind}_total', '', count(*), COALESCE(SUM(amount), 0)
    FROM _touch_new WHERE pos <= 1 AND {when} IS NOT NULL GROUP BY 1
    UNION ALL
    SELECT ({when} AT TIME ZONE 'UTC')::date, '{kind}_unattributed', '', count(*), COALESCE(SUM(amount), 0)
    FROM _touch_new WHERE n = 0 AND {when} IS NOT NULL GROUP BY 1"""
    for kind, when in (("won", "won_at"), ("pipeline", "created_at")))

# win/loss: every opportunity closed won or lost, with the day it counts on and its keys
_CLOSED_SQL = """
    SELECT o.id, COALESCE((o.closed_at AT TIME ZONE 'UTC')::date, o.close_date), o.deal_stage = 'closed_won',
           o.amount, COALESCE(l.first_campaign_id::text, 'unknown'), COALESCE(NULLIF(l.source, ''), 'unknown'),
           COALESCE(o.owner_id::text, 'unknown'),
           CASE WHEN o.deal_stage = 'closed_lost' THEN COALESCE(d.code, 'unknown') END
    FROM lifecycle_opportunity o JOIN lifecycle_lead l ON l.id = o.lead_id
    LEFT JOIN lifecycle_dispositionreason d ON d.id = o.lost_reason_id
    WHERE o.deal_stage IN ('closed_won', 'closed_lost')
"""
_CLOSED_COLS = "id, day, won, amount, campaign_key, channel_key, rep_key, lost_reason"

_CLOCK_SQL = " UNION ALL ".join(f"""
    SELECT (due_at AT TIME ZONE 'UTC')::date, '{group_by}', {key}, count(*) FILTER (WHERE status = 'met'),
           count(*) FILTER (WHERE status = 'breached')
    FROM sla_slaclock WHERE status IN ('met', 'breached') GROUP BY 1, 3"""
    for group_by, key in (("policy", "kind"), ("team", "COALESCE(team_id::text, 'unknown')"),
                          ("rep", "COALESCE(accountable_user_id::text, 'unknown')")))


def rollups_refresh(*, now: dt.datetime) -> RollupState:
    """Rebuild the report rollups from the history tables, all read in one snapshot (REPEATABLE READ), so
    every rollup describes the same moment, ``as_of`` = ``now`` taken just before reading. The MQL-entry
    facts are recomputed in full but written as a difference (only changed, new and vanished rows), so a
    refresh that finds little new writes little; the small daily tables are replaced. Readers keep seeing
    the previous rollup until the commit (no lock beyond row locks)."""
    started = time.perf_counter()
    fact, daily, clocks = (MqlEntryFact._meta.db_table, DailyCount._meta.db_table, DailyClockCount._meta.db_table)
    attribution, closed = AttributionDaily._meta.db_table, ClosedOpportunityFact._meta.db_table
    outer = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cur:
            if not outer:  # first statement of the transaction (inside a test's transaction it already is one)
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("DROP TABLE IF EXISTS _fact_new, _fact_gone, _touch_new")
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('reporting.rollups_refresh'))")
            cur.execute(f"CREATE TEMP TABLE _fact_new ON COMMIT DROP AS {_FACT_SQL}")
            cur.execute(f"""CREATE TEMP TABLE _fact_gone ON COMMIT DROP AS
                            SELECT {_FACT_COLS} FROM {fact} EXCEPT SELECT {_FACT_COLS} FROM _fact_new""")
            cur.execute(f"DELETE FROM {fact} f USING _fact_gone g WHERE f.id = g.id")
            cur.execute(f"""INSERT INTO {fact} ({_FACT_COLS})
                            SELECT {_FACT_COLS} FROM _fact_new EXCEPT SELECT {_FACT_COLS} FROM {fact}""")
            cur.execute(f"CREATE TEMP TABLE _touch_new ON COMMIT DROP AS {_TOUCH_SQL}")
            cur.execute(f"DELETE FROM {attribution}")
            cur.execute(f"INSERT INTO {attribution} ({_ATTRIBUTION_COLS}) {_ATTRIBUTION_SQL}")
            cur.execute(f"DELETE FROM {daily}")
            cur.execute(f"INSERT INTO {daily} (day, metric, key, n, amount) {_DAILY_SQL}")
            cur.execute(f"INSERT INTO {daily} (day, metric, key, n, amount) {_DAILY_ATTRIBUTION_SQL}")
            cur.execute(f"DELETE FROM {closed}")
            cur.execute(f"INSERT INTO {closed} ({_CLOSED_COLS}) {_CLOSED_SQL}")
            cur.execute(f"DELETE FROM {clocks}")
            cur.execute(f"INSERT INTO {clocks} (day, group_by, key, met, breached) {_CLOCK_SQL}")
            cur.execute("SELECT count(*) FROM _fact_new")
            rows = cur.fetchone()[0]
        aging = [g.as_dict() for g in aging_leads(now=now)]
        state, _ = RollupState.objects.update_or_create(
            name=ROLLUP, defaults={"as_of": now, "seconds": round(time.perf_counter() - started, 3), "rows": rows,
                                   "aging": aging})
    return state
