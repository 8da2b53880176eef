"""/webhooks/: subscriptions, their delivery log and a "send test event" action (scope ``admin``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import roles
from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope, User
from leadops.roles import Role
from leadops.webhooks import services, tasks
from leadops.webhooks.models import EVENT_NAMES, Attempt, Delivery, Subscription

DELIVERY_LOG_SIZE = 200


def errors(*codes: int) -> dict[int, Any]:
    return {code: ERROR_RESPONSES[code] for code in codes}


class SubscriptionOut(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "active", "created_at"]
        read_only_fields = fields


class SubscriptionCreatedOut(SubscriptionOut):
    secret = serializers.CharField(read_only=True, help_text="Shown once: verify X-LeadOps-Signature with it.")

    class Meta(SubscriptionOut.Meta):
        fields = [*SubscriptionOut.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES), min_length=1)
    secret = serializers.CharField(min_length=16, max_length=100, required=False, write_only=True,
                                   help_text="Your signing secret; default: one is generated and answered once.")
    active = serializers.BooleanField(required=False, default=True)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http or https URL.")
        return value


class SubscriptionUpdateIn(SubscriptionIn):
    pass


class AttemptOut(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["at", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class DeliveryOut(serializers.ModelSerializer):
    attempt_log = AttemptOut(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "event_id", "event", "status", "attempts", "last_status_code", "next_attempt_at",
                  "created_at", "delivered_at", "attempt_log"]
        read_only_fields = fields


class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Webhook subscriptions of the caller (admins see all). Deliveries are signed with HMAC-SHA256 of the body
    in ``X-LeadOps-Signature`` (``sha256=<hex>``), retried with exponential backoff for 24 hours, then failed."""

    queryset = Subscription.objects.none()
    serializer_class = SubscriptionOut
    read_scope = Scope.ADMIN
    write_scope = Scope.ADMIN
    ordering_fields = {"created_at": "created_at"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.role_of(user) in {Role.ADMIN, Role.INTEGRATOR}

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        user = self.request.user
        assert isinstance(user, User)  # the permission class refused anonymous callers
        if roles.role_of(user) == Role.ADMIN:
            return Subscription.objects.all()
        if roles.role_of(user) == Role.INTEGRATOR:
            return Subscription.objects.filter(owner=user)
        return Subscription.objects.none()

    @extend_schema(responses={200: SubscriptionOut(many=True), **errors(401, 403, 422)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: SubscriptionOut, **errors(401, 403, 404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=SubscriptionIn, responses={201: SubscriptionCreatedOut, **errors(400, 401, 403, 422)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Subscribe ``url`` to ``events``; the answer holds the signing secret, shown this once."""
        data = SubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        sub = services.subscription_create(owner=request.user, **data.validated_data)
        return Response(SubscriptionCreatedOut(sub).data, status=201)

    @extend_schema(request=SubscriptionUpdateIn, responses={200: SubscriptionOut, **errors(400, 401, 403, 404, 422)})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sub = self.get_object()
        data = SubscriptionUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k in request.data}
        return Response(SubscriptionOut(services.subscription_update(subscription=sub, **fields)).data)

    @extend_schema(responses={200: DeliveryOut(many=True), **errors(401, 403, 404)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The latest 200 deliveries to this subscription, newest first, each with its attempts."""
        sub = self.get_object()
        rows = (Delivery.objects.filter(subscription=sub)
                .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("at", "id")))
                .order_by("-created_at", "-id")[:DELIVERY_LOG_SIZE])
        return Response(DeliveryOut(rows, many=True).data)

    @extend_schema(request=None, responses={202: DeliveryOut, **errors(401, 403, 404)})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a ``webhook.test`` event to this subscription now (answered before it is delivered; see
        ``deliveries``)."""
        sub = self.get_object()
        with transaction.atomic():
            delivery = services.test_event_send(subscription=sub)
            transaction.on_commit(lambda: tasks.deliver.delay(delivery.pk))
        return Response(DeliveryOut(delivery).data, status=202)
