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


# --- the set-based write and its item-by-item fallback give the same answers and rows ------------------------


def _scenario(api, org):
    """A batch touching every case, against leads made the usual way. Returns (results, ids by name)."""
    other = org_services.user_create(username="warehouse", role="integrator")
    known = lead_create(email="known@acme.io", first_name="Known", client=org.integrator, external_id="k1")
    sub = lead_create(email="sub@acme.io", client=org.integrator)  # a subscriber: nothing stated yet
    taken = lead_create(email="taken@acme.io", client=other)  # another client's lead
    results = post(api, [
        {"email": "new@beta.io", "external_id": "n1", "title": "VP Sales", "company_name": "Beta",
         "industry": "Software", "employee_count": 120, "country": "de"},  # 0 created, promoted to lead
        {"email": "plain@gmail.com"},  # 1 created, stays a subscriber, no account (free mail)
        {"email": "known@acme.io", "external_id": "k1", "first_name": "Known"},  # 2 unchanged
        {"email": "sub@acme.io", "title": "CTO", "external_id": "s1"},  # 3 updated, promoted, id attached
        {"email": "moved@acme.io", "external_id": "k1"},  # 4 duplicate_in_batch of item 2 (same external id)
        {"email": "taken@acme.io", "first_name": "Mine"},  # 5 another client's lead, reached by email
        {"email": "known@acme.io", "external_id": "k9", "last_name": "X"},  # 6 duplicate_in_batch (email of 2)
        {"email": "new2@beta.io", "industry": "Retail"},  # 7 created; the account's industry is now Retail
    ])
    return results, {"known": known.pk, "sub": sub.pk, "taken": taken.pk}


@pytest.mark.parametrize("path", ["set", "item by item"])
def test_every_case_answers_and_writes_the_same_set_based_or_item_by_item(integrator_api, org, path):
    from django.db import IntegrityError

    from lifecycle.models import ClientLead, StageTransition
    from lifecycle.services import bulk

    with mock.patch.object(bulk, "_write_set", side_effect=IntegrityError("forced")) if path != "set" \
            else mock.patch.object(bulk, "_dedupe", wraps=bulk._dedupe):
        results, ids = _scenario(integrator_api, org)
    assert [r["status"] for r in results] == [
        "created", "created", "unchanged", "updated", "error", "updated", "error", "created"]
    assert [r["errors"]["code"] for r in results if r["errors"]] == ["duplicate_in_batch", "duplicate_in_batch"]
    assert results[4]["errors"]["details"] == {"first_index": 2}
    assert results[2]["id"] == ids["known"] and results[3]["id"] == ids["sub"] and results[5]["id"] == ids["taken"]
    new = Lead.objects.get(pk=results[0]["id"])
    assert (new.stage, new.status, new.seniority, new.transition_count) == ("lead", "new", "vp", 1)
    assert new.became_lead_at is not None and new.account.domain == "beta.io"
    assert (new.account.name, new.account.industry, new.account.employee_count, new.account.country) == \
        ("Beta", "Retail", 120, "DE")
    plain = Lead.objects.get(pk=results[1]["id"])
    assert (plain.stage, plain.account, plain.transition_count) == ("subscriber", None, 0)
    sub = Lead.objects.get(pk=ids["sub"])
    assert (sub.stage, sub.title, sub.seniority) == ("lead", "CTO", "cxo")
    history = list(StageTransition.objects.filter(lead_id__in=[new.pk, sub.pk]).order_by("lead_id")
                   .values_list("lead_id", "seq", "from_stage", "to_stage", "trigger", "actor_kind"))
    assert sorted(history) == sorted([(new.pk, 1, "subscriber", "lead", "enriched", "system"),
                                      (sub.pk, 1, "subscriber", "lead", "enriched", "system")])
    assert dict(LeadExternalId.objects.filter(client=org.integrator).values_list("external_id", "lead_id")) == {
        "k1": ids["known"], "n1": new.pk, "s1": ids["sub"]}
    assert Lead.objects.get(pk=ids["taken"]).first_name == "Mine"
    linked = set(ClientLead.objects.filter(client=org.integrator).values_list("lead_id", flat=True))
    assert linked == {ids["known"], ids["sub"], ids["taken"], new.pk, plain.pk, results[7]["id"]}


