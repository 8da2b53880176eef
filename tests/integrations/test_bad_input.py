"""Issue 7's "Bad input" paragraph, line by line, on the integrator endpoints: a clear 4xx in the one error
shape, never a 500. (Also covered elsewhere: missing token and wrong scope in test_bulk_upsert.py, another
client's lead in test_client_visibility.py, duplicates in a batch in test_bulk_upsert.py, more than 1,000
items and oversize on POST /leads/ in test_limits_and_idempotency.py.)"""

import json

import pytest

from leadops import services as org_services
from lifecycle.models import Lead, MarketingEvent

pytestmark = pytest.mark.django_db

BULK = "/api/v1/leads/bulk/"
EVENTS = "/api/v1/events/"
LEADS = "/api/v1/leads/"
WRITES = [LEADS, BULK, EVENTS]


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize("url", WRITES)
def test_malformed_json_is_400(integrator_api, url):
    assert error(integrator_api.generic("POST", url, b'[{"email": ', content_type="application/json"),
                 400)["code"] == "malformed_request"


@pytest.mark.parametrize("url", WRITES)
def test_a_body_over_1_mb_is_413(integrator_api, url):
    body = b"[" + b" " * (1024 * 1024) + b"]"
    err = error(integrator_api.generic("POST", url, body, content_type="application/json"), 413)
    assert err["code"] == "payload_too_large" and err["details"]["max_bytes"] == 1024 * 1024


@pytest.mark.parametrize("url", WRITES)
def test_missing_token_is_401_and_a_bad_one_too(api, url):
    assert error(api.post(url, [{"email": "a@acme.io"}], format="json"), 401)["code"] == "not_authenticated"
    assert error(api.with_token("lo_nonsense").post(url, [{"email": "a@acme.io"}], format="json"),
                 401)["code"] == "not_authenticated"


@pytest.mark.parametrize("url,scope", [(LEADS, "leads:write"), (BULK, "leads:write"), (EVENTS, "events:write")])
def test_a_token_without_the_scope_is_403_naming_it(api, org, url, scope):
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    err = error(api.with_token(raw).post(url, [{"email": "a@acme.io"}], format="json"), 403)
    assert err["code"] == "missing_scope" and err["details"] == {"scope": scope}


def test_wrong_types_are_422_per_item_in_a_list(integrator_api, clock):
    leads = integrator_api.post(BULK, [{"email": ["a@acme.io"]}, {"email": "b@acme.io", "employee_count": "many"},
                                       {"email": "c@acme.io", "title": {"x": 1}}, {"email": "d@acme.io"}],
                                format="json").json()
    assert [r["status"] for r in leads] == ["error", "error", "error", "created"]
    assert [next(iter(r["errors"]["details"]["fields"])) for r in leads[:3]] == ["email", "employee_count", "title"]
    events = integrator_api.post(EVENTS, [{"email": "a@acme.io", "type": "email_open", "occurred_at": "yesterday"},
                                          {"email": "a@acme.io", "type": "email_open", "occurred_at": 5},
                                          {"email": "a@acme.io", "type": "email_open",
                                           "occurred_at": "2026-11-16T08:00:00Z", "properties": [1, 2]}],
                                 format="json").json()
    assert [(r["status"], r["errors"]["code"]) for r in events] == [("error", "validation_error")] * 3
    assert [next(iter(r["errors"]["details"]["fields"])) for r in events] == ["occurred_at", "occurred_at",
                                                                              "properties"]
    assert not MarketingEvent.objects.exists()


def test_unknown_fields_are_422_naming_them_per_item_in_a_list(integrator_api, clock):
    """Documented in docs/api-integrators.md (Errors): unknown fields are refused, never silently dropped."""
    err = error(integrator_api.post(LEADS, {"email": "a@acme.io", "favourite_colour": "blue"}, format="json"), 422)
    assert err["code"] == "validation_error" and "favourite_colour" in err["details"]["fields"]
    [lead] = integrator_api.post(BULK, [{"email": "a@acme.io", "favourite_colour": "blue"}], format="json").json()
    assert lead["status"] == "error" and "favourite_colour" in lead["errors"]["details"]["fields"]
    [event] = integrator_api.post(EVENTS, [{"email": "a@acme.io", "type": "email_open", "mood": "happy",
                                            "occurred_at": "2026-11-16T08:00:00Z"}], format="json").json()
    assert event["status"] == "error" and "mood" in event["errors"]["details"]["fields"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize("body", [{"email": "a@acme.io"}, [], "text", 5, None])
def test_a_list_endpoint_given_no_list_or_an_empty_one_is_422(integrator_api, body):
    response = integrator_api.generic("POST", BULK, json.dumps(body), content_type="application/json")
    assert error(response, 422)["code"] == "validation_error"


def test_too_many_items_is_422_for_both_lists(integrator_api, clock):
    events = [{"email": f"x{i}@acme.io", "type": "email_open", "occurred_at": "2026-11-16T08:00:00Z"}
              for i in range(1001)]
    assert error(integrator_api.post(EVENTS, events, format="json"), 422)["code"] == "validation_error"
    leads = [{"email": f"x{i}@acme.io"} for i in range(1001)]
    assert error(integrator_api.post(BULK, leads, format="json"), 422)["code"] == "validation_error"
    assert not Lead.objects.exists()


def test_the_second_of_two_items_with_one_key_is_reported_and_the_first_wins(integrator_api):
    results = integrator_api.post(BULK, [{"email": "a@acme.io", "external_id": "1", "first_name": "First"},
                                         {"email": "b@acme.io", "external_id": "1", "first_name": "Second"}],
                                  format="json").json()
    assert results[1]["errors"] == {"code": "duplicate_in_batch", "message": results[1]["errors"]["message"],
                                    "details": {"first_index": 0}}
    assert list(Lead.objects.values_list("email", "first_name")) == [("a@acme.io", "First")]
