"""Reference data over the API: campaigns, accounts, dispositions, revenue targets; and the schema."""

import datetime as dt

import pytest

from leadops import services as org_services
from lifecycle.models import Account, Campaign, RevenueTarget
from tests.lifecycle.factories import AccountFactory, CampaignFactory, RevenueTargetFactory

pytestmark = pytest.mark.django_db


def error(response, status):
    assert response.status_code == status, response.json()
    return response.json()["error"]


# --- campaigns ------------------------------------------------------------------------------------

CAMPAIGNS = "/api/v1/campaigns/"


@pytest.mark.parametrize("who", ["rep_east", "manager_east", "mops", "lead_", "admin", "integrator"])
def test_every_role_reads_the_campaign_calendar(api, org, who):
    campaign = CampaignFactory(name="Spring webinar")
    response = api.as_user(getattr(org, who)).get(CAMPAIGNS)
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Spring webinar"]
    assert api.as_user(getattr(org, who)).get(f"{CAMPAIGNS}{campaign.pk}/").json()["cost"] == "1000.00"


def test_marketing_ops_create_and_edit_campaigns(api, org):
    client = api.as_user(org.mops)
    response = client.post(CAMPAIGNS, {"name": "Trade show", "channel": "event", "cost": "12500.00",
                                       "starts_on": "2026-12-01", "ends_on": "2026-12-03"}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = client.patch(f"{CAMPAIGNS}{pk}/", {"ends_on": "2026-12-04", "expected_volume": 300}, format="json")
    assert response.status_code == 200 and response.json()["expected_volume"] == 300
    assert Campaign.objects.get(pk=pk).ends_on == dt.date(2026, 12, 4)


@pytest.mark.parametrize("body,field", [
    ({"cost": "-1"}, "cost"),
    ({"cost": "free"}, "cost"),
    ({"starts_on": "2026-12-05", "ends_on": "2026-12-01"}, "ends_on"),
    ({"channel": "tv"}, "channel"),
    ({"name": ""}, "name"),
    ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
])
def test_invalid_campaigns_are_422_naming_the_field(api, org, body, field):
    payload = {"name": "X", "channel": "email", **body}
    assert field in error(api.as_user(org.mops).post(CAMPAIGNS, payload, format="json"), 422)["details"]["fields"]
    assert not Campaign.objects.exists()


def test_a_campaign_edit_is_checked_against_the_stored_dates_and_names(api, org):
    campaign = CampaignFactory(starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 12, 31))
    other = CampaignFactory(name="Taken")
    client = api.as_user(org.admin)
    err = error(client.patch(f"{CAMPAIGNS}{campaign.pk}/", {"ends_on": "2026-09-30"}, format="json"), 422)
    assert "ends_on" in err["details"]["fields"]
    err = error(client.patch(f"{CAMPAIGNS}{campaign.pk}/", {"name": "taken"}, format="json"), 409)
    assert err["code"] == "duplicate"
    assert error(client.post(CAMPAIGNS, {"name": other.name, "channel": "email"}, format="json"), 409)
    campaign.refresh_from_db()
    assert campaign.ends_on == dt.date(2026, 12, 31)


@pytest.mark.parametrize("who", ["rep_east", "manager_east", "integrator"])
def test_only_marketing_ops_and_admins_write_campaigns(api, org, who):
    response = api.as_user(getattr(org, who)).post(CAMPAIGNS, {"name": "X", "channel": "email"}, format="json")
    assert error(response, 403)["code"] == "forbidden"


def test_campaign_filters(api, org):
    CampaignFactory(name="Webinar one", channel="webinar")
    CampaignFactory(name="Ads", channel="paid_search")
    client = api.as_user(org.rep_east)
    assert [c["name"] for c in client.get(f"{CAMPAIGNS}?channel=paid_search").json()["results"]] == ["Ads"]
    assert [c["name"] for c in client.get(f"{CAMPAIGNS}?q=WEBINAR").json()["results"]] == ["Webinar one"]
    assert "channel" in error(client.get(f"{CAMPAIGNS}?channel=tv"), 422)["details"]["fields"]


