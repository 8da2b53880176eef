"""The lead-type catalogue (domain.md section 3, *(config)*): admins add, relabel and retire lead types; every
writer of a lead type (lead create/patch, the bulk upsert's two paths, routing rules, the admin) refuses an
unknown or retired code with the allowed list; leads keep a retired type; the catalogue comes back after a
flush."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from leadops import services as org_services
from lifecycle.api.bulk import LeadBulkItemIn, QuickCheck, validate_items
from lifecycle.apps import seed_catalogues
from lifecycle.models import Lead, LeadTypeOption
from lifecycle.services import lead_create, lead_update
from lifecycle.services.lead_types import lead_type_update
from routing.models import RoutingRule

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/lead-types/"
LEADS = "/api/v1/leads/"
BULK = "/api/v1/leads/bulk/"
RULES = "/api/v1/routing-rules/"


def error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()["error"]


def codes(response):
    assert response.status_code == 200, response.content[:300]
    return [row["code"] for row in response.json()["results"]]


def retire(code: str) -> None:
    lead_type_update(lead_type_id=LeadTypeOption.objects.get(code=code).pk, fields={"active": False})


# --- the catalogue and its API ---------------------------------------------------------------------------


def test_the_defaults_are_seeded_in_catalogue_order_with_todays_labels(api, org):
    response = api.as_user(org.rep_east).get(TYPES)
    assert [(r["code"], r["label"], r["active"]) for r in response.json()["results"]] == [
        ("new_business", "New business", True), ("existing_customer", "Existing customer", True),
        ("partner", "Partner", True)]


def test_any_token_reads_the_lead_types(api, org):
    _, raw = org_services.token_issue(user=org.integrator, scopes=["events:write"])  # no leads:read
    assert codes(api.with_token(raw).get(TYPES)) == ["new_business", "existing_customer", "partner"]


def test_an_admin_adds_relabels_and_retires_a_type_and_the_list_follows(api, org):
    client = api.as_user(org.admin)
    response = client.post(TYPES, {"code": "reseller", "label": "Reseller", "position": 5}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert client.patch(f"{TYPES}{pk}/", {"label": "Channel reseller"}, format="json").json()["label"] == \
        "Channel reseller"
    partner = LeadTypeOption.objects.get(code="partner").pk
    assert client.patch(f"{TYPES}{partner}/", {"active": False}, format="json").json()["active"] is False
    assert codes(client.get(TYPES)) == ["new_business", "existing_customer", "partner", "reseller"]
    assert codes(client.get(TYPES, {"active": "true"})) == ["new_business", "existing_customer", "reseller"]


@pytest.mark.parametrize("who", ["mops", "manager_east", "rep_east", "integrator"])
def test_only_admins_write_the_catalogue(api, org, who):
    response = api.as_user(getattr(org, who)).post(TYPES, {"code": "reseller", "label": "Reseller"}, format="json")
    assert response.status_code == 403
    assert not LeadTypeOption.objects.filter(code="reseller").exists()


def test_a_code_never_changes_is_unique_and_well_formed_and_the_default_stays_active(api, org):
    client = api.as_user(org.admin)
    partner = LeadTypeOption.objects.get(code="partner").pk
    assert "code" in error(client.patch(f"{TYPES}{partner}/", {"code": "partners"}, format="json"),
                           422)["details"]["fields"]
    assert error(client.post(TYPES, {"code": "partner", "label": "Again"}, format="json"), 409)["code"] == "duplicate"
    assert "code" in error(client.post(TYPES, {"code": "Big Deal", "label": "X"}, format="json"),
                           422)["details"]["fields"]
    default = LeadTypeOption.objects.get(code="new_business").pk
    refused = error(client.patch(f"{TYPES}{default}/", {"active": False}, format="json"), 422)
    assert refused["code"] == "default_lead_type" and "active" in refused["details"]["fields"]
    assert LeadTypeOption.objects.get(code="partner").code == "partner"
    assert LeadTypeOption.objects.get(code="new_business").active


# --- a new type in use: a lead and a routing rule ----------------------------------------------------------


def test_an_admin_adds_a_type_and_a_lead_and_a_routing_rule_use_it(api, org):
    assert api.as_user(org.admin).post(TYPES, {"code": "reseller", "label": "Reseller"},
                                       format="json").status_code == 201
    mops = api.as_user(org.mops)
    response = mops.post(RULES, {"name": "Resellers to East", "lead_types": ["reseller"],
                                 "target_team": org.east.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert RoutingRule.objects.get(name="Resellers to East").lead_types == ["reseller"]
    response = mops.post(LEADS, {"email": "r@shop.example", "company_name": "Shop", "lead_type": "reseller"},
                         format="json")
    assert response.status_code == 201, response.json()
    lead = response.json()
    assert lead["lead_type"] == "reseller"
    other = lead_create(email="n@new.example", company_name="New")
    dry = mops.post(f"{RULES}dry-run/", {"lead": lead["id"]}, format="json").json()
    assert dry["rule_name"] == "Resellers to East" and dry["facts"]["lead_type"] == "reseller"
    assert mops.post(f"{RULES}dry-run/", {"lead": other.pk}, format="json").json()["rule_name"] != \
        "Resellers to East"


# --- a retired type: refused for new writes with the allowed list, kept on existing leads ------------------


ALLOWED = ["new_business", "existing_customer"]


def test_a_retired_type_is_refused_on_create_listing_the_allowed_codes(api, org):
    retire("partner")
    refused = error(api.as_user(org.mops).post(LEADS, {"email": "p@x.example", "lead_type": "partner"},
                                               format="json"), 422)
    assert refused["code"] == "unknown_lead_type"
    assert refused["details"]["allowed"] == ALLOWED
    assert "new_business, existing_customer" in refused["details"]["fields"]["lead_type"]
    assert not Lead.objects.exists()


def test_an_unknown_type_is_refused_on_patch_and_nothing_changes(api, org):
    lead = lead_create(email="a@x.example", lead_type="partner")
    refused = error(api.as_user(org.mops).patch(f"{LEADS}{lead.pk}/", {"lead_type": "friend", "first_name": "Al"},
                                                format="json"), 422)
    assert refused["code"] == "unknown_lead_type" and set(refused["details"]["fields"]) == {"lead_type"}
    assert refused["details"]["allowed"] == ["new_business", "existing_customer", "partner"]
    lead.refresh_from_db()
    assert (lead.lead_type, lead.first_name) == ("partner", "")


def test_a_lead_keeps_its_retired_type_shown_with_its_label(api, org, client):
    lead = lead_create(email="a@x.example", company_name="X", lead_type="partner")
    retire("partner")
    mops = api.as_user(org.mops)
    # other edits go through, and so does re-sending the type the lead already has
    response = mops.patch(f"{LEADS}{lead.pk}/", {"first_name": "Ann", "lead_type": "partner"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["lead_type"] == "partner"
    lead.refresh_from_db()
    assert (lead.lead_type, lead.first_name) == ("partner", "Ann")
    client.force_login(org.admin)
    page = client.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200
    assert "Partner (retired)" in page.content.decode()
    # moving away from it is allowed, moving back is not
    lead_update(lead_id=lead.pk, fields={"lead_type": "existing_customer"})
    with pytest.raises(Exception) as refused:
        lead_update(lead_id=lead.pk, fields={"lead_type": "partner"})
    assert getattr(refused.value, "code", None) == "unknown_lead_type"


def test_a_rule_with_a_retired_or_unknown_type_is_refused_naming_the_item(api, org):
    retire("partner")
    refused = error(api.as_user(org.mops).post(
        RULES, {"name": "X", "target_team": org.east.pk, "lead_types": ["new_business", "partner", "friend"]},
        format="json"), 422)
    items = refused["details"]["fields"]["lead_types"]
    assert set(items) == {"1", "2"}
    assert "'partner' is not an active lead type. Allowed: new_business, existing_customer." in items["1"][0]
    assert not RoutingRule.objects.exists()


def test_the_routing_service_refuses_a_retired_type_too(org):
    from leadops.errors import RuleViolation
    from routing import services as routing

    retire("partner")
    with pytest.raises(RuleViolation) as refused:
        routing.routing_rule_create(name="Partners", lead_types=["partner"], target_team=org.east)
    assert refused.value.details["fields"] == {
        "lead_types": "Unknown value(s): partner. Known: existing_customer, new_business."}


# --- the bulk upsert: both validation paths, the item named -------------------------------------------------


@pytest.fixture
def integrator_api(api, org):
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read", "leads:write"])
    return api.with_token(raw)


def test_the_bulk_refuses_a_retired_type_per_item_and_keeps_it_on_existing_leads(integrator_api, org):
    kept = lead_create(email="kept@x.example", lead_type="partner", client=org.integrator)
    retire("partner")
    response = integrator_api.post(BULK, [
        {"email": "ok@x.example", "lead_type": "existing_customer"},
        {"email": "new@x.example", "lead_type": "partner"},
        {"email": "kept@x.example", "lead_type": "partner", "first_name": "Kim"},  # unchanged type: fine
        {"email": "kept2@x.example", "lead_type": "friend"},
    ], format="json")
    assert response.status_code == 200
    results = response.json()
    assert [r["status"] for r in results] == ["created", "error", "updated", "error"]
    for index, code in ((1, "partner"), (3, "friend")):
        item = results[index]
        assert item["index"] == index and item["id"] is None
        assert item["errors"]["code"] == "unknown_lead_type"
        assert item["errors"]["details"]["allowed"] == ALLOWED
        assert item["errors"]["details"]["fields"]["lead_type"] == (
            f"'{code}' is not an active lead type. Allowed: new_business, existing_customer.")
    assert not Lead.objects.filter(email__in=["new@x.example", "kept2@x.example"]).exists()
    kept.refresh_from_db()
    assert (kept.lead_type, kept.first_name) == ("partner", "Kim")
    # an existing lead cannot be moved onto the retired type
    [moved] = integrator_api.post(BULK, [{"email": "ok@x.example", "lead_type": "partner"}], format="json").json()
    assert moved["errors"]["code"] == "unknown_lead_type"
    assert Lead.objects.get(email="ok@x.example").lead_type == "existing_customer"


def test_the_bulk_quick_path_and_serializer_path_give_the_same_refusal(integrator_api, org):
    """An item the quick path cannot take (a number in a string) goes through the serializer; a refused type
    answers the same either way: the one check of the lead services."""
    retire("partner")
    quick = QuickCheck(LeadBulkItemIn())
    fast_item = {"email": "a@x.example", "lead_type": "partner"}
    slow_item = {"email": "b@x.example", "lead_type": "partner", "employee_count": "12"}
    assert quick.values(fast_item) is not None and quick.values(slow_item) is None  # the two paths
    assert all(item.values is not None for item in validate_items([fast_item, slow_item]))
    fast, slow = integrator_api.post(BULK, [fast_item, slow_item], format="json").json()
    assert fast["errors"]["message"] == slow["errors"]["message"] == (
        "lead_type: 'partner' is not an active lead type. Allowed: new_business, existing_customer.")
    assert fast["errors"]["details"] == slow["errors"]["details"]


# --- the admin site ----------------------------------------------------------------------------------------


def test_the_admin_lead_form_offers_active_types_and_keeps_a_retired_one(client, org):
    from lifecycle.admin import LeadAdminForm

    lead = lead_create(email="a@x.example", lead_type="partner")
    retire("partner")
    client.force_login(org.admin)
    assert client.get("/admin/lifecycle/leadtypeoption/").status_code == 200
    form_class = type("Form", (LeadAdminForm,), {"Meta": type("Meta", (), {"model": Lead, "fields": ["lead_type"]})})
    kept = form_class(data={"lead_type": "partner"}, instance=lead)
    assert [c for c, _ in kept.fields["lead_type"].choices] == ["new_business", "existing_customer", "partner"]
    assert kept.is_valid(), kept.errors
    other = form_class(data={"lead_type": "partner"}, instance=lead_create(email="b@x.example"))
    assert not other.is_valid() and "lead_type" in other.errors


def test_a_used_code_is_read_only_in_the_admin(client, org):
    used = LeadTypeOption.objects.get(code="partner")
    unused = LeadTypeOption.objects.create(code="reseller", label="Reseller")
    lead_create(email="a@x.example", lead_type="partner")
    client.force_login(org.admin)
    assert 'name="code"' not in client.get(f"/admin/lifecycle/leadtypeoption/{used.pk}/change/").content.decode()
    assert 'name="code"' in client.get(f"/admin/lifecycle/leadtypeoption/{unused.pk}/change/").content.decode()


# --- the catalogue survives a flush -------------------------------------------------------------------------


def test_the_reseed_adds_missing_defaults_and_keeps_an_admins_edits(org):
    lead_type_update(lead_type_id=LeadTypeOption.objects.get(code="partner").pk,
                     fields={"label": "Partner channel", "active": False})
    seed_catalogues(sender=None)
    assert list(LeadTypeOption.objects.values_list("code", "label", "active")) == [
        ("new_business", "New business", True), ("existing_customer", "Existing customer", True),
        ("partner", "Partner channel", False)]


@pytest.mark.django_db(transaction=True)
def test_the_catalogue_comes_back_after_a_flush():
    LeadTypeOption.objects.create(code="reseller", label="Reseller", position=9)
    call_command("flush", interactive=False, verbosity=0)
    assert list(LeadTypeOption.objects.values_list("code", "label", "active")) == [
        ("new_business", "New business", True), ("existing_customer", "Existing customer", True),
        ("partner", "Partner", True)]
