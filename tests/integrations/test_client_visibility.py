"""Which leads an API client sees (docs/api-integrators.md, "Which leads a client sees"): those it created,
holds an external id for, or wrote to by email. Another client's lead is 404, as a lead that does not exist."""

import pytest

from leadops import services as org_services
from lifecycle.services import lead_create

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


@pytest.fixture
def other_api(api, org):
    other = org_services.user_create(username="warehouse", role="integrator")
    _, raw = org_services.token_issue(user=other, scopes=["leads:read", "leads:write", "events:write"])
    return api.__class__().with_token(raw)


def test_another_clients_lead_is_404_for_reading_writing_and_acting(integrator_api, other_api):
    created = other_api.post(LEADS, {"email": "theirs@acme.io", "title": "CTO"}, format="json")
    assert created.status_code == 201
    url = f"{LEADS}{created.json()['id']}/"
    assert other_api.get(url).status_code == 200
    for response in (integrator_api.get(url), integrator_api.patch(url, {"title": "CEO"}, format="json"),
                     integrator_api.get(f"{url}timeline/"),
                     integrator_api.post(f"{url}promote/", {"to": "mql"}, format="json")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert integrator_api.get(LEADS).json()["results"] == []
    missing = integrator_api.get(f"{LEADS}999999/")  # the same answer as for a lead that does not exist
    assert missing.status_code == 404 and missing.json() == integrator_api.get(url).json()


def test_a_client_sees_what_it_created_holds_an_id_for_or_wrote_to_by_email(integrator_api, org, clock):
    mine = integrator_api.post(LEADS, {"email": "mine@acme.io"}, format="json").json()["id"]
    bulk = integrator_api.post(f"{LEADS}bulk/", [{"email": "bulk@acme.io"}], format="json").json()[0]["id"]
    by_id = lead_create(email="byid@acme.io", client=org.integrator, external_id="x1").pk
    web = lead_create(email="web@acme.io").pk  # a web form's lead: nobody's
    assert integrator_api.get(f"{LEADS}{web}/").status_code == 404
    event = integrator_api.post("/api/v1/events/", {"email": "web@acme.io", "type": "email_open",
                                                    "occurred_at": "2026-11-16T08:00:00Z"}, format="json")
    assert event.status_code == 201
    listed = {lead["id"] for lead in integrator_api.get(LEADS).json()["results"]}
    assert listed == {mine, bulk, by_id, web}
    assert integrator_api.patch(f"{LEADS}{web}/", {"title": "CTO"}, format="json").status_code == 200


def test_a_bulk_upsert_by_email_reaches_another_clients_lead_and_links_it(integrator_api, other_api):
    """The email is the key of the contract: a client that sends a known address updates that lead (and
    sees it from then on); it never learns of leads it has no address or id for."""
    theirs = other_api.post(LEADS, {"email": "shared@acme.io"}, format="json").json()["id"]
    assert integrator_api.get(f"{LEADS}{theirs}/").status_code == 404
    [result] = integrator_api.post(f"{LEADS}bulk/", [{"email": "shared@acme.io", "first_name": "Sam"}],
                                   format="json").json()
    assert (result["status"], result["id"]) == ("updated", theirs)
    assert integrator_api.get(f"{LEADS}{theirs}/").json()["first_name"] == "Sam"


def test_an_event_for_another_clients_lead_by_id_is_refused(integrator_api, other_api, clock):
    theirs = other_api.post(LEADS, {"email": "t@acme.io"}, format="json").json()["id"]
    response = integrator_api.post("/api/v1/events/", {"lead": theirs, "type": "email_open",
                                                       "occurred_at": "2026-11-16T08:00:00Z"}, format="json")
    assert response.status_code == 422
    assert "lead" in response.json()["error"]["details"]["fields"]


def test_people_with_a_role_see_by_role_not_by_link(api, org):
    lead = lead_create(email="web@acme.io")
    assert api.as_user(org.mops).get(f"{LEADS}{lead.pk}/").status_code == 200
    assert api.__class__().as_user(org.rep_west).get(f"{LEADS}{lead.pk}/").status_code == 404
