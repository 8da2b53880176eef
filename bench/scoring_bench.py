"""Benchmark of the pure scoring function (issue 4): one lead with 200 events, target under 2 ms.

``scoring.engine.score`` needs no database and no Django settings, so this runs anywhere:

    python -m bench.scoring_bench [--events 200] [--n 5000]

It prints median, p95 and p99 in microseconds. ``run(opts)`` returns the same measurement as a
``bench.stats.Result`` (milliseconds, like every other benchmark) for the bench runner's registry.
The events mix the default model's types with types it has no rule for (they are read and skipped),
spread over a year, so decay is computed for every scored event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from typing import Any

from bench.stats import Result, summarise
from scoring.defaults import DEFAULT_MODEL
from scoring.engine import compile_model, score

TARGET = ("p95 < 2 ms", 2.0)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
EVENT_MIX = [("email_open", 30), ("page_view", 20), ("email_click", 14), ("pricing_page_view", 7),
             ("content_download", 8), ("webinar_registered", 4), ("webinar_attended", 3), ("form_submit", 3),
             ("demo_request", 1), ("contact_sales", 1)]


def inputs(n_events: int = 200, seed: int = 4) -> tuple[dict[str, Any], list[tuple[str, dt.datetime]]]:
    rng = random.Random(seed)
    types = [t for t, _ in EVENT_MIX]
    weights = [w for _, w in EVENT_MIX]
    events = [(rng.choices(types, weights)[0], NOW - dt.timedelta(seconds=rng.uniform(0, 365 * 86_400)))
              for _ in range(n_events)]
    facts = {
        "title": "Director of Marketing", "seniority": "director", "industry": "Software", "employee_count": 240,
        "country": "DE", "lead_type": "new_business", "source": "webinar", "email_domain": "nimbus.example",
        "company_domain": "nimbus.example", "company_name": "Nimbus Labs", "free_mail": False,
        "account.industry": "Software", "account.employee_count": 240, "account.country": "DE",
        "account.domain": "nimbus.example", "account.annual_revenue": None,
    }
    return facts, events


def measure(n_events: int = 200, n: int = 5000, warmup: int = 500) -> Result:
    spec = compile_model(DEFAULT_MODEL)
    facts, events = inputs(n_events)
    for _ in range(warmup):
        score(facts, events, spec, NOW)
    samples = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        score(facts, events, spec, NOW)
        samples.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    result = score(facts, events, spec, NOW)
    return summarise(f"scoring.engine.score() on {n_events} events (pure, in-process)", samples, wall_s=wall,
                     target=TARGET[0], target_ms=TARGET[1],
                     note=f"total {result.total} = fit {result.fit} + behaviour {result.behaviour}")


def run(opts: Any = None) -> list[Result]:
    """For the bench runner (``bench.benchmarks.Benchmark(..., http=False)``)."""
    n = max(1000, getattr(opts, "requests", 0) * 10) if opts is not None else 5000
    result = measure(n=n)
    print(result.line(), flush=True)
    print(_micro(result), flush=True)
    return [result]


def _micro(result: Result) -> str:
    return (f"  in microseconds: median {result.median * 1000:.1f} µs, p95 {result.p95 * 1000:.1f} µs, "
            f"p99 {result.p99 * 1000:.1f} µs, max {result.max * 1000:.1f} µs over n={result.n} "
            f"({result.note}) [{result.target}: {'MET' if result.met else 'MISSED'}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    result = measure(n_events=args.events, n=args.n)
    print(result.line())
    print(_micro(result))


if __name__ == "__main__":
    main()
