"""Top up a generated 1M dataset to the volumes of issue 9 (reports at 1M): 5,000,000 marketing events,
100,000 opportunities, SLA clocks for the whole history, quarterly revenue targets and a year of weekly
forecast snapshots.

``DATABASE_URL=postgres://.../leadops_rep_<you> python -m bench.topup [--events 5000000]
[--opportunities 100000] [--seed 1]``

Run it on a private copy (``createdb -T leadops_bench leadops_rep_<you>``), never on the shared
``leadops_bench`` (refused). Pure SQL (``INSERT ... SELECT``), deterministic: every random choice is
``hashtextextended(<row number and a salt>, seed)``, so the same seed on the same generated dataset gives
the same rows. Idempotent in volume: it only adds what is missing up to the targets (clocks, targets and
snapshots only when their table is empty).

What the rows are (volume for the reports, not a replayed lifecycle):
- events: on a uniformly chosen lead, at a uniform moment between the lead's creation and the dataset's
  end, with the generator's type mix and a campaign for 60 % of them;
- opportunities: on leads without one, 30 % closed won, 45 % closed lost, 25 % open (spread over the four
  open deal stages); no stage transitions are added for them;
- SLA clocks: per MQL entry a ``sal_review`` (24 h) and a ``routing`` (5 min) clock, per SAL entry a
  ``disposition`` and a ``touch_cadence`` (14 days) clock, per first assignment to a rep a
  ``first_contact`` (24 h) clock; due before the dataset's end: 86 % met, 14 % breached, else running;
- revenue targets: a company row per quarter = the open amount closing in that quarter / 3.5 (so
  coverage lands near the healthy band), at least 1,000,000;
- forecast snapshots: for each Monday of the last 52 weeks, the opportunities created before it and not
  closed before it, by their current open stage (closed ones as ``proposal_presented``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")
    import django

    django.setup()


def _r(expr: str, salt: str) -> str:
    """A deterministic uniform number in [0, 1) from ``expr`` (a row number) and a salt."""
    return f"((hashtextextended(({expr})::text || '{salt}', %(seed)s) & 2147483647)::float8 / 2147483648.0)"


EVENT_TYPES = [("email_open", 24), ("form_submit", 18), ("content_download", 13), ("page_view", 13),
               ("email_click", 11), ("pricing_page_view", 7), ("webinar_registered", 6), ("webinar_attended", 3),
               ("email_replied", 2), ("event_badge_scan", 2), ("demo_request", 0.5), ("contact_sales", 0.5)]


def _pick(expr: str, choices: list[tuple[str, float]]) -> str:
    total = sum(w for _, w in choices)
    acc, whens = 0.0, []
    for name, w in choices:
        acc += w / total
        whens.append(f"WHEN {expr} < {acc:.6f} THEN '{name}'")
    return f"(CASE {' '.join(whens)} ELSE '{choices[-1][0]}' END)"


def topup(*, events: int, opportunities: int, seed: int) -> None:
    from django.db import connection

    if connection.settings_dict["NAME"] == "leadops_bench":
        sys.exit("refusing to top up the shared leadops_bench: use a private copy")
    p = {"seed": seed}
    with connection.cursor() as cur:
        def run(label: str, sql: str, params: dict | None = None) -> None:
            t = time.perf_counter()
            cur.execute(sql, params or p)
            print(f"{label:<40} {cur.rowcount:>10} rows {time.perf_counter() - t:7.1f}s", flush=True)

        cur.execute("SELECT max(created_at), max(id) FROM lifecycle_lead")
        end, max_lead = cur.fetchone()
        cur.execute("SELECT array_agg(id ORDER BY id) FROM lifecycle_campaign")
        campaigns = cur.fetchone()[0] or []
        p.update(end=end, max_lead=max_lead, campaigns=campaigns, ncamp=len(campaigns))

        cur.execute("SELECT count(*), COALESCE(max(id), 0) FROM lifecycle_marketingevent")
        have, max_event = cur.fetchone()
        if events > have:
            lead = f"(1 + floor({_r('g', 'lead')} * %(max_lead)s))::bigint"
            run("events", f"""
                INSERT INTO lifecycle_marketingevent (id, type, occurred_at, properties, source, external_id,
                                                      created_at, campaign_id, lead_id)
                SELECT %(base)s + g, {_pick(_r('g', 'type'), EVENT_TYPES)},
                       l.created_at + {_r('g', 'when')} * (%(end)s - l.created_at), '{{}}', 'bench-topup', NULL,
                       l.created_at + {_r('g', 'when')} * (%(end)s - l.created_at),
                       CASE WHEN {_r('g', 'hascamp')} < 0.6 AND %(ncamp)s > 0
                            THEN (%(campaigns)s::bigint[])[1 + floor({_r('g', 'camp')} * %(ncamp)s)::int] END,
                       l.id
                FROM generate_series(1, %(n)s) g JOIN lifecycle_lead l ON l.id = {lead}""",
                {**p, "n": events - have, "base": max_event})
            cur.execute("SELECT setval(pg_get_serial_sequence('lifecycle_marketingevent', 'id'), "
                        "(SELECT max(id) FROM lifecycle_marketingevent))")

        cur.execute("SELECT count(*), COALESCE(max(id), 0) FROM lifecycle_opportunity")
        have, max_opp = cur.fetchone()
        if opportunities > have:
            stage = _pick(_r('l.id', 'stage'), [("closed_won", 30), ("closed_lost", 45), ("discovery", 8),
                                                ("proposal_development", 7), ("proposal_presented", 6),
                                                ("on_hold", 4)])
            created = f"(l.created_at + {_r('l.id', 'created')} * (%(end)s - l.created_at))"
            run("opportunities", f"""
                WITH c AS (
                    SELECT l.id AS lead_id, l.account_id, l.owner_id, l.recycle_count, {stage} AS stage,
                           {created} AS created_at,
                           round((5000 + power({_r('l.id', 'amount')}, 2) * 145000)::numeric, 2) AS amount,
                           {_r('l.id', 'days')} AS d
                    FROM generate_series(1, %(max_lead)s) g
                    JOIN lifecycle_lead l ON l.id = ((g::bigint * 7919) %% %(max_lead)s) + 1
                    WHERE NOT EXISTS (SELECT 1 FROM lifecycle_opportunity o WHERE o.lead_id = l.id)
                    LIMIT %(n)s)
                INSERT INTO lifecycle_opportunity (id, name, amount, currency, deal_stage, close_date, cycle,
                                                   created_at, closed_at, account_id, lead_id, lost_reason_id,
                                                   owner_id)
                SELECT %(base)s + row_number() OVER (ORDER BY lead_id), 'Bench deal ' || lead_id, amount, 'USD',
                       stage,
                       CASE WHEN stage IN ('closed_won', 'closed_lost')
                            THEN (LEAST(created_at + (10 + d * 80) * interval '1 day', %(end)s)
                                  AT TIME ZONE 'UTC')::date
                            ELSE ((created_at + (30 + d * 120) * interval '1 day') AT TIME ZONE 'UTC')::date END,
                       recycle_count, created_at,
                       CASE WHEN stage IN ('closed_won', 'closed_lost')
                            THEN LEAST(created_at + (10 + d * 80) * interval '1 day', %(end)s) END,
                       account_id, lead_id, NULL, owner_id
                FROM c""", {**p, "n": opportunities - have, "base": max_opp})
            cur.execute("SELECT setval(pg_get_serial_sequence('lifecycle_opportunity', 'id'), "
                        "(SELECT max(id) FROM lifecycle_opportunity))")

        cur.execute("SELECT count(*) FROM sla_slaclock")
        if cur.fetchone()[0] == 0:
            cur.execute("SELECT kind, id, version FROM sla_slapolicy WHERE active")
            pol = {k: (i, v) for k, i, v in cur.fetchall()}
            sources = {
                "sal_review": ("SELECT t.lead_id, t.cycle, t.occurred_at AS started FROM lifecycle_stagetransition t "
                               "WHERE t.to_stage = 'mql'", "interval '1 day'"),
                "routing": ("SELECT t.lead_id, t.cycle, t.occurred_at AS started FROM lifecycle_stagetransition t "
                            "WHERE t.to_stage = 'mql'", "interval '5 minutes'"),
                "disposition": ("SELECT t.lead_id, t.cycle, t.occurred_at AS started FROM lifecycle_stagetransition t "
                                "WHERE t.to_stage = 'sal'", "interval '14 days'"),
                "touch_cadence": ("SELECT t.lead_id, t.cycle, t.occurred_at AS started "
                                  "FROM lifecycle_stagetransition t WHERE t.to_stage = 'sal'", "interval '14 days'"),
                "first_contact": ("SELECT a.lead_id, a.cycle, min(a.decided_at) AS started FROM routing_assignment a "
                                  "WHERE a.rep_id IS NOT NULL GROUP BY a.lead_id, a.cycle", "interval '1 day'"),
            }
            for kind, (src, window) in sources.items():
                policy, version = pol[kind]
                status = (f"CASE WHEN s.started + {window} >= %(end)s THEN 'running' "
                          f"WHEN {_r(f'hashtext(s.lead_id::text || s.cycle::text || {kind!r})', 'met')} < 0.86 "
                          "THEN 'met' ELSE 'breached' END")
                run(f"clocks {kind}", f"""
                    INSERT INTO sla_slaclock (lead_id, policy_id, kind, policy_version, cycle, started_at, due_at,
                        warn_at, stopped_at, status, breached_at, accountable, accountable_user_id, team_id, cause,
                        stop_reason, high_intent, warn_notified, breach_notified, explanation, created_at,
                        updated_at)
                    SELECT s.lead_id, {policy}, '{kind}', {version}, s.cycle, s.started, s.started + {window},
                           s.started + 0.75 * {window},
                           CASE WHEN st = 'met' THEN s.started + 0.5 * {window}
                                WHEN st = 'breached' THEN s.started + 1.2 * {window} END,
                           st, CASE WHEN st = 'breached' THEN s.started + {window} END,
                           CASE WHEN '{kind}' = 'routing' THEN 'marketing_ops' ELSE 'rep' END,
                           CASE WHEN '{kind}' = 'routing' THEN NULL ELSE l.owner_id END, l.team_id, '', '', false,
                           false, st = 'breached', '{{}}', s.started, s.started
                    FROM ({src}) s JOIN lifecycle_lead l ON l.id = s.lead_id
                    CROSS JOIN LATERAL (SELECT {status} AS st) x
                    ON CONFLICT DO NOTHING""")

        cur.execute("SELECT count(*) FROM lifecycle_revenuetarget")
        if cur.fetchone()[0] == 0:
            run("revenue targets", """
                INSERT INTO lifecycle_revenuetarget (team_id, period_start, amount, currency)
                SELECT NULL, q, GREATEST(1000000, round(COALESCE(sum(o.amount), 0) / 3.5, -3)), 'USD'
                FROM generate_series(
                    date_trunc('quarter', %(end)s::timestamptz AT TIME ZONE 'UTC') - interval '1 year',
                    date_trunc('quarter', %(end)s::timestamptz AT TIME ZONE 'UTC') + interval '6 months',
                    interval '3 months') q
                LEFT JOIN lifecycle_opportunity o ON o.deal_stage NOT IN ('closed_won', 'closed_lost')
                     AND o.close_date >= q AND o.close_date < q + interval '3 months'
                GROUP BY q""")

        cur.execute("SELECT to_regclass('reporting_forecastsnapshot') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT count(*) FROM reporting_forecastsnapshot")
            if cur.fetchone()[0] == 0:
                run("forecast snapshots", """
                    INSERT INTO reporting_forecastsnapshot (week, taken_at, open_deals, open_amount)
                    SELECT w::date, w + interval '5 minutes', 0, 0
                    FROM generate_series(
                        date_trunc('week', %(end)s::timestamptz AT TIME ZONE 'UTC') - interval '51 weeks',
                        date_trunc('week', %(end)s::timestamptz AT TIME ZONE 'UTC'), interval '1 week') w""")
                run("forecast lines", """
                    INSERT INTO reporting_forecastline (snapshot_id, deal_stage, team_id, close_quarter, deals, amount)
                    SELECT s.id, CASE WHEN o.deal_stage IN ('closed_won', 'closed_lost') THEN 'proposal_presented'
                                      ELSE o.deal_stage END,
                           l.team_id, date_trunc('quarter', o.close_date)::date, count(*), sum(o.amount)
                    FROM reporting_forecastsnapshot s
                    JOIN lifecycle_opportunity o ON o.created_at < s.taken_at
                         AND (o.closed_at IS NULL OR o.closed_at >= s.taken_at)
                    JOIN lifecycle_lead l ON l.id = o.lead_id
                    GROUP BY 1, 2, 3, 4""")
                run("forecast totals", """
                    UPDATE reporting_forecastsnapshot s SET open_deals = x.n, open_amount = x.a
                    FROM (SELECT snapshot_id, sum(deals) n, sum(amount) a FROM reporting_forecastline
                          GROUP BY 1) x WHERE x.snapshot_id = s.id""")
        for table in ("lifecycle_marketingevent", "lifecycle_opportunity", "sla_slaclock", "lifecycle_revenuetarget"):
            cur.execute(f"ANALYZE {table}")
    print("done")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.topup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    _setup_django()
    started = time.perf_counter()
    topup(events=args.events, opportunities=args.opportunities, seed=args.seed)
    print(f"total {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