# --- accounts -------------------------------------------------------------------------------------

ACCOUNTS = "/api/v1/accounts/"


def test_accounts_are_created_with_a_normalised_unique_domain(api, org):
    client = api.as_user(org.mops)
    response = client.post(ACCOUNTS, {"name": "Initech", "domain": "https://www.Initech.Example/about",
                                      "country": "us", "annual_revenue": "1000000", "owner": org.rep_east.pk},
                           format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["domain"] == "initech.example" and response.json()["country"] == "US"
    err = error(client.post(ACCOUNTS, {"name": "Dup", "domain": "INITECH.example"}, format="json"), 409)
    assert err["code"] == "duplicate" and "domain" in err["details"]["fields"]
    other = AccountFactory()
    err = error(client.patch(f"{ACCOUNTS}{other.pk}/", {"domain": "www.initech.example"}, format="json"), 409)
    assert Account.objects.get(pk=other.pk).domain == other.domain
    assert [a["name"] for a in client.get(f"{ACCOUNTS}?domain=WWW.Initech.example").json()["results"]] == ["Initech"]


@pytest.mark.parametrize("body,field", [
    ({"domain": "not a domain"}, "domain"),
    ({"domain": ""}, "domain"),
    ({"annual_revenue": "-5"}, "annual_revenue"),
    ({"annual_revenue": "a lot"}, "annual_revenue"),
    ({"employee_count": -1}, "employee_count"),
    ({"owner": 999999}, "owner"),
    ({"owner": "manager_east"}, "owner"),  # an owner is a sales rep
])
def test_invalid_accounts_are_422(api, org, body, field):
    payload = {"name": "Acme", "domain": "acme.example", **body}
    if isinstance(payload.get("owner"), str):
        payload["owner"] = getattr(org, payload["owner"]).pk
    assert field in error(api.as_user(org.admin).post(ACCOUNTS, payload, format="json"), 422)["details"]["fields"]
    assert not Account.objects.exists()


def test_reps_read_accounts_but_do_not_write_them(api, org):
    account = AccountFactory()
    assert api.as_user(org.rep_west).get(f"{ACCOUNTS}{account.pk}/").status_code == 200
    assert api.as_user(org.rep_west).patch(f"{ACCOUNTS}{account.pk}/", {"name": "X"}, format="json").status_code \
        == 403


# --- dispositions ---------------------------------------------------------------------------------

DISPOSITIONS = "/api/v1/dispositions/"


def test_the_disposition_catalogue_in_order_and_by_kind(api, org):
    client = api.as_user(org.rep_east)
    everything = client.get(f"{DISPOSITIONS}?page_size=500").json()["results"]
    assert len(everything) == 22 and everything[0]["code"] == "wrong_company_size"
    recycle = client.get(f"{DISPOSITIONS}?kind=recycle").json()["results"]
    assert [r["code"] for r in recycle] == ["bad_timing", "no_budget", "not_interested", "unresponsive"]
    unresponsive = recycle[-1]
    assert unresponsive == {**unresponsive, "kind": "recycle", "target_stage": "nurture", "requires_cadence": True,
                            "returns_to_marketing": True, "active": True, "label": "Unresponsive"}
    assert "kind" in error(client.get(f"{DISPOSITIONS}?kind=other"), 422)["details"]["fields"]
    assert "active" in error(client.get(f"{DISPOSITIONS}?active=perhaps"), 422)["details"]["fields"]
    assert api.as_user(org.admin).post(DISPOSITIONS, {"code": "x"}, format="json").status_code == 405


# --- revenue targets ------------------------------------------------------------------------------

TARGETS = "/api/v1/revenue-targets/"


def test_admins_set_quarterly_targets(api, org):
    client = api.as_user(org.admin)
    response = client.post(TARGETS, {"team": org.east.pk, "period_start": "2027-04-01", "amount": "250000"},
                           format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {**response.json(), "amount": "250000.00", "currency": "USD", "team": org.east.pk}
    company = client.post(TARGETS, {"period_start": "2027-04-01", "amount": 1000000}, format="json")
    assert company.status_code == 201 and company.json()["team"] is None
    err = error(client.post(TARGETS, {"team": org.east.pk, "period_start": "2027-04-01", "amount": "1"},
                            format="json"), 409)
    assert err["code"] == "duplicate"
    assert error(client.post(TARGETS, {"period_start": "2027-04-01", "amount": "1"}, format="json"), 409)
    response = client.patch(f"{TARGETS}{company.json()['id']}/", {"amount": "1200000"}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "1200000.00"
    assert [t["team"] for t in client.get(f"{TARGETS}?company=true").json()["results"]] == [None]


@pytest.mark.parametrize("body,field", [
    ({"period_start": "2027-02-01"}, "period_start"),
    ({"period_start": "2027-04-02"}, "period_start"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "x"}, "amount"),
    ({"currency": "dollars"}, "currency"),
    ({"team": 999999}, "team"),
])
def test_invalid_targets_are_422(api, org, body, field):
    payload = {"period_start": "2027-01-01", "amount": "100", **body}
    assert field in error(api.as_user(org.admin).post(TARGETS, payload, format="json"), 422)["details"]["fields"]
    assert not RevenueTarget.objects.exists()


def test_a_target_edit_to_a_mid_quarter_date_is_422(api, org):
    target = RevenueTargetFactory()
    err = error(api.as_user(org.admin).patch(f"{TARGETS}{target.pk}/", {"period_start": "2027-01-15"},
                                             format="json"), 422)
    assert "period_start" in err["details"]["fields"]


def test_only_admins_write_targets_and_reading_needs_reports_read(api, org):
    RevenueTargetFactory()
    for who in (org.mops, org.lead_, org.manager_east):
        assert api.as_user(who).post(TARGETS, {"period_start": "2027-07-01", "amount": "1"},
                                     format="json").status_code == 403
    assert api.as_user(org.lead_).get(TARGETS).status_code == 200
    api.force_authenticate(user=None)
    _, leads_only = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    assert error(api.with_token(leads_only).get(TARGETS), 403)["details"]["scope"] == "reports:read"
    _, reports = org_services.token_issue(user=org.integrator, scopes=["reports:read"])
    assert api.with_token(reports).get(TARGETS).status_code == 200


# --- the schema -----------------------------------------------------------------------------------


def test_the_schema_describes_every_lifecycle_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ["/api/v1/leads/", "/api/v1/leads/{id}/", "/api/v1/leads/{id}/timeline/", "/api/v1/touches/",
                 "/api/v1/events/", "/api/v1/opportunities/{id}/", "/api/v1/campaigns/", "/api/v1/accounts/",
                 "/api/v1/dispositions/", "/api/v1/revenue-targets/"]:
        assert path in paths, path
    for name in ["promote", "accept", "reject", "qualify", "disqualify", "recycle", "convert", "assign"]:
        operation = paths[f"/api/v1/leads/{{id}}/{name}/"]["post"]
        assert {"200", "403", "404", "409", "422"} <= set(operation["responses"]), name
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert "expected_stage" in schema["components"]["schemas"][body]["properties"], name
    patch = paths["/api/v1/leads/{id}/"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][patch.rsplit("/", 1)[1]]["additionalProperties"] is False
    assert "put" not in paths["/api/v1/leads/{id}/"] and "delete" not in paths["/api/v1/leads/{id}/"]
    deal = paths["/api/v1/opportunities/"]["post"]  # api.md: GET/POST; a POST converts the SQL lead
    assert {"200", "201", "403", "404", "409", "422"} <= set(deal["responses"])
    filters = {p["name"] for p in paths["/api/v1/leads/"]["get"]["parameters"]}
    assert {"stage", "status", "owner", "team", "source", "campaign", "high_intent", "score_min", "score_max",
            "created_after", "created_before", "became_mql_after", "became_mql_before", "sla_status", "q",
            "ordering", "cursor", "page_size"} <= filters
