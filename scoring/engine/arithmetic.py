"""``score(facts, events, model, now)``: the fit and behaviour contributions, with decay and caps, and the total."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scoring.engine.compiled import ModelSpec
from scoring.engine.definitions import FitRuleDef, Operator

# --- scoring -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One rule's part of a score. ``points`` is what it adds to the total (after decay, cap and rounding)."""

    kind: str  # "fit" or "behaviour"
    rule: str
    points: int
    detail: str
    field: str = ""  # fit
    operator: str = ""  # fit
    value: Any = None  # fit: the lead's fact that matched
    event_type: str = ""  # behaviour
    events: int = 0  # behaviour: how many events of the type
    raw_points: int = 0  # behaviour: points before decay and cap
    decayed_points: float = 0.0  # behaviour: after decay, before the cap (2 decimals)
    cap: int | None = None
    capped: bool = False
    half_life_days: float | None = None
    latest_at: dt.datetime | None = None


@dataclass(frozen=True)
class ScoreResult:
    fit: int
    behaviour: int
    total: int
    threshold: int
    model_version: int
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)

    @property
    def above_threshold(self) -> bool:
        return self.total >= self.threshold


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def score(facts: Mapping[str, Any], events: Iterable[tuple[str, dt.datetime]], model: ModelSpec,
          now: dt.datetime) -> ScoreResult:
    """Score one lead. ``events`` are ``(type, occurred_at)`` pairs (aware datetimes), in any order."""
    contributions: list[Contribution] = []
    fit = 0
    for rule, matches in model.fit:
        value = facts.get(rule.field)
        if matches(value):
            fit += rule.points
            contributions.append(Contribution(
                kind="fit", rule=rule.name, points=rule.points, field=rule.field, operator=rule.operator,
                value=value, detail=f"{rule.field} = {value!r} ({rule.operator} {_describe(rule)})",
            ))

    behaviours = model.behaviour
    now_ts = now.timestamp()
    weights: dict[str, list[float]] = {}
    latest: dict[str, dt.datetime] = {}
    for event_type, occurred_at in events:
        b = behaviours.get(event_type)
        if b is None:
            continue
        age = now_ts - occurred_at.timestamp()
        weight = 1.0 if age <= 0.0 or b.rate == 0.0 else math.exp(-b.rate * age)
        bucket = weights.get(event_type)
        if bucket is None:
            weights[event_type] = [weight]
            latest[event_type] = occurred_at
        else:
            bucket.append(weight)
            if occurred_at > latest[event_type]:
                latest[event_type] = occurred_at

    behaviour = 0
    for event_type in sorted(weights):
        b = behaviours[event_type]
        brule = b.rule
        count = len(weights[event_type])
        decayed = brule.points * math.fsum(weights[event_type])  # fsum: the same sum in any event order
        capped_value = decayed
        capped = False
        if brule.cap is not None and abs(decayed) > brule.cap:
            capped_value = math.copysign(brule.cap, decayed)
            capped = True
        points = round_half_up(capped_value)
        behaviour += points
        decay_text = "no decay" if brule.half_life_days is None else f"half-life {_fmt(float(brule.half_life_days))} d"
        detail = (f"{count} × {brule.points} pts = {count * brule.points}, {decay_text} → {_fmt(decayed)}"
                  + (f", capped at {brule.cap}" if capped else ""))
        contributions.append(Contribution(
            kind="behaviour", rule=brule.name or event_type, points=points, detail=detail, event_type=event_type,
            events=count, raw_points=count * brule.points, decayed_points=round(decayed, 2), cap=brule.cap,
            capped=capped, half_life_days=None if brule.half_life_days is None else float(brule.half_life_days),
            latest_at=latest[event_type],
        ))
    return ScoreResult(fit=fit, behaviour=behaviour, total=fit + behaviour, threshold=model.threshold,
                       model_version=model.version, contributions=tuple(contributions))


def _describe(rule: FitRuleDef) -> str:
    value = rule.value
    if rule.operator == Operator.RANGE:
        low, high = value.get("min"), value.get("max")
        if low is not None and high is not None:
            return f"{low}-{high}"
        return f">= {low}" if low is not None else f"<= {high}"
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:5])
        return f"[{shown}{', ...' if len(value) > 5 else ''}]"
    return repr(value)
