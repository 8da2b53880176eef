"""Webhook writers: the outbox write (in the change's transaction), the fan-out into deliveries, and the
signed, retried delivery attempts. No network I/O inside a transaction: a delivery is claimed (leased) in
one short transaction, posted outside, and its outcome recorded in another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from leadops import clock
from leadops.events import DomainEvent, batch_form
from leadops.models import User
from leadops.webhooks.models import TEST_EVENT, Attempt, Delivery, DeliveryStatus, Subscription
from sla.models import OutboundEvent

LIFECYCLE_EVENTS = ("lead.created", "lead.stage_changed", "lead.assigned", "lead.mql")
RETRY_FOR = dt.timedelta(hours=24)
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=2)  # a claimed delivery is not claimed again for this long (worker died?)
TIMEOUT_S = 10.0
SUBSCRIBED_VERSION_KEY = "webhooks:subscriptions:version"

# This process's view of which event names some active subscription wants: (version it was read at, names).
_subscribed: tuple[str | None, frozenset[str]] | None = None


def _subscriptions_version() -> str | None:
    """The version of the subscriptions, kept in the default cache (Redis whenever ``REDIS_URL`` is set, shared
    by every process): one cache GET, no database query, no clock."""
    return cache.get(SUBSCRIBED_VERSION_KEY)


def subscribed_events() -> frozenset[str]:
    """Event names some active subscription wants. Read from the database once, then again only when the
    subscriptions changed: in this process at once (``forget_subscribed``), in another process as soon as it
    sees the new version in the shared cache (its next published event). Never on a timer: what a request
    costs does not depend on when it runs."""
    global _subscribed
    version = _subscriptions_version()
    if _subscribed is None or _subscribed[0] != version:
        names: set[str] = set()
        for wanted in Subscription.objects.filter(active=True).values_list("events", flat=True):
            names.update(wanted)
        _subscribed = (version, frozenset(names))
    return _subscribed[1]


def forget_subscribed() -> None:
    """Drop this process's view (it is read again on the next event)."""
    global _subscribed
    _subscribed = None


def subscriptions_changed(**_: Any) -> None:
    """A subscription was written (``post_save`` / ``post_delete``, so admin edits count too): this process
    forgets its view now; after commit a new version in the shared cache tells every other process."""
    forget_subscribed()
    transaction.on_commit(lambda: cache.set(SUBSCRIBED_VERSION_KEY, uuid.uuid4().hex, None))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _outbox_row(event: DomainEvent, now: dt.datetime) -> OutboundEvent:
    return OutboundEvent(event=event.name, key=uuid.uuid4().hex, occurred_at=event.occurred_at,
                         data=_jsonable({"lead": event.lead_id, **event.data}), created_at=now)


def outbox_write_many(batch: list[DomainEvent]) -> None:
    """The batch form of ``outbox_write``: one INSERT for a set-based write's events of one name."""
    wanted = subscribed_events()
    rows = [_outbox_row(event, clock.now()) for event in batch if event.name in wanted]
    if rows:
        OutboundEvent.objects.bulk_create(rows)


@batch_form(outbox_write_many)
def outbox_write(event: DomainEvent) -> None:
    """In the publisher's transaction: one outbox row per lifecycle event somebody subscribed to."""
    if event.name not in subscribed_events():
        return
    _outbox_row(event, clock.now()).save(force_insert=True)


def body_of(event_id: uuid.UUID, event: str, occurred_at: dt.datetime, data: dict[str, Any]) -> str:
    return json.dumps({"id": str(event_id), "event": event, "occurred_at": occurred_at.isoformat(), "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"))


def sign(secret: str, body: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def subscription_create(*, owner: User, url: str, events: list[str], secret: str | None = None,
                        active: bool = True) -> Subscription:
    sub = Subscription.objects.create(owner=owner, url=url, events=list(dict.fromkeys(events)), active=active,
                                      **({"secret": secret} if secret else {}))
    return sub


def subscription_update(*, subscription: Subscription, **fields: Any) -> Subscription:
    for name, value in fields.items():
        setattr(subscription, name, list(dict.fromkeys(value)) if name == "events" else value)
    subscription.save()
    return subscription


def outbox_fanout(*, limit: int = 500) -> int:
    """Turn undispatched outbox rows into one delivery per matching subscription; returns rows handled.
    Concurrent dispatchers take disjoint rows (SKIP LOCKED)."""
    now = clock.now()
    with transaction.atomic():
        rows = list(OutboundEvent.objects.select_for_update(skip_locked=True)
                    .filter(dispatched_at__isnull=True).order_by("created_at")[:limit])
        if not rows:
            return 0
        subs = list(Subscription.objects.filter(active=True))
        deliveries = [
            Delivery(subscription=sub, event_id=row.id, event=row.event, next_attempt_at=now, created_at=now,
                     body=body_of(row.id, row.event, row.occurred_at, row.data))
            for row in rows for sub in subs if row.event in sub.events
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        OutboundEvent.objects.filter(pk__in=[r.pk for r in rows]).update(dispatched_at=now)
    return len(rows)


def deliveries_claim(*, limit: int = 50) -> list[int]:
    """Lease due deliveries (SKIP LOCKED) for ``LEASE``; returns their ids."""
    now = clock.now()
    with transaction.atomic():
        ids = list(Delivery.objects.select_for_update(skip_locked=True)
                   .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                   .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (http(s) only)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:300]


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """POST one delivery (signed), log the attempt, then mark it delivered, retry later, or failed."""
    delivery = Delivery.objects.select_related("subscription").filter(
        pk=delivery_id, status=DeliveryStatus.PENDING).first()
    if delivery is None:
        return None
    sub = delivery.subscription
    headers = {"Content-Type": "application/json", "User-Agent": "LeadOps-Webhooks/1",
               "X-LeadOps-Event": delivery.event, "X-LeadOps-Delivery": str(delivery.event_id),
               "X-LeadOps-Signature": sign(sub.secret, delivery.body)}
    started = time.monotonic()
    status_code, error = _post(sub.url, delivery.body, headers)
    now = clock.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        Attempt.objects.create(delivery=delivery, at=now, status_code=status_code, error=error,
                               duration_ms=int((time.monotonic() - started) * 1000))
        delivery.attempts += 1
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        else:
            retry_at = now + backoff(delivery.attempts)
            if retry_at > delivery.created_at + RETRY_FOR:
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = retry_at
        delivery.save()
    return delivery


def dispatch_once() -> dict[str, int]:
    """One dispatcher pass: fan out the outbox, then attempt every due delivery."""
    fanned = outbox_fanout()
    attempted = 0
    for delivery_id in deliveries_claim():
        delivery_attempt(delivery_id=delivery_id)
        attempted += 1
    return {"outbox": fanned, "attempted": attempted}


def test_event_send(*, subscription: Subscription) -> Delivery:
    """A ``webhook.test`` delivery to this subscription only (attempted by the dispatcher at once)."""
    now = clock.now()
    event_id = uuid.uuid4()
    return Delivery.objects.create(
        subscription=subscription, event_id=event_id, event=TEST_EVENT, next_attempt_at=now + LEASE, created_at=now,
        body=body_of(event_id, TEST_EVENT, now, {"subscription": subscription.pk, "message": "Test event."}))
