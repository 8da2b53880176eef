"""The pure scoring function: lead facts + events + model + now -> fit, behaviour, total, explanation.

Nothing here touches the ORM, the clock or settings: callers read the lead, its events and the
model, pass ``now`` in, and get a ``ScoreResult`` back. That is what makes scores reproducible
(the same facts always give the same score), cheap (well under 2 ms for 200 events, see
``bench/scoring_bench.py``) and testable with hypothesis.

The arithmetic, in one place (docs/scoring.md repeats it):

- fit = the sum of the points of every fit rule whose condition holds on the lead's facts;
- each event of a type with a behaviour rule weighs ``2 ** (-age_days / half_life_days)``
  (1 without decay, and 1 for an event stamped in the future); a rule's contribution is
  ``points * sum(weights)``, capped at ``cap`` in magnitude, rounded half up to an integer;
- behaviour = the sum of the behaviour contributions; total = fit + behaviour.

Every rounded contribution is listed in the explanation, so the total is exactly their sum.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SECONDS_PER_DAY = 86_400.0

THRESHOLD_MIN, THRESHOLD_MAX = 1, 1000
FIT_POINTS_LIMIT = 1000  # |points| of one fit rule
BEHAVIOUR_POINTS_LIMIT = 1000  # |points| of one event
CAP_MAX = 10_000
HALF_LIFE_MAX_DAYS = 3650
MAX_RULES = 100
MAX_LIST_VALUES = 500
MAX_HIGH_INTENT_TYPES = 20
EVENT_TYPE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")


class FactType(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


# The whitelist of lead and account facts a fit rule may test: name -> (type, meaning).
# ``scoring.selectors.facts_of`` builds the facts of a lead from exactly these names.
FACTS: dict[str, tuple[FactType, str]] = {
    "title": (FactType.TEXT, "the lead's job title"),
    "seniority": (FactType.TEXT, "derived from the title: individual, manager, director, vp, cxo (blank: unknown)"),
    "industry": (FactType.TEXT, "the lead's industry, else its account's"),
    "employee_count": (FactType.INTEGER, "the lead's employee count, else its account's"),
    "country": (FactType.TEXT, "ISO 3166-1 alpha-2: the lead's country, else its account's"),
    "lead_type": (FactType.TEXT, "new_business, existing_customer, partner"),
    "source": (FactType.TEXT, "the lead's original channel (paid_search, webinar, ...)"),
    "email_domain": (FactType.TEXT, "the domain of the lead's e-mail address"),
    "company_domain": (FactType.TEXT, "the lead's company domain, else its account's domain"),
    "company_name": (FactType.TEXT, "the lead's company name"),
    "free_mail": (FactType.BOOLEAN, "the e-mail address is at a free-mail provider (gmail.com, ...)"),
    "account.industry": (FactType.TEXT, "the matched account's industry"),
    "account.employee_count": (FactType.INTEGER, "the matched account's employee count"),
    "account.country": (FactType.TEXT, "the matched account's country"),
    "account.domain": (FactType.TEXT, "the matched account's domain"),
    "account.annual_revenue": (FactType.NUMBER, "the matched account's annual revenue"),
}


class Operator(enum.StrEnum):
    EQUALS = "equals"
    IN = "in"
    NOT_IN = "not_in"
    RANGE = "range"
    CONTAINS = "contains"


OPERATOR_TYPES: dict[Operator, frozenset[FactType]] = {
    Operator.EQUALS: frozenset(FactType),
    Operator.IN: frozenset({FactType.TEXT, FactType.INTEGER, FactType.NUMBER}),
    Operator.NOT_IN: frozenset({FactType.TEXT, FactType.INTEGER, FactType.NUMBER}),
    Operator.RANGE: frozenset({FactType.INTEGER, FactType.NUMBER}),
    Operator.CONTAINS: frozenset({FactType.TEXT}),
}


# --- definitions (what a stored model holds) ---------------------------------------------------


@dataclass(frozen=True)
class FitRuleDef:
    name: str
    field: str
    operator: str
    value: Any
    points: int


@dataclass(frozen=True)
class BehaviourRuleDef:
    event_type: str
    points: int
    cap: int | None = None
    half_life_days: float | None = 30.0
    name: str = ""


@dataclass(frozen=True)
class ModelDef:
    version: int
    threshold: int
    high_intent_event_types: tuple[str, ...] = ()
    fit_rules: tuple[FitRuleDef, ...] = ()
    behaviour_rules: tuple[BehaviourRuleDef, ...] = ()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model definition, naming the rule (``kind`` + ``index``) and its attribute."""

    kind: str  # "fit", "behaviour" or "model"
    index: int | None
    name: str
    attribute: str
    message: str

    @property
    def path(self) -> str:
        if self.kind == "model":
            return self.attribute
        return f"{self.kind}_rules[{self.index}].{self.attribute}"

    def text(self) -> str:
        if self.kind == "model":
            return f"{self.attribute}: {self.message}"
        label = f" ({self.name!r})" if self.name else ""
        return f"{self.kind}_rules[{self.index}]{label}: {self.message}"


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


# --- the MQL decision --------------------------------------------------------------------------------------

SCORE_PROMOTES_FROM = frozenset({"subscriber", "lead"})
SCORE_PROMOTES_ON_CROSSING = frozenset({"nurture"})
HIGH_INTENT_PROMOTES_FROM = frozenset({"subscriber", "lead", "nurture", "disqualified"})


def promotes_by_score(stage: str, old_total: int, new_total: int, threshold: int) -> bool:
    """Does a rescore from ``old_total`` to ``new_total`` make a lead in ``stage`` an MQL?

    A subscriber or lead at or above the threshold is an MQL. A nurture lead (returned by sales) needs to
    *cross* it (from below to at-or-above), so a lead sales sent back does not bounce straight back on
    its next email open. Disqualified leads return only on a high-intent event; later stages never move.
    """
    if new_total < threshold:
        return False
    if stage in SCORE_PROMOTES_FROM:
        return True
    if stage in SCORE_PROMOTES_ON_CROSSING:
        return old_total < threshold
    return False
