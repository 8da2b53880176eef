"""What a scoring model is made of, as plain data: the facts rules may look at, the operators, the limits,
the rule and model definitions, and a validation ``Problem``."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
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
