"""A validated model compiled for speed (``compile_model`` -> ``ModelSpec``): one matcher per fit rule, the decay
rate per behaviour rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.engine.definitions import (
    FACTS,
    SECONDS_PER_DAY,
    BehaviourRuleDef,
    FactType,
    FitRuleDef,
    ModelDef,
    Operator,
    Problem,
)
from scoring.engine.validation import validate_model

# --- compiled model ------------------------------------------------------------------------------------


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _matcher(rule: FitRuleDef, kind: FactType) -> Callable[[Any], bool]:
    """A predicate over one fact value. A missing value (None or blank) never matches, whatever the operator."""
    op = Operator(rule.operator)
    if op == Operator.EQUALS:
        want = _norm(rule.value)
        if kind == FactType.NUMBER:
            return lambda v: not _missing(v) and Decimal(str(v)) == Decimal(str(want))
        return lambda v: not _missing(v) and _norm(v) == want
    if op in (Operator.IN, Operator.NOT_IN):
        if kind == FactType.NUMBER:
            numbers = frozenset(Decimal(str(item)) for item in rule.value)
            member: Callable[[Any], bool] = lambda v: Decimal(str(v)) in numbers  # noqa: E731
        else:
            items = frozenset(_norm(item) for item in rule.value)
            member = lambda v: _norm(v) in items  # noqa: E731
        if op == Operator.IN:
            return lambda v: not _missing(v) and member(v)
        return lambda v: not _missing(v) and not member(v)
    if op == Operator.RANGE:
        low, high = rule.value.get("min"), rule.value.get("max")
        low_d = None if low is None else Decimal(str(low))
        high_d = None if high is None else Decimal(str(high))

        def in_range(v: Any) -> bool:
            if _missing(v) or isinstance(v, bool):
                return False
            d = Decimal(str(v))
            return (low_d is None or d >= low_d) and (high_d is None or d <= high_d)

        return in_range
    needles = tuple(_norm(item) for item in (rule.value if isinstance(rule.value, list) else [rule.value]))
    return lambda v: not _missing(v) and any(needle in _norm(v) for needle in needles)


@dataclass(frozen=True)
class _Behaviour:
    rule: BehaviourRuleDef
    rate: float  # ln 2 / half-life in seconds; 0: no decay


@dataclass(frozen=True)
class ModelSpec:
    """A validated model, compiled for speed. Build it with ``compile_model``."""

    definition: ModelDef
    fit: tuple[tuple[FitRuleDef, Callable[[Any], bool]], ...]
    behaviour: Mapping[str, _Behaviour]
    high_intent_event_types: frozenset[str]

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def threshold(self) -> int:
        return self.definition.threshold

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.behaviour)


class InvalidModel(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.text() for p in problems))
        self.problems = problems


def compile_model(model: ModelDef) -> ModelSpec:
    problems = validate_model(model)
    if problems:
        raise InvalidModel(problems)
    fit = tuple((rule, _matcher(rule, FACTS[rule.field][0])) for rule in model.fit_rules)
    behaviour = {
        b.event_type: _Behaviour(b, 0.0 if b.half_life_days is None
                                 else math.log(2) / (float(b.half_life_days) * SECONDS_PER_DAY))
        for b in model.behaviour_rules
    }
    return ModelSpec(model, fit, behaviour, frozenset(model.high_intent_event_types))
