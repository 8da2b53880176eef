"""Limits (413 before parsing, 422 over 1,000 items) and Idempotency-Key on every write."""

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.test import Client

from leadops.api import idempotency
from leadops.models import IdempotencyKey
from lifecycle.models import Lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


def test_a_body_over_1_mb_is_413_in_the_error_shape_before_it_is_parsed(integrator_api):
    body = b"{" + b" " * (1024 * 1024) + b"}"  # would be valid JSON: refused on its length alone
    response = integrator_api.generic("POST", LEADS, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Lead.objects.exists()


def test_malformed_json_is_400(integrator_api):
    response = integrator_api.generic("POST", LEADS, b'{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_more_than_1000_items_is_422(integrator_api):
    items = [{"email": f"x{i}@acme.io"} for i in range(1001)]
    for url in ("/api/v1/leads/bulk/", "/api/v1/events/"):
        response = integrator_api.post(url, items, format="json")
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "validation_error"
    assert not Lead.objects.exists()


def test_a_repeat_with_the_same_key_and_body_answers_the_first_answer_and_changes_nothing(integrator_api):
    body = {"email": "ann@acme.io", "company_name": "Acme"}
    first = integrator_api.post(LEADS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = integrator_api.post(LEADS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    # without the key, the same body is a real second write (and a duplicate)
    assert integrator_api.post(LEADS, body, format="json").status_code == 409


def test_the_same_key_with_another_body_is_409(integrator_api):
    integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = integrator_api.post(LEADS, {"email": "bob@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Lead.objects.filter(email="bob@acme.io").exists()


def test_keys_are_per_caller(api, org, integrator_api):
    integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    other = api.__class__().as_user(org.mops)
    response = other.post(LEADS, {"email": "cy@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201


def test_a_patch_is_idempotent_too_and_an_error_is_replayed_not_rerun(integrator_api):
    lead_id = integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json").json()["id"]
    url = f"{LEADS}{lead_id}/"
    first = integrator_api.patch(url, {"title": "CTO"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert first.status_code == 200
    Lead.objects.filter(pk=lead_id).update(title="Changed since")
    again = integrator_api.patch(url, {"title": "CTO"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert again.json() == first.json()
    assert Lead.objects.get(pk=lead_id).title == "Changed since"  # nothing ran again
    bad = integrator_api.patch(url, {"stage": "mql"}, format="json", HTTP_IDEMPOTENCY_KEY="p-2")
    assert bad.status_code == 422
    assert integrator_api.patch(url, {"stage": "mql"}, format="json",
                                HTTP_IDEMPOTENCY_KEY="p-2").json() == bad.json()


def test_a_key_expires_after_24_hours_and_is_purged(integrator_api, clock):
    integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    clock.shift(dt.timedelta(hours=24, minutes=1))
    response = integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 409  # ran again: a duplicate email now
    assert response.json()["error"]["code"] == "duplicate"
    clock.shift(dt.timedelta(hours=25))
    assert idempotency.keys_purge() == 1
    assert not IdempotencyKey.objects.exists()


def test_a_repeat_while_the_first_is_still_running_is_409_and_never_a_second_write(integrator_api, org):
    # the first request has claimed the key but not answered yet
    body = json.dumps({"email": "ann@acme.io"}).encode()
    row, answer = idempotency.claim(user=org.integrator, key="k-4", method="POST", path=LEADS,
                                    digest=idempotency.body_hash(body))
    assert row is not None and answer is None
    response = integrator_api.generic("POST", LEADS, body, content_type="application/json",
                                      HTTP_IDEMPOTENCY_KEY="k-4")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert not Lead.objects.exists()


def test_an_oversized_key_is_400(integrator_api):
    response = integrator_api.post(LEADS, {"email": "ann@acme.io"}, format="json",
                                   HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_on_real_connections_write_once(org, client_token):
    body = json.dumps({"email": "race@acme.io", "company_name": "Race"})
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        try:
            barrier.wait()
            response = Client().post(LEADS, body, content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Token {client_token}", HTTP_IDEMPOTENCY_KEY="race")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Lead.objects.filter(email="race@acme.io").count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
