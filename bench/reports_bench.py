"""Issue 9: the dashboards and reports at 1,000,000 leads, 5,000,000 events and 100,000 opportunities
(``bench/topup.py`` brings a generated dataset to those volumes).

Targets: the weekly pipeline dashboard p95 < 300 ms, every other report p95 < 500 ms, data at most 5 minutes
stale. Two runs, from this separate process over loopback (the whole answer read):

- ``--mode live``: the rollup state is removed first, so every report computes from the history tables
  (the "before");
- ``--mode rollup`` (default): the rollups are rebuilt first and, while the run lasts, again every 120 s on
  a background thread (as the beat does), so the run also measures the refresh's effect on latency; the
  refresh durations are printed.

Every ``/api/v1/reports/...`` endpoint (JSON; the CSV of the weekly pipeline) with an admin token, and the
pages ``/dashboards/...`` through a signed-in session (``bench.admin``, password ``bench-password``).

    python -m bench reports --base-url http://127.0.0.1:8773 --requests 40
    python -m bench.reports_bench --base-url http://127.0.0.1:8773 --requests 40 --mode live [--only funnel]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import threading
import time
import urllib.parse
from typing import Any

from bench.client import Api, Reply, run_load
from bench.stats import Result, summarise

WEEKLY_TARGET = ("p95 < 300 ms", 300.0)
REPORT_TARGET = ("p95 < 500 ms", 500.0)
REFRESH_EVERY = 120.0


def endpoints(today: str, d30: str, d90: str, week: str, month: str) -> list[tuple[str, str, str, tuple[str, float]]]:
    """(label, path, kind: api or page, target)."""
    w, r = WEEKLY_TARGET, REPORT_TARGET
    p30, p90 = f"from={d30}&to={today}", f"from={d90}&to={today}"
    return [
        ("weekly pipeline API", f"/api/v1/reports/weekly-pipeline/?week={week}", "api", w),
        ("weekly pipeline CSV", f"/api/v1/reports/weekly-pipeline.csv?week={week}", "csv", w),
        ("weekly pipeline page", f"/dashboards/weekly-pipeline/?week={week}", "page", w),
        ("funnel by channel, 30 days", f"/api/v1/reports/funnel/?{p30}&group_by=channel", "api", r),
        ("funnel by campaign, 90 days", f"/api/v1/reports/funnel/?{p90}&group_by=campaign", "api", r),
        ("funnel by team, 30 days", f"/api/v1/reports/funnel/?{p30}&group_by=team", "api", r),
        ("funnel by score band, 30 days", f"/api/v1/reports/funnel/?{p30}&group_by=score_band", "api", r),
        ("funnel page, 30 days", f"/dashboards/funnel/?{p30}&group_by=channel", "page", r),
        ("SLA by policy, 30 days", f"/api/v1/reports/sla/?{p30}&group_by=policy", "api", r),
        ("SLA by rep, 90 days", f"/api/v1/reports/sla/?{p90}&group_by=rep", "api", r),
        ("SLA page by team, 30 days", f"/dashboards/sla/?{p30}&group_by=team", "page", r),
        ("attribution first touch, 30 days", f"/api/v1/reports/attribution/?{p30}&model=first_touch", "api", r),
        ("attribution U-shaped, 90 days", f"/api/v1/reports/attribution/?{p90}&model=u_shaped", "api", r),
        ("attribution page, 30 days", f"/dashboards/attribution/?{p30}", "page", r),
        ("lead quality scorecard, 90 days", f"/api/v1/reports/lead-quality/?{p90}", "api", r),
        ("win/loss, 90 days", f"/api/v1/reports/win-loss/?{p90}", "api", r),
        ("campaign calendar, 90 days", f"/api/v1/reports/campaign-calendar/?{p90}", "api", r),
        ("forecast vs actual, 13 weeks", "/api/v1/reports/forecast/", "api", r),
        ("forecast page, 13 weeks", "/dashboards/forecast/", "page", r),
        ("alignment score", f"/api/v1/reports/alignment/?month={month}", "api", r),
        ("alignment page", f"/dashboards/alignment/?month={month}", "page", r),
    ]


def _csv_get(base_url: str, token: str, path: str) -> Reply:
    """GET a CSV export (``Accept: text/csv``; the JSON client asks for JSON only)."""
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Token {token}", "Accept": "text/csv"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return Reply(response.status, body, (time.perf_counter() - started) * 1000)


class Refresher(threading.Thread):
    """Rebuilds the rollups every ``REFRESH_EVERY`` seconds while the run lasts (what the beat does)."""

    def __init__(self, every: float = REFRESH_EVERY) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.stop = threading.Event()
        self.seconds: list[float] = []

    def run(self) -> None:
        from django.db import connection

        from leadops import clock
        from reporting import services

        try:
            while not self.stop.wait(self.every):
                self.seconds.append(services.rollups_refresh(now=clock.now()).seconds)
        finally:
            connection.close()


def _dates() -> dict[str, str]:
    import datetime as dt

    from django.db.models import Max

    from lifecycle.models import Lead

    end = Lead.objects.aggregate(m=Max("created_at"))["m"].date()  # the dataset's last day
    year, week, _ = end.isocalendar()
    return {"today": end.isoformat(), "d30": (end - dt.timedelta(days=29)).isoformat(),
            "d90": (end - dt.timedelta(days=89)).isoformat(), "week": f"{year}-W{week:02d}",
            "month": f"{end.replace(day=1) - dt.timedelta(days=1):%Y-%m}"}  # the last whole month


def http_reports(opts: Any, mode: str = "rollup", refresh_every: float = REFRESH_EVERY) -> list[Result]:
    from bench.workspace_bench import Browser
    from leadops import clock
    from reporting import services
    from reporting.models import RollupState

    if mode == "live":
        RollupState.objects.all().delete()
        print("rollup state removed: every report computes live", flush=True)
    else:
        state = services.rollups_refresh(now=clock.now())
        print(f"rollups rebuilt in {state.seconds:.1f}s ({state.rows} MQL entries)", flush=True)
    refresher = Refresher(refresh_every) if mode == "rollup" else None
    if refresher:
        refresher.start()
    api = Api(opts.base_url, opts.token)
    browser = Browser(opts.base_url).sign_in("bench.admin")
    n = max(1, min(opts.requests, 200))
    results = []
    try:
        for label, path, kind, target in endpoints(**_dates()):
            if opts.only and opts.only not in label:
                continue

            def call(_: int, path: str = path, kind: str = kind) -> Reply:
                if kind == "csv":
                    return _csv_get(opts.base_url, opts.token, path)
                return api.request("GET", path) if kind == "api" else browser.request("GET", path)

            for i in range(opts.warmup):
                first = call(i)
                if first.status != 200:
                    raise RuntimeError(f"{label}: {first.status} {first.body[:200]!r}")
            load = os.getloadavg()[0]
            samples, errors, wall, bodies = run_load(range(n), call, concurrency=opts.concurrency)
            result = summarise(f"{label} [{mode}]", samples, wall_s=wall, target=target[0], target_ms=target[1],
                               concurrency=opts.concurrency, errors=errors, note=f"load {load:.2f}",
                               load=round(load, 2), mode=mode, path=path)
            print(result.line(), f"load {load:.2f}", flush=True)
            for body in bodies:
                print("   ", body)
            results.append(result)
    finally:
        if refresher:
            refresher.stop.set()
            refresher.join(timeout=120)
            print(f"refreshes during the run: {len(refresher.seconds)}, seconds {refresher.seconds}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8773")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--mode", choices=["rollup", "live"], default="rollup")
    parser.add_argument("--only")
    parser.add_argument("--refresh-every", type=float, default=REFRESH_EVERY,
                        help="seconds between rollup rebuilds during a rollup run (the beat: 120)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")
    import django

    django.setup()
    from bench.benchmarks import Options, issue_tokens, revoke_issued

    opts = Options(base_url=args.base_url, requests=args.requests, concurrency=args.concurrency,
                   warmup=args.warmup, only=args.only)
    issue_tokens(opts)
    try:
        started = time.perf_counter()
        results = http_reports(opts, args.mode, args.refresh_every)
        print(f"\n{len(results)} endpoints in {time.perf_counter() - started:.0f}s; load now {os.getloadavg()[0]:.2f}")
        for r in results:
            print("  " + r.line())
    finally:
        revoke_issued(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
