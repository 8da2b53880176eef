"""``python -m bench <name> [options]`` runs one benchmark; ``python -m bench all`` runs every one and writes
the results table of docs/performance.md. ``python -m bench list`` names them; ``python -m bench report``
re-renders that table from bench/results/all.json without measuring.

Needs the same database settings as the server (DATABASE_URL ...): in-process benchmarks, token
issuing and the plans read it. HTTP benchmarks go to ``--base-url`` (loopback only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import traceback
from pathlib import Path


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a benchmark name, 'all' or 'list'")
    parser.add_argument("--base-url", default="http://127.0.0.1:8765", help="the running server (loopback)")
    parser.add_argument("--token", help="token for reads (an admin); default: issue one for bench.admin")
    parser.add_argument("--manager-token", help="token of a sales manager for accept/reject; default: issue one "
                                                "for bench.mgr.sales_na")
    parser.add_argument("--requests", type=int, default=200, help="requests per benchmark (bounded)")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--server-pid", type=int, help="gunicorn master pid (default: found by --base-url)")
    parser.add_argument("--no-write", action="store_true", help="'all' without touching docs/performance.md")
    parser.add_argument("--only", help="lead_list / list_sql: only the combinations whose label contains this")
    parser.add_argument("--quiet-wait", type=int, default=0, metavar="SECONDS",
                        help="first wait (at most this long) for the 1-minute load average to drop below the core "
                             "count: the machine is shared")
    args = parser.parse_args(argv)

    _setup_django()
    from bench import machine, report
    from bench.benchmarks import BENCHMARKS, Options, issue_tokens, revoke_issued
    from bench.memory import RssSampler, find_gunicorn

    if args.name == "report":  # re-render docs/performance.md from the last 'all' run, measuring nothing
        saved = Path(__file__).resolve().parent / "results" / "all.json"
        print(f"wrote {report.write(json.loads(saved.read_text()))}")
        return 0
    if args.name == "list":
        for bench in BENCHMARKS.values():
            print(f"{bench.name:<20} {'HTTP' if bench.http else 'in-process':<11} {bench.about}")
        return 0
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; one of: all, list, {', '.join(BENCHMARKS)}")
    if args.requests < 1 or args.requests > 5000 or args.concurrency < 1 or args.concurrency > 32:
        parser.error("--requests 1..5000 and --concurrency 1..32")

    if args.quiet_wait:
        waited = machine.wait_for_quiet(args.quiet_wait)
        print(f"waited {waited:.0f}s for a quieter machine (load {os.getloadavg()[0]:.2f})")
    info = machine.describe()
    print(f"machine: {machine.one_line(info)}")
    opts = Options(base_url=args.base_url, token=args.token, manager_token=args.manager_token,
                   requests=args.requests, concurrency=args.concurrency, warmup=args.warmup,
                   server_pid=args.server_pid, only=args.only)
    http_names = [n for n in names if BENCHMARKS[n].http]
    sampler = None
    memory: dict[str, object] | None = None
    if http_names:
        master = find_gunicorn(args.base_url, args.server_pid)
        if master is None:
            print(f"note: no gunicorn found serving {args.base_url}; worker memory is not sampled")
        else:
            sampler = RssSampler(master)
            print(f"gunicorn master pid {master.pid}, workers {[p.pid for p in master.children()]}")
        issue_tokens(opts)

    results, failures = [], {}
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    try:
        for name in names:
            bench = BENCHMARKS[name]
            print(f"\n== {name}: {bench.about}", flush=True)
            try:
                if bench.http and sampler is not None and not sampler.is_alive():
                    sampler.start()
                results += bench.run(opts)
            except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others
                failures[name] = f"{exc.__class__.__name__}: {exc}"
                traceback.print_exc()
    finally:
        if sampler is not None and sampler.is_alive():
            memory = sampler.stop()
        revoke_issued(opts)
    if memory:
        print(f"\ngunicorn peak RSS: master {memory['master_peak_mib']} MiB, workers {memory['worker_peak_mib']} "
              f"MiB (max {memory['max_worker_peak_mib']} MiB, sum {memory['workers_total_peak_mib']} MiB), "
              f"{memory['samples']} samples")

    load_after = os.getloadavg()
    info["load"] = (f"load average {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end "
                    f"(1-minute; 2.0 = both cores busy)")
    print(f"\n{info['load']}")
    print("\nsummary")
    for result in results:
        print("  " + result.line())
    for name, error in failures.items():
        print(f"  {name}: FAILED {error}")

    run = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "machine": info, "args": {
            "requests": args.requests, "concurrency": args.concurrency, "base_url": args.base_url},
            "results": [r.as_dict() for r in results], "failures": failures, "memory": memory,
            "dataset": report.dataset_summary()}
    out = Path(__file__).resolve().parent / "results" / f"{args.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(run, indent=2, default=str))
    print(f"\nwrote {out}")
    if args.name == "all" and not args.no_write:
        path = report.write(run)
        print(f"wrote {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
