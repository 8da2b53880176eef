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


# --- the count is shared by every process whenever Redis is configured -----------------------------------------


def test_with_redis_configured_the_default_cache_is_redis_and_without_it_process_memory():
    from leadops.settings.base import cache_config

    assert cache_config("redis://127.0.0.1:6379/3")["default"]["BACKEND"] == \
        "django.core.cache.backends.redis.RedisCache"
    assert cache_config("redis://127.0.0.1:6379/3")["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert cache_config(None)["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def _two_processes_count(make_cache, org):
    """Two gunicorn workers, each with its own cache client, taking requests of one token (rate 3/min)."""
    from types import SimpleNamespace

    from leadops.api.throttling import ApiClientRateThrottle

    token, _ = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    ApiToken.objects.filter(pk=token.pk).update(rate_limit="3/min")
    token.refresh_from_db()
    workers = [make_cache(), make_cache()]
    request = SimpleNamespace(auth=token)
    answers = []
    for n in range(6):
        throttle = ApiClientRateThrottle()
        throttle.cache = workers[n % 2]  # requests alternate between the two workers
        answers.append(throttle.allow_request(request, None))
    return answers


def test_the_rate_is_counted_across_processes_through_redis(org):
    import os
    import secrets

    from django.core.cache.backends.redis import RedisCache

    from leadops import stack

    url = os.environ.get("REDIS_URL") or stack.ensure_redis().url
    prefix = f"test-rate-{secrets.token_hex(4)}"
    made = []

    def make_cache():
        made.append(RedisCache(url, {"KEY_PREFIX": prefix}))  # a client of its own, as in another process
        return made[-1]

    try:
        assert _two_processes_count(make_cache, org) == [True, True, True, False, False, False]
    finally:
        client = made[0]._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_per_process_memory_would_let_each_worker_count_on_its_own(org):
    """Why the shared cache matters: with a memory cache per process the same token gets twice its rate."""
    import secrets

    from django.core.cache.backends.locmem import LocMemCache

    def make_cache():
        return LocMemCache(f"worker-{secrets.token_hex(4)}", {})

    assert _two_processes_count(make_cache, org) == [True, True, True, True, True, True]
