"""SLA benchmarks (issue 6).

``python -m bench.sla_bench calendar``
    ``add_business_time`` / ``business_time_between`` per call on a calendar with five years of holidays
    (Europe/Berlin, Mon-Fri 09:00-12:30 and 13:30-17:30, 12 holidays a year), random starts over the five
    years and random durations up to P14D; the 24x7 calendar for comparison. Pure Python, no database.

``DATABASE_URL=postgres://.../scratch python -m bench.sla_bench sweep [--leads N] [--clocks N] [--burst N]``
    On a scratch database (it is migrated and filled: never point it at data you keep): ``--leads`` leads
    (default 1,000,000) and ``--clocks`` running first-contact clocks due over the next 14 days (default
    200,000), then
    1. a quiet sweep (nothing due): its time, median of 20, and ``EXPLAIN (ANALYZE)`` of both sweep queries;
    2. a burst: ``--burst`` clocks (default 100,000) made due in the same minute, swept (four worker
       threads, each its own connection, as four Celery workers would) until done; the time to flag and
       notify them all and a check that no clock was notified twice.

``DATABASE_URL=... REDIS_URL=redis://... python -m bench.sla_bench latency [--due N] [--minutes M]``
    The same fill, then ``--due`` clocks (default 1,000) made due at random moments over the next ``--minutes``
    (default 5) while a real Celery beat (the 15-second ``sla-sweep``) and a real worker run against the
    database, started by this script as ``leadops up`` starts them; afterwards, for each of those clocks,
    ``breached_at - due_at``: how late the breach was flagged (median, p95, p99, max) and whether each was
    notified exactly once. The processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import threading
import time


def bench_calendar(calls: int = 100_000) -> dict[str, float]:
    from sla.calendar_math import CalendarSpec, add_business_time, business_time_between, parse_working_hours

    hours = parse_working_hours([{"weekday": d, "start": "09:00", "end": "12:30"} for d in range(5)]
                                + [{"weekday": d, "start": "13:30", "end": "17:30"} for d in range(5)])
    holidays = {}
    for year in range(2026, 2031):
        for month, day in [(1, 1), (4, 3), (4, 6), (5, 1), (5, 14), (5, 25), (10, 3), (10, 31), (12, 24),
                           (12, 25), (12, 26), (12, 31)]:
            holidays[dt.date(year, month, day)] = "holiday"
    calendar = CalendarSpec(name="bench", time_zone="Europe/Berlin", hours=hours, holidays=holidays)
    always = CalendarSpec(name="24x7")
    rng = random.Random(6)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(seconds=rng.randrange(5 * 365 * 86400)) for _ in range(calls)]
    durations = [dt.timedelta(minutes=rng.randrange(1, 14 * 24 * 60)) for _ in range(calls)]
    ends = [s + d for s, d in zip(starts, durations, strict=True)]

    t0 = time.perf_counter()
    add_business_time(starts[0], durations[0], calendar)  # compiles the calendar once
    compile_ms = (time.perf_counter() - t0) * 1000

    def per_call(fn, a, b, cal) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for x, y in zip(a, b, strict=True):
                fn(x, y, cal)
            best = min(best, (time.perf_counter() - t) / len(a) * 1e6)
        return best

    return {
        "holidays": len(holidays),
        "compile_ms": round(compile_ms, 1),
        "add_business_time_us": round(per_call(add_business_time, starts, durations, calendar), 2),
        "business_time_between_us": round(per_call(business_time_between, starts, ends, calendar), 2),
        "add_business_time_24x7_us": round(per_call(add_business_time, starts, durations, always), 2),
    }


# --- the sweep ------------------------------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.test")
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a scratch database (it is migrated and filled)")
    import django

    django.setup()


def _fill(leads: int, clocks: int, log, reset_sla: bool = True) -> None:
    from django.core.management import call_command
    from django.db import connection

    from leadops.models import Team, User
    from sla.models import SlaPolicy
    from sla.services import ensure_defaults

    call_command("migrate", verbosity=0)
    if reset_sla:  # the SLA tables of the scratch database start afresh (no dead index entries of earlier runs)
        call_command("migrate", "sla", "zero", verbosity=0)
        call_command("migrate", verbosity=0)
    ensure_defaults()
    team, _ = Team.objects.get_or_create(name="Bench sales", defaults={"kind": "sales"})
    manager, _ = User.objects.get_or_create(username="bench.sla.mgr", defaults={"role": "sales_manager",
                                                                               "email": "m@bench.example"})
    team.manager = manager
    team.save()
    rep, _ = User.objects.get_or_create(username="bench.sla.rep", defaults={"role": "sales_rep", "team": team,
                                                                           "email": "r@bench.example"})
    policy = SlaPolicy.objects.get(kind="first_contact", active=True)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM lifecycle_lead WHERE email LIKE 'slabench%%'")
        have = cur.fetchone()[0]
        if have < leads:
            t = time.perf_counter()
            cur.execute(
                """INSERT INTO lifecycle_lead (email, first_name, last_name, title, seniority, phone, company_name,
                       company_domain, country, lead_type, source, stage, status, fit_score, behaviour_score,
                       score, high_intent, disposition_note, recycle_count, transition_count, budget, authority,
                       need, timeline, touch_attempts, created_at, updated_at, owner_id, team_id, became_mql_at,
                       assigned_at, industry)
                   SELECT 'slabench' || g || '@bench.example', 'Pat', 'Doe' || g, '', '', '+1 555', 'Bench ' || g,
                       '', '', 'new_business', '', 'mql', 'new', 0, 0, 0, false, '', 0, 0, '', '', '', '', 0,
                       now(), now(), %s, %s, now(), now(), ''
                   FROM generate_series(%s, %s) AS g""", [rep.pk, team.pk, have + 1, leads])
            log(f"leads: {leads - have:,} inserted in {time.perf_counter() - t:.1f} s")
        bench_clocks = "SELECT c.id FROM sla_slaclock c JOIN lifecycle_lead l ON l.id = c.lead_id " \
                       "WHERE l.email LIKE 'slabench%%'"
        for table in ("sla_notification", "sla_slaclockevent"):
            cur.execute(f"DELETE FROM {table} WHERE clock_id IN ({bench_clocks})")
        cur.execute(f"DELETE FROM sla_outboundevent WHERE key IN (SELECT 'clock:' || id FROM ({bench_clocks}) b)")
        cur.execute(f"DELETE FROM sla_slaclock WHERE id IN ({bench_clocks})")
        t = time.perf_counter()
        cur.execute(
            """INSERT INTO sla_slaclock (lead_id, policy_id, kind, policy_version, cycle, started_at, due_at,
                   warn_at, status, accountable, accountable_user_id, team_id, cause, stop_reason, high_intent,
                   warn_notified, breach_notified, explanation, created_at, updated_at)
               SELECT id, %s, 'first_contact', %s, 0, now(), due, now() + (due - now()) * 0.75, 'running', 'rep', %s,
                   %s, '', '', false, false, false, '{}', now(), now()
               FROM (SELECT id, now() + interval '1 hour' + (random() * interval '14 days') AS due
                     FROM lifecycle_lead WHERE email LIKE 'slabench%%' ORDER BY id LIMIT %s) AS l""",
            [policy.pk, policy.version, rep.pk, team.pk, clocks])
        cur.execute("VACUUM ANALYZE sla_slaclock")
        log(f"clocks: {clocks:,} running, inserted in {time.perf_counter() - t:.1f} s")


def bench_sweep(leads: int, clocks: int, burst: int, workers: int = 4) -> dict[str, object]:
    _setup_django()
    from django.db import connection
    from django.db.models import Count

    from leadops import clock
    from sla.models import Notification, SlaClock
    from sla.services import sla_sweep
    from sla.services.sweep import due_clocks, warn_clocks

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    _fill(leads, clocks, log)
    quiet = []
    for _ in range(20):
        t = time.perf_counter()
        result = sla_sweep()
        quiet.append((time.perf_counter() - t) * 1000)
        assert result.breached == 0 and result.warned == 0
    now = clock.now()
    plans = {}
    with connection.cursor() as cur:
        for name, qs in (("due", due_clocks(now)[:500]), ("warn", warn_clocks(now)[:500])):
            sql, params = qs.query.sql_with_params()
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans[name] = "\n".join(row[0] for row in cur.fetchall())

    ids = list(SlaClock.objects.filter(status="running", lead__email__startswith="slabench")
               .order_by("id").values_list("id", flat=True)[:burst])
    due = clock.now() - dt.timedelta(seconds=1)
    for start in range(0, len(ids), 10_000):
        SlaClock.objects.filter(pk__in=ids[start:start + 10_000]).update(due_at=due, warn_at=due - dt.timedelta(
            hours=1), started_at=due - dt.timedelta(hours=24))
    t = time.perf_counter()
    done = [0] * workers

    def work(i: int) -> None:
        try:
            while True:
                got = sla_sweep(batch_size=500, time_budget=50).breached
                done[i] += got
                if not got:
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    burst_s = time.perf_counter() - t
    duplicates = (Notification.objects.filter(clock_id__in=ids).values("clock", "kind", "recipient")
                  .annotate(n=Count("id")).filter(n__gt=1).count())
    notified = Notification.objects.filter(clock_id__in=ids, kind="sla.breached").values("clock").distinct().count()
    return {
        "leads": leads, "running_clocks": clocks,
        "quiet_sweep_ms_median": round(statistics.median(quiet), 2), "quiet_sweep_ms_max": round(max(quiet), 2),
        "plan_due": plans["due"], "plan_warn": plans["warn"],
        "burst": len(ids), "burst_seconds": round(burst_s, 1), "burst_per_worker": done,
        "burst_clocks_notified": notified, "duplicate_notifications": duplicates,
    }


def bench_latency(leads: int, clocks: int, due: int, minutes: float) -> dict[str, object]:
    import signal
    import subprocess
    import tempfile

    _setup_django()
    from django.db.models import Count

    from leadops import clock
    from sla.models import Notification, SlaClock

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL (the broker of the worker and beat this benchmark starts)")
    _fill(leads, clocks, log)
    rng = random.Random(6)
    ids = list(SlaClock.objects.filter(status="running", lead__email__startswith="slabench")
               .order_by("id").values_list("id", flat=True)[:due])
    start = clock.now() + dt.timedelta(seconds=45)  # the processes are up by then
    window = dt.timedelta(minutes=minutes)
    for pk in ids:
        at = start + window * rng.random()
        SlaClock.objects.filter(pk=pk).update(due_at=at, warn_at=at - dt.timedelta(minutes=30),
                                              started_at=at - dt.timedelta(hours=24))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadops.settings.dev", "DEBUG": "false"}
    workdir = tempfile.mkdtemp(prefix="sla-latency-")
    loads = []
    with open(os.path.join(workdir, "worker.log"), "w") as worker_log, \
            open(os.path.join(workdir, "beat.log"), "w") as beat_log:
        procs = [
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "leadops", "worker", "--loglevel", "WARNING",
                              "--concurrency", "2", "--hostname", "sla-latency@%h"], env=env,
                             start_new_session=True, stdout=worker_log, stderr=subprocess.STDOUT),
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "leadops", "beat", "--loglevel", "WARNING",
                              "--schedule", os.path.join(workdir, "beat-schedule")], env=env,
                             start_new_session=True, stdout=beat_log, stderr=subprocess.STDOUT),
        ]
        try:
            end = start + window + dt.timedelta(seconds=90)
            log(f"{len(ids)} clocks due between {start:%H:%M:%S} and {start + window:%H:%M:%S} UTC; "
                f"waiting until {end:%H:%M:%S} (logs in {workdir})")
            while clock.now() < end:
                time.sleep(5)
                loads.append(os.getloadavg()[0])
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
    rows = list(SlaClock.objects.filter(pk__in=ids).values_list("due_at", "breached_at"))
    late = sorted((b - d).total_seconds() for d, b in rows if b is not None)
    missed = sum(1 for _, b in rows if b is None)
    duplicates = (Notification.objects.filter(clock_id__in=ids).values("clock", "kind", "recipient")
                  .annotate(n=Count("id")).filter(n__gt=1).count())

    def pct(q: float) -> float:
        return round(late[min(len(late) - 1, int(q * len(late)))], 1) if late else float("nan")

    return {
        "leads": leads, "running_clocks": clocks, "due_clocks": len(ids), "window_minutes": minutes,
        "flagged": len(late), "not_flagged": missed,
        "late_s_median": round(statistics.median(late), 1) if late else None,
        "late_s_p95": pct(0.95), "late_s_p99": pct(0.99), "late_s_max": round(max(late), 1) if late else None,
        "duplicate_notifications": duplicates,
        "load_1min_median": round(statistics.median(loads), 2) if loads else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sla_bench")
    sub = parser.add_subparsers(dest="what", required=True)
    cal = sub.add_parser("calendar")
    cal.add_argument("--calls", type=int, default=100_000)
    sweep = sub.add_parser("sweep")
    sweep.add_argument("--leads", type=int, default=1_000_000)
    sweep.add_argument("--clocks", type=int, default=200_000)
    sweep.add_argument("--burst", type=int, default=100_000)
    sweep.add_argument("--workers", type=int, default=4)
    latency = sub.add_parser("latency")
    latency.add_argument("--leads", type=int, default=1_000_000)
    latency.add_argument("--clocks", type=int, default=200_000)
    latency.add_argument("--due", type=int, default=1_000)
    latency.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    if args.what == "calendar":
        result = bench_calendar(args.calls)
    elif args.what == "latency":
        result = bench_latency(args.leads, args.clocks, args.due, args.minutes)
    else:
        result = bench_sweep(args.leads, args.clocks, args.burst, args.workers)
    for key, value in result.items():
        print(f"{key}: {value}" if not isinstance(value, str) or "\n" not in value else f"{key}:\n{value}")


if __name__ == "__main__":
    main()
