"""Latency summaries: median, p95, p99 (nearest-rank on the sorted samples) and throughput."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(sorted_samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted samples (no interpolation: a real observed value)."""
    if not sorted_samples:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


@dataclass
class Result:
    """One measured benchmark (or one variant of it): latencies in milliseconds."""

    name: str
    target: str  # e.g. "p95 < 50 ms"
    target_ms: float | None
    n: int
    median: float
    p95: float
    p99: float
    mean: float
    min: float
    max: float
    throughput: float  # operations per second over the wall time of the run
    concurrency: int
    errors: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target_ms is None or math.isnan(self.p95):
            return None
        return self.p95 < self.target_ms and self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}

    def line(self) -> str:
        verdict = {True: "MET", False: "MISSED", None: "-"}[self.met]
        err = f"  errors {self.errors}" if self.errors else ""
        return (f"{self.name:<58} n={self.n:<5} median {self.median:7.2f} ms  p95 {self.p95:7.2f} ms  "
                f"p99 {self.p99:7.2f} ms  {self.throughput:7.1f}/s  c={self.concurrency}  "
                f"[{self.target or 'no target'}: {verdict}]{err}")


def summarise(name: str, samples_ms: list[float], *, wall_s: float, target: str = "", target_ms: float | None = None,
              concurrency: int = 1, errors: int = 0, note: str = "", **extra: Any) -> Result:
    s = sorted(samples_ms)
    n = len(s)
    return Result(
        name=name, target=target, target_ms=target_ms, n=n,
        median=percentile(s, 50), p95=percentile(s, 95), p99=percentile(s, 99),
        mean=sum(s) / n if n else math.nan, min=s[0] if s else math.nan, max=s[-1] if s else math.nan,
        throughput=n / wall_s if wall_s > 0 else math.nan, concurrency=concurrency, errors=errors, note=note,
        extra=extra,
    )
