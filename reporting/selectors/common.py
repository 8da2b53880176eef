"""Shared pieces of the report selectors: periods, ratios, the funnel counts and PostgreSQL's ``percentile_cont``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Aggregate, Count, Expression, FloatField, Func, Q


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval ``[starts_at, ends_at)``. ``from_dates`` makes one of whole days, both
    ends included (from 2026-11-01 to 2026-11-30 = the whole of November)."""

    starts_at: dt.datetime
    ends_at: dt.datetime

    @classmethod
    def from_dates(cls, first: dt.date, last: dt.date) -> Period:
        start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return cls(start, end)


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` rounded to 4 places; None (not 0) when there is nothing to divide by."""
    return round(numerator / denominator, 4) if denominator else None


def funnel_counts() -> dict[str, Count]:
    """The six funnel counts of MQL entries that carry the booleans ``accepted``, ``rejected``, ``reached_sql``,
    ``reached_opportunity`` and ``reached_customer``: the live cohort (``funnel.cohort``) and the rollup's
    ``MqlEntryFact`` rows, so both answer with the same numbers. For ``.annotate(**funnel_counts())``."""
    return {"mqls": Count("id"), "accepted": Count("id", filter=Q(accepted=True)),
            "rejected": Count("id", filter=Q(rejected=True)), "sqls": Count("id", filter=Q(reached_sql=True)),
            "opportunities": Count("id", filter=Q(reached_opportunity=True)),
            "customers": Count("id", filter=Q(reached_customer=True))}


class PercentileCont(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: the continuous percentile (linear
    interpolation between the two nearest values), NULLs ignored."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be in [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class EpochSeconds(Func):
    """``EXTRACT(EPOCH FROM <interval>)``: an interval as (fractional) seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Expression, **extra: Any) -> None:
        super().__init__(expression, **extra)


def seconds_or_none(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)
