"""The per-client rate limit: 429 with Retry-After, per token, configurable per client."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from leadops import services as org_services
from leadops.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_client_over_its_rate_gets_429_with_retry_after(api, org):
    token, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    ApiToken.objects.filter(pk=token.pk).update(rate_limit="3/min")
    client = api.with_token(raw)
    assert [client.get("/api/v1/leads/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/leads/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 61


def test_the_limit_is_per_client(api, org):
    token, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    ApiToken.objects.filter(pk=token.pk).update(rate_limit="1/min")
    _, other = org_services.token_issue(user=org.mops, scopes=["leads:read"])
    assert api.with_token(raw).get("/api/v1/leads/").status_code == 200
    assert api.with_token(raw).get("/api/v1/leads/").status_code == 429
    assert api.with_token(other).get("/api/v1/leads/").status_code == 200


@override_settings(LEADOPS_API_CLIENT_RATE="2/min")
def test_the_default_rate_applies_to_tokens_without_their_own_and_sessions_are_not_throttled(api, org):
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    statuses = [api.with_token(raw).get("/api/v1/leads/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    session = api.__class__().as_user(org.mops)
    assert {session.get("/api/v1/leads/").status_code for _ in range(3)} == {200}


def test_a_throttled_write_is_not_remembered_under_its_idempotency_key(api, org):
    token, raw = org_services.token_issue(user=org.integrator, scopes=["leads:write"])
    ApiToken.objects.filter(pk=token.pk).update(rate_limit="1/min")
    client = api.with_token(raw)
    client.post("/api/v1/leads/", {"email": "a@acme.io"}, format="json")
    throttled = client.post("/api/v1/leads/", {"email": "b@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="t")
    assert throttled.status_code == 429
    cache.clear()
    assert client.post("/api/v1/leads/", {"email": "b@acme.io"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="t").status_code == 201


def test_issue_token_sets_the_clients_rate_and_refuses_a_bad_one(org, capsys):
    from django.core.management import CommandError, call_command

    call_command("issue_token", "--user", "mapi", "--scope", "leads:read", "--rate", "20/s")
    assert ApiToken.objects.get(user=org.integrator).rate_limit == "20/s"
    with pytest.raises(CommandError):
        call_command("issue_token", "--user", "mapi", "--rate", "lots")
