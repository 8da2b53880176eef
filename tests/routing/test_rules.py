"""Rules in priority order, each condition, the default rule, no rule at all, and the regions."""

from __future__ import annotations

import itertools

import pytest

from lifecycle.models import Account
from routing import services as routing
from routing.models import AssignmentMethod, RoutingRule
from routing.regions import COUNTRIES, REGIONS, region_of
from routing.rules import LeadFacts, RuleSpec, first_match, ordered
from tests.routing.conftest import ledger

pytestmark = pytest.mark.django_db


def test_every_country_is_in_exactly_one_region():
    for a, b in itertools.combinations(REGIONS, 2):
        assert not REGIONS[a] & REGIONS[b], (a, b)
    assert COUNTRIES - set().union(*REGIONS.values()) == {"AQ"}
    assert (region_of("de"), region_of("US"), region_of("BR"), region_of("JP"), region_of("MX")) == (
        "EMEA", "NA", "LATAM", "APAC", "LATAM")


# (conditions of the rule, lead fields that match, lead fields that do not)
CONDITIONS = [
    ({"countries": ["DE", "AT"]}, {"country": "AT"}, {"country": "FR"}),
    ({"regions": ["EMEA"]}, {"country": "FR"}, {"country": "US"}),
    ({"regions": ["NA"], "countries": ["GB"]}, {"country": "GB"}, {"country": "IE"}),
    ({"employee_count_min": 200}, {"employee_count": 200}, {"employee_count": 199}),
    ({"employee_count_max": 50}, {"employee_count": 50}, {"employee_count": 51}),
    ({"employee_count_min": 10, "employee_count_max": 50}, {"employee_count": 10}, {}),  # unknown size: no match
    ({"industries": ["Software", "Fintech"]}, {"industry": "  software "}, {"industry": "Retail"}),
    ({"lead_types": ["partner"]}, {"lead_type": "partner"}, {"lead_type": "new_business"}),
    ({"sources": ["webinar", "event"]}, {"source": "event"}, {"source": "paid_search"}),
]


@pytest.mark.parametrize("conditions,hit,miss", CONDITIONS,
                         ids=[next(iter(c[0])) + ("+" if len(c[0]) > 1 else "") for c in CONDITIONS])
def test_each_condition_sends_matching_leads_to_the_rule_and_others_to_the_next(org, routed, conditions, hit, miss):
    routing.routing_rule_create(name="Specific", priority=10, target_team=org.east, **conditions)
    routing.routing_rule_create(name="Everyone else", is_default=True, target_team=org.west)
    matching, other = routed(**hit), routed(**miss)
    assert (matching.team, matching.owner.team) == (org.east, org.east)
    assert ledger(matching)[-1].rule_name == "Specific"
    assert (other.team, other.owner) == (org.west, org.rep_west)
    assert ledger(other)[-1].rule_name == "Everyone else"


def test_rules_are_tried_by_priority_and_inactive_rules_are_ignored(org, routed):
    routing.routing_rule_create(name="Germany to West", priority=20, countries=["DE"], target_team=org.west)
    routing.routing_rule_create(name="EMEA to East", priority=10, regions=["EMEA"], target_team=org.east)
    lead = routed(country="DE")
    assert lead.team == org.east and ledger(lead)[-1].rule_name == "EMEA to East"
    rule = RoutingRule.objects.get(name="EMEA to East")
    routing.routing_rule_update(rule_id=rule.pk, active=False)
    assert routed(country="DE").team == org.west


def test_the_default_rule_goes_last_whatever_its_priority(org, routed):
    routing.routing_rule_create(name="Default", priority=0, is_default=True, target_team=org.west)
    routing.routing_rule_create(name="Partners", priority=500, lead_types=["partner"], target_team=org.east)
    assert routed(lead_type="partner").team == org.east
    assert routed(lead_type="new_business").team == org.west


def test_no_matching_rule_and_no_default_leaves_the_lead_unassigned_with_a_ledger_row(org, routed):
    routing.routing_rule_create(name="Only Japan", countries=["JP"], target_team=org.east)
    lead = routed(country="DE")
    assert lead.owner is None and lead.team is None
    [row] = ledger(lead)
    assert row.method == AssignmentMethod.UNMATCHED and row.rep is None and row.rule_name == ""


def test_rules_read_the_account_where_the_lead_lacks_a_fact(org, routed):
    routing.routing_rule_create(name="Big", employee_count_min=1000, industries=["banking"], target_team=org.west)
    routing.routing_rule_create(name="Default", is_default=True, target_team=org.east)
    lead = routed(company_domain="bigbank.example")
    Account.objects.filter(pk=lead.account_id).update(employee_count=5000, industry="Banking")
    assert routed(company_domain="bigbank.example").team == org.west


def test_a_named_rep_rule_gives_the_lead_to_that_rep(org, routed):
    routing.routing_rule_create(name="Partners to Pat", lead_types=["partner"], target_rep=org.rep_east2)
    lead = routed(lead_type="partner")
    assert lead.owner == org.rep_east2
    row = ledger(lead)[-1]
    assert row.method == AssignmentMethod.RULE_REP and row.rule.name == "Partners to Pat"
    assert row.candidates[0]["via"] == "named_rep" and row.candidates[0]["chosen"]


def test_first_match_reports_the_condition_each_earlier_rule_failed():
    def spec(pk, **kw):
        base = dict(id=pk, name=f"r{pk}", priority=pk, is_default=False, countries=frozenset(), regions=(),
                    employee_count_min=None, employee_count_max=None, industries=frozenset(),
                    lead_types=frozenset(), sources=frozenset(), target_team_id=1, target_rep_id=None)
        return RuleSpec(**{**base, **kw})

    facts = LeadFacts(country="DE", employee_count=30, industry="software", lead_type="new_business", source="email")
    rules = ordered([spec(3, is_default=True), spec(1, regions=("APAC",)), spec(2, employee_count_min=100)])
    rule, tried = first_match(rules, facts)
    assert rule is not None and rule.id == 3
    assert [(t["rule"], t["failed"]) for t in tried] == [(1, "regions"), (2, "employee_count_min")]
