"""Webhook subscriptions and deliveries. The outbox itself is ``sla.models.OutboundEvent`` (one table for
every webhook event: the SLA engine writes sla.* and escalation.* rows, ``services.outbox_write`` the
lifecycle's lead.* rows, each in the transaction of its change)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from leadops import clock

EVENT_NAMES = ["lead.created", "lead.stage_changed", "lead.assigned", "lead.mql", "sla.at_risk", "sla.breached",
               "escalation.opened"]
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Subscription(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    events = ArrayField(models.CharField(max_length=40, choices=[(e, e) for e in EVENT_NAMES]))
    secret = models.CharField(max_length=100, default=new_secret)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event for one subscription. ``event_id`` is the stable id in the body (the same on every retry)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact JSON body sent (and signed).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                                condition=models.Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id} ({self.status})"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%H:%M:%S}: {self.status_code or self.error}"
