"""Webhooks: subscriptions, the outbox written with the change, signed deliveries, retries, the log, test events."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from leadops import services as org_services
from leadops.webhooks import services
from leadops.webhooks.models import Delivery, Subscription
from lifecycle.services import lead_create
from sla.models import OutboundEvent

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint on 127.0.0.1 that records what it receives and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"body": body, "headers": self.headers})  # case-insensitive
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def admin_api(api, org):
    _, raw = org_services.token_issue(user=org.integrator, scopes=["admin"])
    return api.with_token(raw)


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_a_lead_created_is_written_to_the_outbox_in_its_transaction_and_delivered_signed(admin_api, receiver,
                                                                                          clock):
    created = admin_api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["lead.created", "lead.mql"]},
                             format="json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert "secret" not in admin_api.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    lead = lead_create(email="ann@acme.io")
    row = OutboundEvent.objects.get(event="lead.created")  # written before any commit hook ran
    assert row.data["lead"] == lead.pk
    assert services.dispatch_once() == {"outbox": 1, "attempted": 1}
    [got] = receiver.received
    body = json.loads(got["body"])
    assert body == {"id": str(row.id), "event": "lead.created", "occurred_at": body["occurred_at"],
                    "data": row.data}
    assert verify(secret, got["body"], got["headers"]["X-LeadOps-Signature"])
    assert Delivery.objects.get().status == "delivered"


def test_a_rolled_back_change_leaves_no_outbox_row(org):
    services.subscription_create(owner=org.integrator, url="http://127.0.0.1:9/x", events=["lead.created"])
    with pytest.raises(RuntimeError):
        from django.db import transaction
        with transaction.atomic():
            lead_create(email="gone@acme.io")
            raise RuntimeError
    assert not OutboundEvent.objects.filter(event="lead.created").exists()


def test_nothing_is_written_for_events_nobody_subscribed_to(org):
    lead_create(email="ann@acme.io")
    assert not OutboundEvent.objects.filter(event__startswith="lead.").exists()


def test_failures_are_retried_with_backoff_keeping_the_event_id_then_marked_failed(org, receiver, clock):
    services.subscription_create(owner=org.integrator, url=receiver.url, events=["lead.created"])
    lead_create(email="ann@acme.io")
    receiver.status = 503
    services.dispatch_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at == dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert services.dispatch_once()["attempted"] == 0  # not due yet
    clock.shift(dt.timedelta(seconds=31))
    services.dispatch_once()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - dt.datetime.now(dt.UTC) == dt.timedelta(minutes=1)
    ids = {json.loads(r["body"])["id"] for r in receiver.received}
    assert ids == {str(delivery.event_id)}  # stable across retries
    for _ in range(40):
        clock.shift(dt.timedelta(hours=1))
        services.dispatch_once()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts < 40
    assert delivery.attempt_log.count() == delivery.attempts


def test_an_unreachable_url_is_logged_as_an_error_attempt(org, clock):
    services.subscription_create(owner=org.integrator, url="http://127.0.0.1:9/nothing", events=["lead.created"])
    lead_create(email="ann@acme.io")
    services.dispatch_once()
    attempt = Delivery.objects.get().attempt_log.get()
    assert attempt.status_code is None and attempt.error


def test_send_test_event_and_the_delivery_log(admin_api, receiver, django_capture_on_commit_callbacks):
    sub_id = admin_api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["sla.breached"]},
                            format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/webhooks/{sub_id}/test/")
    assert response.status_code == 202
    assert json.loads(receiver.received[0]["body"])["event"] == "webhook.test"
    log = admin_api.get(f"/api/v1/webhooks/{sub_id}/deliveries/").json()
    assert log[0]["status"] == "delivered"
    assert log[0]["attempt_log"][0]["status_code"] == 200


def test_sla_outbox_rows_are_delivered_too(org, receiver):
    services.subscription_create(owner=org.integrator, url=receiver.url, events=["sla.breached"])
    OutboundEvent.objects.create(event="sla.breached", key="clock:1", occurred_at=dt.datetime.now(dt.UTC),
                                 data={"clock": 1})
    OutboundEvent.objects.create(event="sla.at_risk", key="clock:1", occurred_at=dt.datetime.now(dt.UTC),
                                 data={"clock": 1})
    assert services.dispatch_once() == {"outbox": 2, "attempted": 1}
    assert json.loads(receiver.received[0]["body"])["event"] == "sla.breached"


def test_subscriptions_are_validated_scoped_and_private(api, org, admin_api):
    bad = admin_api.post("/api/v1/webhooks/", {"url": "ftp://x", "events": ["lead.nope"]}, format="json")
    assert bad.status_code == 422
    assert set(bad.json()["error"]["details"]["fields"]) == {"url", "events"}
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    response = api.__class__().with_token(raw).get("/api/v1/webhooks/")
    assert response.status_code == 403 and response.json()["error"]["details"] == {"scope": "admin"}
    other = services.subscription_create(owner=org.admin, url="http://127.0.0.1:9/", events=["lead.mql"])
    assert admin_api.get(f"/api/v1/webhooks/{other.pk}/").status_code == 404
    assert Subscription.objects.count() == 1


# --- which events anyone wants: cached per process, refreshed on a change, never on a timer ------------------


def test_the_subscribed_events_cost_no_query_however_much_time_passes(org, clock, django_assert_num_queries):
    import datetime as dt
    from unittest import mock

    services.subscription_create(owner=org.integrator, url="http://127.0.0.1:9/x", events=["lead.mql"])
    assert services.subscribed_events() == {"lead.mql"}
    with django_assert_num_queries(0), mock.patch("time.monotonic", return_value=10.0 ** 9):
        clock.shift(dt.timedelta(hours=1))
        assert services.subscribed_events() == {"lead.mql"}


def test_a_subscription_change_in_this_process_is_seen_at_once_admin_edits_too(org):
    sub = services.subscription_create(owner=org.integrator, url="http://127.0.0.1:9/x", events=["lead.mql"])
    assert services.subscribed_events() == {"lead.mql"}
    sub.events = ["lead.created"]
    sub.save()  # as the Django admin saves it: no service call
    assert services.subscribed_events() == {"lead.created"}
    sub.delete()
    assert services.subscribed_events() == frozenset()


def test_another_process_sees_a_new_subscription_by_the_version_in_the_shared_cache(
        org, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    assert services.subscribed_events() == frozenset()  # this process has read the list
    # another process (its own memory) creates a subscription: its row lands in the database ...
    Subscription.objects.bulk_create([Subscription(owner=org.integrator, url="http://127.0.0.1:9/x",
                                                   events=["lead.created"])])  # no signal: not this process's
    assert services.subscribed_events() == frozenset()  # ... which this process does not know yet
    version = cache.get(services.SUBSCRIBED_VERSION_KEY)
    # ... until its commit publishes a new version in the shared cache, as subscriptions_changed does
    with django_capture_on_commit_callbacks(execute=True):
        services.subscriptions_changed()
    assert cache.get(services.SUBSCRIBED_VERSION_KEY) != version
    services_state = services._subscribed
    services._subscribed = (version, frozenset())  # this process's view as it was before the change
    try:
        assert services.subscribed_events() == {"lead.created"}  # one cache read told it
    finally:
        services._subscribed = services_state
