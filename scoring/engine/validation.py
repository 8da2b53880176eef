"""``validate_model``: every problem of a model definition, each naming its rule and attribute."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from scoring.engine.definitions import (
    BEHAVIOUR_POINTS_LIMIT,
    CAP_MAX,
    EVENT_TYPE_RE,
    FACTS,
    FIT_POINTS_LIMIT,
    HALF_LIFE_MAX_DAYS,
    MAX_HIGH_INTENT_TYPES,
    MAX_LIST_VALUES,
    MAX_RULES,
    OPERATOR_TYPES,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    FactType,
    ModelDef,
    Operator,
    Problem,
)

# --- validation -----------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float | Decimal):
        return math.isfinite(value)
    return False


def _scalar_ok(kind: FactType, value: Any) -> bool:
    if kind == FactType.TEXT:
        return isinstance(value, str) and bool(value.strip()) and len(value) <= 200
    if kind == FactType.INTEGER:
        return _is_int(value)
    if kind == FactType.NUMBER:
        return _is_number(value)
    return isinstance(value, bool)


SCALAR_WORDS = {FactType.TEXT: "a non-blank string", FactType.INTEGER: "an integer",
                FactType.NUMBER: "a number", FactType.BOOLEAN: "true or false"}


def _value_problem(operator: Operator, kind: FactType, value: Any) -> str | None:
    word = SCALAR_WORDS[kind]
    if operator == Operator.EQUALS:
        return None if _scalar_ok(kind, value) else f"value must be {word}"
    if operator in (Operator.IN, Operator.NOT_IN):
        if not isinstance(value, list) or not value:
            return "value must be a non-empty list"
        if len(value) > MAX_LIST_VALUES:
            return f"value may list at most {MAX_LIST_VALUES} items"
        if not all(_scalar_ok(kind, item) for item in value):
            return f"every item of value must be {word}"
        return None
    if operator == Operator.RANGE:
        if not isinstance(value, dict) or not set(value) <= {"min", "max"}:
            return 'value must be an object {"min": n, "max": n} (either bound may be left out)'
        low, high = value.get("min"), value.get("max")
        if low is None and high is None:
            return "value needs min, max or both"
        for bound in (low, high):
            if bound is not None and not (_is_number(bound) if kind == FactType.NUMBER else _is_int(bound)):
                return f"min and max must be {word}s" if kind == FactType.NUMBER else "min and max must be integers"
        if low is not None and high is not None and low > high:
            return "min must not be greater than max"
        return None
    # contains: one substring, or a list of them (any may match)
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        return "value must be a non-blank string or a non-empty list of them"
    if len(items) > MAX_LIST_VALUES:
        return f"value may list at most {MAX_LIST_VALUES} items"
    return None


def validate_model(model: ModelDef) -> list[Problem]:
    """Every problem with ``model`` (empty: it may be activated)."""
    problems: list[Problem] = []

    def add(kind: str, index: int | None, name: str, attribute: str, message: str) -> None:
        problems.append(Problem(kind, index, name, attribute, message))

    if not _is_int(model.threshold) or not THRESHOLD_MIN <= model.threshold <= THRESHOLD_MAX:
        add("model", None, "", "threshold",
            f"the MQL threshold must be an integer from {THRESHOLD_MIN} to {THRESHOLD_MAX}")
    if len(model.high_intent_event_types) > MAX_HIGH_INTENT_TYPES:
        add("model", None, "", "high_intent_event_types", f"at most {MAX_HIGH_INTENT_TYPES} event types")
    for event_type in model.high_intent_event_types:
        if not isinstance(event_type, str) or not EVENT_TYPE_RE.match(event_type):
            add("model", None, "", "high_intent_event_types",
                f"{event_type!r} is not an event type (letters, digits, _ . : -, up to 40)")
    if len(model.fit_rules) > MAX_RULES:
        add("model", None, "", "fit_rules", f"at most {MAX_RULES} fit rules")
    if len(model.behaviour_rules) > MAX_RULES:
        add("model", None, "", "behaviour_rules", f"at most {MAX_RULES} behaviour rules")

    for index, rule in enumerate(model.fit_rules):
        name = rule.name if isinstance(rule.name, str) else ""
        if not name.strip() or len(name) > 80:
            add("fit", index, name, "name", "every fit rule needs a name of 1 to 80 characters")
        if not _is_int(rule.points) or not -FIT_POINTS_LIMIT <= rule.points <= FIT_POINTS_LIMIT:
            add("fit", index, name, "points",
                f"points must be an integer from -{FIT_POINTS_LIMIT} to {FIT_POINTS_LIMIT}")
        fact = FACTS.get(rule.field) if isinstance(rule.field, str) else None
        if fact is None:
            add("fit", index, name, "field", f"unknown field {rule.field!r}; one of: {', '.join(FACTS)}")
        try:
            operator = Operator(rule.operator)
        except ValueError:
            add("fit", index, name, "operator",
                f"unknown operator {rule.operator!r}; one of: {', '.join(Operator)}")
            continue
        if fact is None:
            continue
        kind = fact[0]
        if kind not in OPERATOR_TYPES[operator]:
            add("fit", index, name, "operator", f"operator {operator} does not apply to {rule.field} ({kind})")
            continue
        problem = _value_problem(operator, kind, rule.value)
        if problem is not None:
            add("fit", index, name, "value", problem)

    seen: dict[str, int] = {}
    for index, b in enumerate(model.behaviour_rules):
        label = b.name or (b.event_type if isinstance(b.event_type, str) else "")
        if not isinstance(b.name, str) or len(b.name) > 80:
            add("behaviour", index, label[:80], "name", "a behaviour rule's name has at most 80 characters")
        if not isinstance(b.event_type, str) or not EVENT_TYPE_RE.match(b.event_type):
            add("behaviour", index, label, "event_type",
                f"{b.event_type!r} is not an event type (letters, digits, _ . : -, up to 40)")
        elif b.event_type in seen:
            add("behaviour", index, label, "event_type",
                f"event type {b.event_type!r} already has a rule (behaviour_rules[{seen[b.event_type]}])")
        else:
            seen[b.event_type] = index
        if not _is_int(b.points) or not -BEHAVIOUR_POINTS_LIMIT <= b.points <= BEHAVIOUR_POINTS_LIMIT:
            add("behaviour", index, label, "points",
                f"points must be an integer from -{BEHAVIOUR_POINTS_LIMIT} to {BEHAVIOUR_POINTS_LIMIT}")
        if b.cap is not None and (not _is_int(b.cap) or not 1 <= b.cap <= CAP_MAX):
            add("behaviour", index, label, "cap", f"cap must be empty (no cap) or an integer from 1 to {CAP_MAX}")
        hl = b.half_life_days
        if hl is not None and (not _is_number(hl) or not 0 < hl <= HALF_LIFE_MAX_DAYS):
            add("behaviour", index, label, "half_life_days",
                f"half-life must be empty (no decay) or a number of days above 0 and at most {HALF_LIFE_MAX_DAYS}; "
                f"got {hl!r}")
    return problems
