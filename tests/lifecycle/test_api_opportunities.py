"""/api/v1/opportunities/: the deals of the leads the caller may see; POST converts the SQL lead, PATCH edits
and closes a deal."""

import datetime as dt

import pytest

from lifecycle.models import Lead, Opportunity, StageTransition
from tests.lifecycle.factories import LeadFactory
from tests.lifecycle.test_api_actions import error, stage_of

pytestmark = pytest.mark.django_db


OPPS = "/api/v1/opportunities/"


@pytest.fixture
def deals(org):
    east = LeadFactory(stage="opportunity", owner=org.rep_east)
    west = LeadFactory(stage="opportunity", owner=org.rep_west)
    Opportunity.objects.filter(lead=west).update(close_date=dt.date(2027, 3, 31), deal_stage="proposal_presented")
    return Opportunity.objects.get(lead=east), Opportunity.objects.get(lead=west)


def test_post_opportunities_converts_the_sql_lead_like_the_convert_action(api, org):
    lead = LeadFactory(stage="sql", owner=org.rep_east)
    body = {"lead": lead.pk, "amount": "12000", "close_date": "2027-03-31", "name": "Renewal"}
    response = api.as_user(org.rep_east).post(OPPS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] == Opportunity.objects.get(lead=lead).pk and response.json()["amount"] == "12000.00"
    lead.refresh_from_db()
    assert lead.stage == "opportunity"
    assert StageTransition.objects.filter(lead=lead).latest("seq").to_stage == "opportunity"
    # a repeat (a retried sync) answers the same deal, and makes no second one
    again = api.as_user(org.rep_east).post(OPPS, body, format="json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert Opportunity.objects.filter(lead=lead).count() == 1
    # a lead that is not SQL cannot get a deal
    early = LeadFactory(stage="sal", owner=org.rep_east)
    refused = api.as_user(org.rep_east).post(OPPS, {**body, "lead": early.pk}, format="json")
    assert refused.status_code == 409 and not Opportunity.objects.filter(lead=early).exists()


def test_post_opportunities_names_bad_input_and_hides_other_leads(api, org):
    lead = LeadFactory(stage="sql", owner=org.rep_east)
    missing = api.as_user(org.rep_east).post(OPPS, {"lead": lead.pk, "amount": "-1"}, format="json")
    assert missing.status_code == 422 and {"amount", "close_date"} <= set(missing.json()["error"]["details"]["fields"])
    # a rep of another team cannot see the lead: 404, and nothing moved
    hidden = api.as_user(org.rep_west).post(OPPS, {"lead": lead.pk, "amount": 1, "close_date": "2027-01-01"},
                                            format="json")
    assert hidden.status_code == 404
    assert Lead.objects.get(pk=lead.pk).stage == "sql" and not Opportunity.objects.filter(lead=lead).exists()
    # marketing ops may read deals but not create them
    mops = api.as_user(org.mops).post(OPPS, {"lead": lead.pk, "amount": 1, "close_date": "2027-01-01"},
                                      format="json")
    assert mops.status_code == 403


def test_opportunities_of_visible_leads_with_filters(api, org, deals):
    east, west = deals

    def listed(user, query=""):
        response = api.as_user(user).get(f"{OPPS}?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert listed(org.rep_east) == {east.pk}
    assert listed(org.manager_west) == {west.pk}
    assert listed(org.lead_) == {east.pk, west.pk}
    assert listed(org.admin, "deal_stage=proposal_presented") == {west.pk}
    assert listed(org.admin, f"owner={org.rep_east.pk}") == {east.pk}
    assert listed(org.admin, "close_date_after=2027-02-01") == {west.pk}
    assert listed(org.admin, "close_date_before=2027-01-31") == {east.pk}
    assert "deal_stage" in error(api.as_user(org.admin).get(f"{OPPS}?deal_stage=won"), 422)["details"]["fields"]
    assert api.as_user(org.rep_east).get(f"{OPPS}{west.pk}/").status_code == 404
    assert api.as_user(org.admin).post(OPPS, {"lead": 1}, format="json").status_code == 422  # amount, close_date


def test_closing_won_makes_the_lead_a_customer(api, org, deals):
    east, _ = deals
    response = api.as_user(org.rep_east).patch(f"{OPPS}{east.pk}/", {"deal_stage": "closed_won", "amount": "30000"},
                                               format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "30000.00" and response.json()["closed_at"] is not None
    assert stage_of(east.lead) == "customer"


def test_closing_lost_moves_the_lead_per_the_lost_reason_which_is_required(api, org, deals):
    east, west = deals
    client = api.as_user(org.admin)
    err = error(client.patch(f"{OPPS}{east.pk}/", {"deal_stage": "closed_lost"}, format="json"), 422)
    assert "lost_reason" in err["details"]["fields"]
    assert "lost_reason" in error(client.patch(f"{OPPS}{east.pk}/", {"deal_stage": "closed_lost",
                                                                   "lost_reason": "meh"}, format="json"),
                                  422)["details"]["fields"]
    response = client.patch(f"{OPPS}{east.pk}/", {"deal_stage": "closed_lost", "lost_reason": "price"},
                            format="json")
    assert response.status_code == 200 and response.json()["lost_reason"] == "price"
    assert stage_of(east.lead) == "nurture"
    client.patch(f"{OPPS}{west.pk}/", {"deal_stage": "closed_lost", "lost_reason": "product_fit"}, format="json")
    assert stage_of(west.lead) == "disqualified"
    assert error(client.patch(f"{OPPS}{east.pk}/", {"amount": "1"}, format="json"), 409)["code"] == "closed"


@pytest.mark.parametrize("body,field", [
    ({"amount": "-5"}, "amount"),
    ({"amount": "five"}, "amount"),
    ({"deal_stage": "won"}, "deal_stage"),
    ({"close_date": "soon"}, "close_date"),
    ({"lead": 1}, "lead"),
    ({"owner": 1}, "owner"),
])
def test_bad_opportunity_edits_are_422_and_change_nothing(api, org, deals, body, field):
    east, _ = deals
    err = error(api.as_user(org.rep_east).patch(f"{OPPS}{east.pk}/", body, format="json"), 422)
    assert field in err["details"]["fields"]
    east.refresh_from_db()
    assert east.amount == 12000 and east.deal_stage == "discovery"


def test_marketing_ops_and_leadership_do_not_edit_deals(api, org, deals):
    east, _ = deals
    for who in (org.mops, org.lead_):
        response = api.as_user(who).patch(f"{OPPS}{east.pk}/", {"deal_stage": "closed_won"}, format="json")
        assert response.status_code == 403
    assert stage_of(east.lead) == "opportunity"