def test_a_bulk_upsert_writes_its_webhook_outbox_rows_in_one_go(integrator_api, org,
                                                               django_assert_max_num_queries):
    from leadops.webhooks.services import subscription_create
    from sla.models import OutboundEvent

    subscription_create(owner=org.integrator, url="https://hooks.example/x",
                        events=["lead.created", "lead.stage_changed"])
    items = [{"email": f"p{i}@acme.io", "title": "CTO"} for i in range(30)]
    with django_assert_max_num_queries(25):  # not one query per lead
        results = post(integrator_api, items)
    assert {r["status"] for r in results} == {"created"}
    rows = list(OutboundEvent.objects.values_list("event", "data__lead"))
    assert sorted(rows) == sorted([("lead.created", r["id"]) for r in results]
                                  + [("lead.stage_changed", r["id"]) for r in results])


def test_the_sla_reaction_to_a_bulk_promotion_looks_at_the_clocks_once(integrator_api, org):
    """A subscriber -> lead move has no clock to act on; the SLA's batch form finds that in one query."""
    from sla import handlers

    lead_create(email="s1@acme.io", client=org.integrator)
    with mock.patch.object(handlers.clocks, "on_stage_changed") as per_lead:
        results = post(integrator_api, [{"email": "s1@acme.io", "title": "CTO"}, {"email": "s2@acme.io",
                                                                                 "company_name": "Acme"}])
    assert [r["status"] for r in results] == ["updated", "created"]
    assert per_lead.call_count == 0


# --- the quick validation path agrees with the serializer ---------------------------------------------------


QUICK_CASES = [
    {"email": "a@acme.io"},
    {"email": "  a@acme.io  ", "first_name": "  Ann ", "country": "de", "lead_type": "partner", "source": ""},
    {"email": "a@acme.io", "title": "   "},
    {"email": "a@acme.io", "first_name": None},
    {"email": "a@acme.io", "first_name": 12},
    {"email": "a@acme.io", "first_name": "x" * 101},
    {"email": "a@acme.io", "last_name": "nul\x00l"},
    {"email": "a@acme.io", "employee_count": "12"},
    {"email": "a@acme.io", "employee_count": True},
    {"email": "a@acme.io", "employee_count": -1},
    {"email": "a@acme.io", "employee_count": 10_000_001},
    {"email": "a@acme.io", "employee_count": None},
    {"email": "a@acme.io", "employee_count": 12.0},
    {"email": "a@acme.io", "country": "DEU"},
    {"email": "a@acme.io", "lead_type": "friend"},
    {"email": "a@acme.io", "source": "webinar"},
    {"email": "a@acme.io", "external_id": ""},
    {"email": "a@acme.io", "external_id": "  x1 "},
    {"email": "a@acme.io", "campaign": 999999},
    {"email": "a@acme.io", "campaign": None},
    {"email": "a@acme.io", "stage": "mql"},
    {"email": "a@acme.io", "favourite_colour": "blue"},
    {"email": "not-an-email"},
    {"email": ""},
    {"first_name": "no email"},
    ["not", "an", "object"],
    "a string",
]


def test_the_quick_validation_answers_what_the_serializer_answers(org):
    from lifecycle.api.bulk import LeadBulkItemIn, QuickCheck
    from tests.lifecycle.factories import CampaignFactory

    campaign = CampaignFactory()
    cases = [*QUICK_CASES, {"email": "a@acme.io", "campaign": campaign.pk}]
    quick = QuickCheck(LeadBulkItemIn())
    found = [quick.values(case) for case in cases]
    quick.resolve(found)
    for case, values in zip(cases, found, strict=True):
        serializer = LeadBulkItemIn(data=case)
        if serializer.is_valid():
            assert values in (None, dict(serializer.validated_data)), case  # None: the serializer decides
        else:
            assert values is None, case
    assert found[0] == {"email": "a@acme.io"}
    assert found[1] == {"email": "a@acme.io", "first_name": "Ann", "country": "DE", "lead_type": "partner",
                        "source": ""}
    assert found[-1] == {"email": "a@acme.io", "campaign": campaign}


@pytest.mark.django_db(transaction=True)
def test_two_clients_sending_the_same_new_leads_at_once_create_each_lead_once(org, client_token):
    """The second writer's set-based INSERT meets the first one's rows (unique email): its savepoint is rolled
    back and it writes item by item, finding the leads the first one committed. No 500, no second lead."""
    import json

    from django.test import Client

    from tests.support import race

    body = json.dumps([{"email": f"same{i}@acme.io", "title": "CTO", "company_name": "Same"} for i in range(20)])

    def send():
        response = Client().post(BULK, body, content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Token {client_token}")
        return response.status_code, sorted({r["status"] for r in response.json()})

    outcomes = race(send, send)
    assert sorted(outcomes) == [(200, ["created"]), (200, ["unchanged"])], outcomes
    assert Lead.objects.count() == 20
    assert Account.objects.filter(domain="acme.io").count() == 1
