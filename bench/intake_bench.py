"""Issue 7: what integrators push in, through the API against a running gunicorn (loopback only).

* ``bulk``: ``POST /leads/bulk/`` with 1,000 new leads per request from ``--clients`` concurrent clients
  (target: 3,000 leads/s sustained, p95 per request < 1 s); ``--repeat`` posts the same batches again (every
  item ``unchanged``); ``--copy-dsn`` measures the raw ceiling, PostgreSQL COPY of the same rows into a copy of
  the lead table with its indexes (``bench.bulk_bench.copy_ceiling``), and our rate as a share of it.
* ``events``: ``POST /events/`` with lists of 1,000 events (half for leads that exist, by email, half creating
  subscribers; every 10th a repeat of an earlier external id) from concurrent clients (target: 5,000 events/s).
* ``single``: ``POST /leads/`` paced at ``--rate`` requests/s (open loop: a request starts every 1/rate s
  whatever the answers do; target: p95 < 50 ms at 50/s).

Every run uses fresh emails (a random prefix), so it consumes nothing but adds leads to the database: use a
database of your own (docs/performance.md, "Issue 7: integrator throughput"). Each result records the
1-minute load average before and after the run.

    python -m bench.intake_bench bulk --base-url http://127.0.0.1:8772 --token lo_... --requests 20 --clients 2
    python -m bench.intake_bench events --base-url http://127.0.0.1:8772 --token lo_... --requests 20
    python -m bench.intake_bench single --base-url http://127.0.0.1:8772 --token lo_... --requests 500 --rate 50

Also ``python -m bench intake`` (the registry in bench/benchmarks.py): all three with small counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.bulk_bench import batch as lead_batch
from bench.bulk_bench import copy_ceiling
from bench.client import Api, Reply, run_load
from bench.stats import Result, summarise

BULK_TARGET = ("p95 < 1000 ms per 1,000 and >= 3,000 leads/s", 1000.0)
EVENTS_TARGET = (">= 5,000 events/s: p95 < 400 ms per 1,000 with 2 clients", 400.0)
SINGLE_TARGET = ("p95 < 50 ms at 50 requests/s", 50.0)
EVENT_TYPES = ["email_open", "email_click", "webinar_attended", "content_download", "pricing_page_view"]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _batches(api: Api, path: str, bodies: list[Any], clients: int, name: str, target: tuple[str, float],
             per_request: int, unit: str) -> Result:
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def call(body: Any) -> Reply:
        reply = api.request("POST", path, body)
        if reply.status == 200:
            with lock:
                for result in reply.json():
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        return reply

    before = load()
    latencies, errors, wall, samples = run_load(bodies, call, concurrency=clients)
    rate = round(len(latencies) * per_request / wall) if wall else 0
    result = summarise(name, latencies, wall_s=wall, target=target[0], target_ms=target[1], concurrency=clients,
                       errors=errors, note=f"{rate} {unit}/s", per_second=rate, statuses=statuses,
                       load_before=before, load_after=load(), error_samples=samples)
    return result


def bulk(api: Api, *, requests: int, clients: int, size: int = 1000, repeat: bool = False,
         copy_dsn: str | None = None) -> list[Result]:
    run = "i" + secrets.token_hex(3)
    for n in range(2):  # warm both workers up (first requests import and compile): not counted
        api.request("POST", "/api/v1/leads/bulk/", lead_batch(run + "w", n, size))
    bodies = [lead_batch(run, n, size) for n in range(requests)]
    out = [_batches(api, "/api/v1/leads/bulk/", bodies, clients, f"bulk upsert, {size} new leads per request",
                    BULK_TARGET, size, "leads")]
    if repeat:
        out.append(_batches(api, "/api/v1/leads/bulk/", bodies, clients,
                            f"bulk upsert, {size} unchanged leads per request (re-sync)", BULK_TARGET, size,
                            "leads"))
    if copy_dsn:
        ceiling = copy_ceiling(copy_dsn, run, requests, size)
        out[0].extra["copy_rows_per_s"] = ceiling["rows_per_s"]
        out[0].extra["share_of_copy"] = round(out[0].extra["per_second"] / ceiling["rows_per_s"], 3)
        out[0].note += f"; COPY ceiling {ceiling['rows_per_s']} rows/s, share {out[0].extra['share_of_copy']:.1%}"
    return out


def _event_batch(run: str, number: int, size: int, known: list[str]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    items = []
    for i in range(size):
        n = number * size + i
        repeat = i % 10 == 9 and n > 0  # a retry of an earlier event: answered "existing"
        key = n - 1 if repeat else n
        email = known[key % len(known)] if key % 2 and known else f"{run}.ev{key}@company{key % 5000}.example"
        items.append({"email": email, "type": EVENT_TYPES[key % len(EVENT_TYPES)],
                      "occurred_at": (now - dt.timedelta(seconds=key)).isoformat(), "source": "bench",
                      "external_id": f"{run}-{key}", "properties": {"n": key}})
    return items


def events(api: Api, *, requests: int, clients: int, size: int = 1000) -> list[Result]:
    run = "e" + secrets.token_hex(3)
    # emails of leads that exist: created for this run through the bulk endpoint (1,000)
    seed = lead_batch(run + "k", 0, 1000)
    reply = api.request("POST", "/api/v1/leads/bulk/", seed)
    known = [item["email"] for item in seed] if reply.status == 200 else []
    for n in range(2):  # warm-up, not counted
        api.request("POST", "/api/v1/events/", _event_batch(run + "w", n, size, known))
    bodies = [_event_batch(run, n, size, known) for n in range(requests)]
    return [_batches(api, "/api/v1/events/", bodies, clients, f"events, lists of {size}", EVENTS_TARGET, size,
                     "events")]


def single(api: Api, *, requests: int, rate: float) -> list[Result]:
    run = "s" + secrets.token_hex(3)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        body = {"email": f"{run}.{n}@company{n % 5000}.example", "first_name": f"F{n}", "last_name": f"L{n}",
                "title": "VP Marketing" if n % 2 else "", "company_name": f"Company {n % 5000}",
                "external_id": f"{run}-{n}", "employee_count": 10 + n % 4000, "country": "DE"}
        reply = api.request("POST", "/api/v1/leads/", body)
        with lock:
            if reply.status == 201:
                latencies.append(reply.ms)
            else:
                errors.append(f"{reply.status}: {reply.body[:200]!r}")

    before = load()
    interval = 1.0 / rate
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for n in range(requests):  # open loop: the schedule does not wait for answers
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n)
    wall = time.perf_counter() - started
    return [summarise(f"POST /leads/ paced at {rate:g}/s", latencies, wall_s=wall, target=SINGLE_TARGET[0],
                      target_ms=SINGLE_TARGET[1], concurrency=16, errors=len(errors), note=f"offered {rate:g}/s",
                      load_before=before, load_after=load(), error_samples=errors[:5])]


def http_intake(opts: Any) -> list[Result]:
    """The registry's entry (``python -m bench intake``): small counts of all three."""
    api = Api(opts.base_url, opts.token, timeout=300)
    return [*bulk(api, requests=6, clients=2), *events(api, requests=6, clients=2),
            *single(api, requests=min(opts.requests, 300), rate=50)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["bulk", "events", "single"])
    parser.add_argument("--base-url", default="http://127.0.0.1:8772")
    parser.add_argument("--token", required=True, help="an API client with leads:write and events:write")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument("--copy-dsn")
    args = parser.parse_args()
    api = Api(args.base_url, args.token, timeout=300)
    if args.what == "bulk":
        results = bulk(api, requests=args.requests, clients=args.clients, size=args.size, repeat=args.repeat,
                       copy_dsn=args.copy_dsn)
    elif args.what == "events":
        results = events(api, requests=args.requests, clients=args.clients, size=args.size)
    else:
        results = single(api, requests=args.requests, rate=args.rate)
    for result in results:
        print(result.line())
        print("   ", result.note, json.dumps({k: v for k, v in result.extra.items() if k != "error_samples"}))
        for sample in result.extra.get("error_samples") or []:
            print("    error:", sample)


if __name__ == "__main__":
    main()
