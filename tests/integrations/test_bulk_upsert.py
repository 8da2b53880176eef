"""POST /api/v1/leads/bulk/: upsert keyed by the client's external_id or email, per-item results in order."""

from unittest import mock

import pytest

from leadops import services as org_services
from lifecycle.models import Account, Lead, LeadExternalId
from lifecycle.services import lead_create

pytestmark = pytest.mark.django_db

BULK = "/api/v1/leads/bulk/"


def post(api, items):
    response = api.post(BULK, items, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_creates_updates_and_unchanged_in_order(integrator_api, org):
    existing = lead_create(email="old@acme.io", first_name="Old", client=org.integrator, external_id="crm-1")
    results = post(integrator_api, [
        {"email": "new@acme.io", "external_id": "crm-2", "first_name": "New"},
        {"email": "old@acme.io", "external_id": "crm-1", "first_name": "Older"},
        {"email": "third@beta.io"},
    ])
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["status"] for r in results] == ["created", "updated", "created"]
    assert results[1]["id"] == existing.pk
    assert all(r["errors"] is None for r in results)
    assert Lead.objects.get(pk=existing.pk).first_name == "Older"
    assert LeadExternalId.objects.get(client=org.integrator, external_id="crm-2").lead_id == results[0]["id"]
    again = post(integrator_api, [{"email": "new@acme.io", "external_id": "crm-2", "first_name": "New"},
                                  {"email": "THIRD@beta.io"}])
    assert [r["status"] for r in again] == ["unchanged", "unchanged"]
    assert [r["id"] for r in again] == [results[0]["id"], results[2]["id"]]


def test_the_external_id_is_the_key_so_the_email_can_change(integrator_api, org):
    lead = lead_create(email="a@acme.io", client=org.integrator, external_id="x1")
    [result] = post(integrator_api, [{"email": "a.new@acme.io", "external_id": "x1"}])
    assert result["status"] == "updated" and result["id"] == lead.pk
    assert Lead.objects.get(pk=lead.pk).email == "a.new@acme.io"


def test_good_items_land_when_others_fail_with_per_item_errors(integrator_api):
    results = post(integrator_api, [
        {"email": "good@acme.io"},
        {"email": "bad@acme.io", "employee_count": "many"},
        {"email": "not-an-email"},
        {"email": "also@acme.io", "stage": "mql"},
        "not an object",
        {"email": "good2@acme.io"},
    ])
    assert [r["status"] for r in results] == ["created", "error", "error", "error", "error", "created"]
    assert results[1]["errors"]["code"] == "validation_error"
    assert "employee_count" in results[1]["errors"]["details"]["fields"]
    assert "email" in results[2]["errors"]["details"]["fields"]
    assert "stage" in results[3]["errors"]["details"]["fields"]
    assert results[1]["id"] is None
    assert set(Lead.objects.values_list("email", flat=True)) == {"good@acme.io", "good2@acme.io"}


def test_a_duplicate_in_the_batch_is_an_error_and_the_first_wins(integrator_api):
    results = post(integrator_api, [
        {"email": "dup@acme.io", "first_name": "First"},
        {"email": "DUP@acme.io", "first_name": "Second"},
        {"email": "x@acme.io", "external_id": "e1"},
        {"email": "y@acme.io", "external_id": "e1"},
    ])
    assert [r["status"] for r in results] == ["created", "error", "created", "error"]
    assert results[1]["errors"]["code"] == "duplicate_in_batch"
    assert results[1]["errors"]["details"] == {"first_index": 0}
    assert results[3]["errors"]["details"] == {"first_index": 2}
    assert Lead.objects.get(email="dup@acme.io").first_name == "First"
    assert not Lead.objects.filter(email="y@acme.io").exists()


def test_firmographics_update_the_account(integrator_api):
    post(integrator_api, [{"email": "a@bigco.com", "company_name": "BigCo"}])
    results = post(integrator_api, [{"email": "a@bigco.com", "industry": "Software", "employee_count": 1200,
                                     "country": "DE"}])
    assert results[0]["status"] == "updated"
    account = Account.objects.get(domain="bigco.com")
    assert (account.industry, account.employee_count, account.country) == ("Software", 1200, "DE")


def test_external_ids_are_per_client(integrator_api, org):
    other = org_services.user_create(username="warehouse", role="integrator")
    mine = lead_create(email="m@acme.io", client=org.integrator, external_id="same")
    lead_create(email="t@acme.io", client=other, external_id="same")
    [result] = post(integrator_api, [{"email": "m@acme.io", "external_id": "same", "title": "CTO"}])
    assert result["id"] == mine.pk and result["status"] == "updated"


def test_scoring_is_enqueued_after_commit_in_batches_not_per_lead(integrator_api,
                                                                 django_capture_on_commit_callbacks):
    with mock.patch("scoring.tasks.rescore_leads.delay") as batch, \
            mock.patch("scoring.tasks.rescore_lead.delay") as single, \
            mock.patch("scoring.tasks.BATCH_SIZE", 2):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post(integrator_api, [{"email": f"l{i}@acme.io"} for i in range(5)])
        assert batch.call_count == 0  # nothing before the commit
        for callback in callbacks:
            callback()
    assert single.call_count == 0
    assert batch.call_count == 3  # 5 leads in batches of 2
    assert sum(len(call.args[0]) for call in batch.call_args_list) == 5


def test_leads_created_in_bulk_are_scored(integrator_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [result] = post(integrator_api, [{"email": "vp@acme.io", "title": "VP Engineering",
                                          "company_name": "Acme", "employee_count": 500}])
    lead = Lead.objects.get(pk=result["id"])
    assert lead.stage == "lead"
    assert lead.fit_score > 0


def test_missing_token_is_401_and_wrong_scope_is_403_naming_it(api, org):
    assert api.post(BULK, [{"email": "a@acme.io"}], format="json").status_code == 401
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    response = api.with_token(raw).post(BULK, [{"email": "a@acme.io"}], format="json")
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"scope": "leads:write"}


def test_a_body_that_is_not_a_list_or_empty_is_422(integrator_api):
    assert integrator_api.post(BULK, {"email": "a@acme.io"}, format="json").status_code == 422
    assert integrator_api.post(BULK, [], format="json").status_code == 422


def test_a_lead_the_caller_cannot_see_is_404_for_it(api, org):
    lead = lead_create(email="hidden@acme.io")
    _, raw = org_services.token_issue(user=org.rep_west, scopes=["leads:read", "leads:write"])
    response = api.with_token(raw).get(f"/api/v1/leads/{lead.pk}/")
    assert response.status_code == 404
