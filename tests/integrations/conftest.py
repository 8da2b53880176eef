import pytest

from leadops import services as org_services


@pytest.fixture
def client_token(org):
    """An API client (role integrator) with a token that may write and read leads and events."""
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read", "leads:write", "events:write"])
    return raw


@pytest.fixture
def integrator_api(api, client_token):
    return api.with_token(client_token)


@pytest.fixture(autouse=True)
def fresh_webhook_subscriptions():
    """The outbox's cached view of subscriptions must not outlive a test's rolled-back subscriptions."""
    from leadops.webhooks import services

    services.forget_subscribed()
    yield
    services.forget_subscribed()
