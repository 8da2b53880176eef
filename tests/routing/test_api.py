"""The routing API: rules (read, write, 422s, 409s), the rep fields' 422s, the dry run, the ledger list and
the fairness report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadops import services as org_services
from leadops.models import RepProfile, Scope
from lifecycle.models import Lead
from routing import services as routing
from routing.models import Assignment, RoundRobinState, RoutingRule
from tests.conftest import T0
from tests.lifecycle.walk import new_lead
from tests.routing.conftest import away, east_rule, ledger

pytestmark = pytest.mark.django_db

RULES = "/api/v1/routing-rules/"
DRY_RUN = "/api/v1/routing-rules/dry-run/"


def error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()["error"]


# --- rules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "mops"])
def test_admins_and_marketing_ops_create_and_edit_rules(api, org, who):
    client = api.as_user(getattr(org, who))
    response = client.post(RULES, {"name": "EMEA mid-market", "priority": 10, "regions": ["EMEA"],
                                   "countries": ["us"], "employee_count_min": 50, "employee_count_max": 500,
                                   "industries": ["Software"], "lead_types": ["new_business"],
                                   "sources": ["webinar"], "target_team": org.east.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["countries"] == ["US"] and body["target_team"] == org.east.pk and body["target_rep"] is None
    response = client.patch(f"{RULES}{body['id']}/", {"target_team": None, "target_rep": org.rep_west.pk,
                                                      "priority": 5}, format="json")
    assert response.status_code == 200, response.json()
    rule = RoutingRule.objects.get(pk=body["id"])
    assert (rule.target_team, rule.target_rep, rule.priority, rule.regions) == (None, org.rep_west, 5, ["EMEA"])


@pytest.mark.parametrize("who", ["rep_east", "manager_east", "lead_"])
def test_other_roles_read_rules_but_may_not_write_them(api, org, who):
    rule = east_rule(org)
    client = api.as_user(getattr(org, who))
    assert [r["name"] for r in client.get(RULES).json()["results"]] == ["East"]
    error(client.post(RULES, {"name": "Mine", "target_team": org.east.pk}, format="json"), 403)
    error(client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json"), 403)
    assert RoutingRule.objects.get().active


def test_tokens_need_the_admin_scope(api, org):
    east_rule(org)
    _, raw = org_services.token_issue(user=org.integrator, scopes=[Scope.LEADS_READ])
    assert error(api.with_token(raw).get(RULES), 403)["code"] == "missing_scope"
    _, raw = org_services.token_issue(user=org.admin, scopes=[Scope.ADMIN])
    assert api.with_token(raw).get(RULES).status_code == 200


def test_rules_are_listed_in_priority_order_and_never_deleted(api, org):
    routing.routing_rule_create(name="Default", is_default=True, target_team=org.west)
    routing.routing_rule_create(name="Late", priority=50, target_team=org.east)
    routing.routing_rule_create(name="Early", priority=5, target_team=org.east)
    client = api.as_user(org.admin)
    assert [r["name"] for r in client.get(RULES).json()["results"]] == ["Early", "Late", "Default"]
    rule = RoutingRule.objects.get(name="Late")
    assert client.delete(f"{RULES}{rule.pk}/").status_code == 405


@pytest.mark.parametrize("body,fields", [
    ({"name": "X", "target_team": 1, "colour": "red"}, {"colour"}),
    ({"name": "X"}, {"target_team", "target_rep"}),  # an empty target
    ({"name": "X", "target_team": None, "target_rep": None}, {"target_team", "target_rep"}),
    ({"name": "X", "target_team": "east", "target_rep": "rep_west"}, {"target_team", "target_rep"}),  # both
    ({"name": "X", "target_rep": "manager_east"}, {"target_rep"}),  # not a sales rep
    ({"name": "X", "target_team": "marketing"}, {"target_team"}),  # marketing takes no leads
    ({"name": "X", "target_team": 10**9}, {"target_team"}),
    ({"name": "X", "target_team": "east", "countries": ["XX"]}, {"countries"}),
    ({"name": "X", "target_team": "east", "countries": ["DEU"]}, {"countries"}),
    ({"name": "X", "target_team": "east", "regions": ["MARS"]}, {"regions"}),
    ({"name": "X", "target_team": "east", "lead_types": ["reseller"]}, {"lead_types"}),
    ({"name": "X", "target_team": "east", "sources": ["tv"]}, {"sources"}),
    ({"name": "X", "target_team": "east", "industries": ["  "]}, {"industries"}),
    ({"name": "X", "target_team": "east", "employee_count_min": 500, "employee_count_max": 50},
     {"employee_count_max"}),
    ({"name": "X", "target_team": "east", "employee_count_min": -1}, {"employee_count_min"}),
    ({"name": "X", "target_team": "east", "priority": -3}, {"priority"}),
    ({"name": "X", "target_team": "east", "is_default": True, "countries": ["DE"]}, {"countries"}),
    ({"name": " ", "target_team": "east"}, {"name"}),
    ({"name": "X", "target_team": "east", "countries": "DE"}, {"countries"}),
])
def test_bad_rules_are_422_naming_the_field(api, org, body, fields):
    named = {"east": org.east.pk, "marketing": org.marketing.pk, "rep_west": org.rep_west.pk,
             "manager_east": org.manager_east.pk}
    payload = {k: named.get(v, v) if isinstance(v, str) and k.startswith("target") else v for k, v in body.items()}
    details = error(api.as_user(org.mops).post(RULES, payload, format="json"), 422)["details"]
    assert set(details["fields"]) == fields
    assert not RoutingRule.objects.exists()


def test_a_patch_is_checked_against_the_whole_rule(api, org):
    rule = routing.routing_rule_create(name="Mid", employee_count_min=100, target_team=org.east)
    client = api.as_user(org.admin)
    details = error(client.patch(f"{RULES}{rule.pk}/", {"employee_count_max": 10}, format="json"), 422)["details"]
    assert set(details["fields"]) == {"employee_count_max"}
    details = error(client.patch(f"{RULES}{rule.pk}/", {"target_rep": org.rep_west.pk}, format="json"),
                    422)["details"]
    assert set(details["fields"]) == {"target_team", "target_rep"}
    error(client.patch(f"{RULES}{rule.pk}/", {"created_at": "2020-01-01T00:00:00Z"}, format="json"), 422)
    error(client.patch(f"{RULES}999999/", {"priority": 1}, format="json"), 404)


def test_duplicate_names_and_a_second_active_default_are_409(api, org):
    routing.routing_rule_create(name="Default", is_default=True, target_team=org.east)
    client = api.as_user(org.admin)
    assert error(client.post(RULES, {"name": "default", "target_team": org.west.pk}, format="json"),
                 409)["code"] == "duplicate"
    assert error(client.post(RULES, {"name": "Other default", "is_default": True, "target_team": org.west.pk},
                             format="json"), 409)["code"] == "duplicate_default"
    response = client.post(RULES, {"name": "Spare default", "is_default": True, "active": False,
                                   "target_team": org.west.pk}, format="json")
    assert response.status_code == 201  # an inactive second default is fine


# --- the rep fields that routing depends on (validated by /reps/) ---------------------------------------


@pytest.mark.parametrize("body,field", [
    ({"weight": 0}, "weight"),
    ({"weight": -2}, "weight"),
    ({"capacity": -1}, "capacity"),
    ({"out_of_office": [{"starts_at": "2026-11-20T00:00:00Z", "ends_at": "2026-11-19T00:00:00Z"}]},
     "out_of_office"),
    ({"out_of_office": [{"starts_at": "2026-11-20T00:00:00Z", "ends_at": "2026-11-20T00:00:00Z"}]},
     "out_of_office"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_rep_routing_fields_are_422_naming_the_field(api, org, body, field):
    profile = RepProfile.objects.get(user=org.rep_east)
    details = error(api.as_user(org.admin).patch(f"/api/v1/reps/{profile.pk}/", body, format="json"),
                    422)["details"]
    assert field in details["fields"]
    profile.refresh_from_db()
    assert (profile.weight, profile.capacity, profile.out_of_office.count()) == (1, 50, 0)


# --- the dry run ------------------------------------------------------------------------------------------


def mql_without_routing(org):
    """An MQL whose after-commit routing never ran (the test transaction does not commit)."""
    from lifecycle import services
    from lifecycle.services import Actor
    lead = new_lead()
    services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
    return Lead.objects.get(pk=lead.pk)


def test_the_dry_run_says_where_the_lead_would_go_and_why_and_writes_nothing(api, org, clock):
    routing.routing_rule_create(name="Japan", priority=1, countries=["JP"], target_team=org.west)
    east_rule(org, priority=2)
    away(org.rep_east, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1))
    lead = mql_without_routing(org)
    before = (Assignment.objects.count(), RoundRobinState.objects.count(), Lead.objects.get(pk=lead.pk).updated_at)
    with CaptureQueriesContext(connection) as queries:
        response = api.as_user(org.mops).post(DRY_RUN, {"lead": lead.pk}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == ("This lead would go to rep_east2: weighted round robin in Sales East chose "
                               "rep_east2 (slot 1) because rule 'East' matched.")
    assert (body["method"], body["rep"], body["team"], body["rule_name"], body["slot"], body["routable"]) == (
        "round_robin", org.rep_east2.pk, org.east.pk, "East", 1, True)
    assert body["rules_tried"] == [{"rule": RoutingRule.objects.get(name="Japan").pk, "name": "Japan",
                                    "failed": "countries"}]
    assert {c["username"]: c["skipped"] for c in body["candidates"]} == {"rep_east": "out_of_office",
                                                                         "rep_east2": None}
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE") or "FOR UPDATE" in q["sql"]]
    assert writes == []
    assert (Assignment.objects.count(), RoundRobinState.objects.count(),
            Lead.objects.get(pk=lead.pk).updated_at) == before
    # and the router then does what the dry run said
    routing.lead_route(lead_id=lead.pk)
    row = ledger(lead)[0]
    assert (row.rep, row.slot, row.rule_name) == (org.rep_east2, 1, "East")


def test_the_dry_run_of_an_assigned_lead_says_routing_would_leave_it_alone(api, org, routed):
    east_rule(org)
    lead = routed()
    body = api.as_user(org.admin).post(DRY_RUN, {"lead": lead.pk}, format="json").json()
    assert body["routable"] is False and "already has an owner" in body["note"]


def test_the_dry_run_is_for_configurers_and_managers_and_hides_leads_out_of_view(api, org):
    east_rule(org)
    lead = mql_without_routing(org)
    lead.team = org.east
    lead.save()
    assert api.as_user(org.manager_east).post(DRY_RUN, {"lead": lead.pk}, format="json").status_code == 200
    error(api.as_user(org.manager_west).post(DRY_RUN, {"lead": lead.pk}, format="json"), 404)
    error(api.as_user(org.rep_east).post(DRY_RUN, {"lead": lead.pk}, format="json"), 403)
    error(api.as_user(org.lead_).post(DRY_RUN, {"lead": lead.pk}, format="json"), 403)
    error(api.as_user(org.admin).post(DRY_RUN, {"lead": 10**12}, format="json"), 404)
    error(api.as_user(org.admin).post(DRY_RUN, {"lead": "first"}, format="json"), 422)
    error(api.as_user(org.admin).post(DRY_RUN, {"lead": lead.pk, "force": True}, format="json"), 422)


def test_the_dry_run_of_an_unmatched_lead(api, org):
    lead = mql_without_routing(org)
    body = api.as_user(org.admin).post(DRY_RUN, {"lead": lead.pk}, format="json").json()
    assert body["method"] == "unmatched" and body["rep"] is None and body["team"] is None
    assert body["summary"] == "This lead would stay unassigned: no active rule matches and there is no default rule."


# --- the ledger and the fairness report ---------------------------------------------------------------------


def test_the_ledger_lists_decisions_of_visible_leads(api, org, routed):
    east_rule(org)
    lead = routed()
    routing.routing_rule_update(rule_id=RoutingRule.objects.get().pk, target_team=org.west)
    other = routed()
    body = api.as_user(org.admin).get(f"/api/v1/routing/assignments/?lead={lead.pk}").json()
    [row] = body["results"]
    assert (row["lead"], row["method"], row["rule_name"], row["slot"]) == (lead.pk, "round_robin", "East", 1)
    assert {c["username"] for c in row["candidates"]} == {"rep_east", "rep_east2"}
    seen = {r["lead"] for r in api.as_user(lead.owner).get("/api/v1/routing/assignments/").json()["results"]}
    assert seen == {lead.pk} and other.pk not in seen
    error(api.as_user(org.admin).get("/api/v1/routing/assignments/?method=magic"), 422)


def test_the_fairness_report_counts_assignments_per_rep_against_weights(api, org, routed, clock):
    RepProfile.objects.filter(user=org.rep_east2).update(weight=2)
    east_rule(org)
    leads = [routed() for _ in range(6)]
    lead = leads[0]
    other = org.rep_east2 if lead.owner == org.rep_east else org.rep_east
    api.as_user(org.manager_east).post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": other.pk}, format="json")
    response = api.as_user(org.lead_).get("/api/v1/routing/fairness/?week=2026-W47")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["week"], body["starts_at"]) == ("2026-W47", "2026-11-16T00:00:00Z")
    east = next(t for t in body["teams"] if t["team"] == org.east.pk)
    reps = {r["username"]: r for r in east["reps"]}
    assert east["round_robin"] == 6
    assert (reps["rep_east"]["round_robin"], reps["rep_east2"]["round_robin"]) == (2, 4)
    assert (reps["rep_east"]["expected"], reps["rep_east2"]["expected"]) == (2.0, 4.0)
    assert reps["rep_east2"]["weight_share"] == round(2 / 3, 4) and reps["rep_east"]["deviation"] == 0.0
    assert reps[other.username]["manual"] == 1
    assert api.as_user(org.lead_).get("/api/v1/routing/fairness/?week=2026-W46").json()["teams"][0]["round_robin"] \
        == 0


def test_the_fairness_report_expects_less_of_a_rep_who_was_away(api, org, routed, clock):
    east_rule(org)
    away(org.rep_east2, T0, T0 + dt.timedelta(hours=1))
    for _ in range(4):
        routed()
    clock.shift(dt.timedelta(hours=2))
    for _ in range(4):
        routed()
    reps = {r["username"]: r for r in api.as_user(org.admin).get(
        f"/api/v1/routing/fairness/?team={org.east.pk}").json()["teams"][0]["reps"]}
    assert (reps["rep_east"]["eligible_slots"], reps["rep_east2"]["eligible_slots"]) == (8, 4)
    assert (reps["rep_east"]["expected"], reps["rep_east2"]["expected"]) == (6.0, 2.0)
    assert (reps["rep_east"]["round_robin"], reps["rep_east2"]["round_robin"]) == (6, 2)


def test_the_fairness_report_shows_each_role_its_teams_and_refuses_bad_weeks(api, org):
    teams = lambda user, q="": [t["name"] for t in api.as_user(user).get(  # noqa: E731
        f"/api/v1/routing/fairness/{q}").json()["teams"]]
    assert teams(org.rep_east) == ["Sales East"]
    assert teams(org.manager_west) == ["Sales West"]
    assert teams(org.mops) == ["Marketing", "Sales East", "Sales West"]
    error(api.as_user(org.manager_west).get(f"/api/v1/routing/fairness/?team={org.east.pk}"), 404)
    for bad in ("2026-47", "2026-W60", "2026-W00", "yesterday", "9999-W52"):
        assert "week" in error(api.as_user(org.admin).get(f"/api/v1/routing/fairness/?week={bad}"),
                               422)["details"]["fields"]
    error(api.as_user(org.admin).get("/api/v1/routing/fairness/?team=east"), 422)
    _, raw = org_services.token_issue(user=org.integrator, scopes=[Scope.LEADS_READ])
    api.force_authenticate(user=None)
    assert error(api.with_token(raw).get("/api/v1/routing/fairness/"), 403)["code"] == "missing_scope"


def test_reassigning_to_an_inactive_rep_is_409_and_outside_the_managers_teams_404(api, org, routed):
    east_rule(org)
    lead = routed()
    RepProfile.objects.filter(user=org.rep_east2).update(active=False)
    RepProfile.objects.filter(user=org.rep_east).update(active=False)
    client = api.as_user(org.manager_east)
    error(client.post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": org.rep_east2.pk if lead.owner == org.rep_east
                                                           else org.rep_east.pk}, format="json"), 409)
    error(client.post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": org.rep_west.pk}, format="json"), 404)
    assert len(ledger(lead)) == 1
