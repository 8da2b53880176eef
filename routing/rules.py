"""Rule matching, as pure functions over plain values (no database): which rule does a lead match?

``LeadFacts.of(lead)`` takes what rules look at from the lead, falling back to its account for the
firmographics the lead lacks (country, employee count, industry). ``RuleSpec`` is a rule as plain data;
``first_failed`` names the first condition a lead fails (None: the rule matches); ``first_match`` walks
the rules in priority order and ends with the default rule.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from routing.regions import REGIONS

if TYPE_CHECKING:
    from lifecycle.models import Lead
    from routing.models import RoutingRule

# Condition fields of a rule, in the order they are checked (and reported by the dry run).
CONDITION_FIELDS = ("countries", "regions", "employee_count_min", "employee_count_max", "industries",
                    "lead_types", "sources")


@dataclass(frozen=True)
class LeadFacts:
    country: str
    employee_count: int | None
    industry: str
    lead_type: str
    source: str

    @classmethod
    def of(cls, lead: Lead) -> LeadFacts:
        account = lead.account if lead.account_id else None
        country = lead.country or (account.country if account else "")
        employees = lead.employee_count if lead.employee_count is not None else (
            account.employee_count if account else None)
        industry = lead.industry or (account.industry if account else "")
        return cls(country=(country or "").upper(), employee_count=employees,
                   industry=(industry or "").strip().casefold(), lead_type=lead.lead_type or "",
                   source=lead.source or "")

    def as_dict(self) -> dict[str, Any]:
        return {"country": self.country, "employee_count": self.employee_count, "industry": self.industry,
                "lead_type": self.lead_type, "source": self.source}


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    priority: int
    is_default: bool
    countries: frozenset[str]
    regions: tuple[str, ...]
    employee_count_min: int | None
    employee_count_max: int | None
    industries: frozenset[str]
    lead_types: frozenset[str]
    sources: frozenset[str]
    target_team_id: int | None
    target_rep_id: int | None

    @classmethod
    def of(cls, rule: RoutingRule) -> RuleSpec:
        return cls.from_values({name: getattr(rule, name) for name in (
            "id", "name", "priority", "is_default", *CONDITION_FIELDS, "target_team_id", "target_rep_id")})

    @classmethod
    def from_values(cls, row: Mapping[str, Any]) -> RuleSpec:
        return cls(
            id=row["id"], name=row["name"], priority=row["priority"], is_default=row["is_default"],
            countries=frozenset(c.upper() for c in row["countries"]), regions=tuple(row["regions"]),
            employee_count_min=row["employee_count_min"], employee_count_max=row["employee_count_max"],
            industries=frozenset(i.strip().casefold() for i in row["industries"]),
            lead_types=frozenset(row["lead_types"]), sources=frozenset(row["sources"]),
            target_team_id=row["target_team_id"], target_rep_id=row["target_rep_id"],
        )

    @functools.cached_property
    def geography(self) -> frozenset[str]:
        """Countries the rule accepts: its own and its regions' (empty: any). Computed once per rule: the
        rules are cached per process (``selectors.active_rules``), so a decision only looks it up."""
        codes = set(self.countries)
        for region in self.regions:
            codes |= REGIONS.get(region, frozenset())
        return frozenset(codes)

    def first_failed(self, facts: LeadFacts) -> str | None:
        """The first condition the lead fails (a field name), or None when the rule matches."""
        if self.is_default:
            return None
        if (self.countries or self.regions) and facts.country not in self.geography:
            return "regions" if not self.countries else "countries"
        if self.employee_count_min is not None and (
                facts.employee_count is None or facts.employee_count < self.employee_count_min):
            return "employee_count_min"
        if self.employee_count_max is not None and (
                facts.employee_count is None or facts.employee_count > self.employee_count_max):
            return "employee_count_max"
        if self.industries and facts.industry not in self.industries:
            return "industries"
        if self.lead_types and facts.lead_type not in self.lead_types:
            return "lead_types"
        if self.sources and facts.source not in self.sources:
            return "sources"
        return None

    def matches(self, facts: LeadFacts) -> bool:
        return self.first_failed(facts) is None


def ordered(rules: Iterable[RuleSpec]) -> list[RuleSpec]:
    """Priority order: lower priority first, ties by id, default rules after all others."""
    return sorted(rules, key=lambda r: (r.is_default, r.priority, r.id))


def first_match(rules: Sequence[RuleSpec], facts: LeadFacts) -> tuple[RuleSpec | None, list[dict[str, Any]]]:
    """The first matching rule of ``rules`` (already in priority order), and every rule tried before it
    with the condition it failed."""
    tried: list[dict[str, Any]] = []
    for rule in rules:
        failed = rule.first_failed(facts)
        if failed is None:
            return rule, tried
        tried.append({"rule": rule.id, "name": rule.name, "failed": failed})
    return None, tried
