"""The admin: rules are edited through the services' checks; the ledger is read-only."""

from __future__ import annotations

import pytest

from routing.models import Assignment, RoutingRule
from tests.routing.conftest import east_rule

pytestmark = pytest.mark.django_db

FORM = {"name": "Admin rule", "priority": "7", "active": "on", "countries": "de, at", "regions": "",
        "employee_count_min": "", "employee_count_max": "", "industries": "", "lead_types": "", "sources": "",
        "target_team": "", "target_rep": ""}


def test_an_admin_adds_and_edits_a_rule_with_the_same_checks_as_the_api(client, org):
    client.force_login(org.admin)
    response = client.post("/admin/routing/routingrule/add/", {**FORM, "target_team": org.east.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get(name="Admin rule")
    assert (rule.countries, rule.priority, rule.target_team) == (["DE", "AT"], 7, org.east)
    response = client.post(f"/admin/routing/routingrule/{rule.pk}/change/", {**FORM, "countries": "XX",
                                                                              "target_team": org.east.pk})
    assert response.status_code == 200 and "Unknown value(s): XX" in response.content.decode()
    response = client.post("/admin/routing/routingrule/add/", {**FORM, "name": "No target"})
    assert response.status_code == 200 and "A rule needs a target" in response.content.decode()
    assert client.get("/admin/routing/routingrule/").status_code == 200


def test_the_ledger_is_read_only_in_the_admin(client, org, routed):
    east_rule(org)
    lead = routed()
    row = Assignment.objects.get(lead=lead)
    client.force_login(org.admin)
    assert client.get("/admin/routing/assignment/").status_code == 200
    assert client.get("/admin/routing/assignment/add/").status_code == 403
    page = client.get(f"/admin/routing/assignment/{row.pk}/change/")
    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert client.post(f"/admin/routing/assignment/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Assignment.objects.filter(pk=row.pk).exists()
