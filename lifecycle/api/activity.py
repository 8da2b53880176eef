"""/touches/, /events/ and /opportunities/: the activity on leads (api.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import roles
from leadops.errors import Forbidden, NotFound
from leadops.models import Scope, User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle import selectors, services
from lifecycle.api.bulk import QuickCheck
from lifecycle.api.filters import OpportunityFilter, TouchFilter
from lifecycle.api.serializers import (
    ConvertIn,
    EventIn,
    EventOut,
    EventResultOut,
    OpportunityOut,
    OpportunityUpdateIn,
    TouchIn,
    TouchOut,
)
from lifecycle.api.views import ACTION_ERRORS, LIST_ERRORS, READ_ERRORS, errors
from lifecycle.models import MarketingEvent, Opportunity, Touch
from lifecycle.services import Actor
from lifecycle.services.event_intake import EventIntake, event_ingest, events_ingest_many

MAX_EVENTS_PER_REQUEST = 1000
TOUCH_WRITERS = {Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN, Role.INTEGRATOR}
EVENT_WRITERS = {Role.MARKETING_OPS, Role.ADMIN, Role.INTEGRATOR}
DEAL_WRITERS = {Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN, Role.INTEGRATOR}
TOUCH_REPS = {Role.SALES_REP, Role.SALES_MANAGER}


class TouchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sales touches on the leads the caller may see. Posting needs the scope ``touches:write`` and a
    sales role, an admin or an API client; ``rep`` is the caller, or given by a manager (a rep of their
    teams), an admin or an API client (which must give it)."""

    queryset = Touch.objects.none()
    serializer_class = TouchOut
    filterset_class = TouchFilter
    read_scope = Scope.LEADS_READ
    write_scope = Scope.TOUCHES_WRITE
    ordering_fields = {"occurred_at": "occurred_at"}
    default_ordering = "-occurred_at"
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.role_of(user) in TOUCH_WRITERS

    def get_queryset(self) -> QuerySet[Touch]:
        return selectors.touches_visible_to(self.request.user)

    @extend_schema(responses={200: TouchOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: TouchOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=TouchIn, responses={201: TouchOut, **errors(400, 401, 403, 422)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TouchIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        rep = self._rep(request.user, values.pop("rep", None))
        touch = services.touch_log(lead_id=values.pop("lead").pk, rep=rep, **values)
        return Response(TouchOut(touch).data, status=201)

    @staticmethod
    def _rep(caller: User, given: User | None) -> User:
        role = roles.role_of(caller)
        if given is None or given.pk == caller.pk:
            if role == Role.INTEGRATOR:
                raise serializers.ValidationError({"rep": "An API client must say which rep made the touch."})
            return caller
        if role == Role.SALES_REP:
            raise Forbidden("A rep logs only their own touches.", code="not_allowed",
                            details={"fields": {"rep": "Only managers, admins and API clients may give it."}})
        if given.role not in TOUCH_REPS:
            raise serializers.ValidationError({"rep": "Not a sales rep or manager."})
        if role == Role.SALES_MANAGER and given.team_id not in managed_team_ids(caller):
            raise serializers.ValidationError({"rep": "Not a rep of your teams."})
        return given


EventBody = PolymorphicProxySerializer(
    component_name="EventOrEvents",
    serializers=[EventIn, EventIn(many=True)],
    resource_type_field_name=None,
    many=False,
)
EventAnswer = PolymorphicProxySerializer(
    component_name="EventOrEventResults",
    serializers=[EventOut, EventResultOut(many=True)],
    resource_type_field_name=None,
    many=False,
)


class EventViewSet(viewsets.GenericViewSet):
    """Marketing events in (scope ``events:write``; marketing ops, admins and API clients)."""

    queryset = MarketingEvent.objects.none()
    serializer_class = EventOut
    write_scope = Scope.EVENTS_WRITE
    http_method_names = ["post", "options"]

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.role_of(user) in EVENT_WRITERS

    @extend_schema(
        request=EventBody,
        responses={
            201: EventOut,
            200: OpenApiResponse(EventAnswer, description="A repeat of a stored event (same source and "
                                 "external_id) answers that event; a list answers one result per item, in order."),
            **errors(400, 401, 403, 422),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record one event (``{"lead": id}`` or ``{"email"}``, ``type``, ``occurred_at``, ...), or a list of up
        to 1,000. An unknown email creates the lead. Idempotent per ``source`` + ``external_id``: a repeat
        answers 200 with the stored event, a new event 201. A list answers 200 with ``{"index", "status":
        created/existing/error, "id", "lead", "errors"}`` per item, in order; good items land even when
        others fail (one transaction per item)."""
        if isinstance(request.data, list):
            items = request.data
            if not items or len(items) > MAX_EVENTS_PER_REQUEST:
                raise serializers.ValidationError(
                    {"non_field_errors": [f"Send from 1 to {MAX_EVENTS_PER_REQUEST} events in a list."]})
            return Response(self._many(items))
        intake = self._ingest(request.data)
        return Response(EventOut(intake.event).data, status=201 if intake.created else 200)

    def _ingest(self, body: Any) -> EventIntake:
        data = EventIn(data=body, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lead = values.pop("lead", None)
        return event_ingest(lead_id=lead.pk if lead is not None else None, client=self.request.user, **values)

    def _many(self, bodies: list[Any]) -> list[dict[str, Any]]:
        """A list: every item validated (the quick path, else the serializer, which words the error), then the
        valid ones recorded together (``events_ingest_many``); answers in the order of the items."""
        context = self.get_serializer_context()
        quick = QuickCheck(EventIn(context=context))
        found = [quick.values(body) for body in bodies]
        quick.resolve(found)
        answers: dict[int, dict[str, Any]] = {}
        valid: list[tuple[int, dict[str, Any]]] = []
        for index, (values, body) in enumerate(zip(found, bodies, strict=True)):
            if values is None:
                data = EventIn(data=body, context=context)
                if not data.is_valid():
                    answers[index] = {"index": index, "status": "error", "id": None, "lead": None,
                                      "errors": {"code": "validation_error", "message": "Invalid event.",
                                                 "details": {"fields": data.errors}}}
                    continue
                values = dict(data.validated_data)
            valid.append((index, values))
        for answer in events_ingest_many(client=self.request.user, items=valid):
            answers[answer["index"]] = answer
        return [answers[index] for index in range(len(bodies))]


class OpportunityCreateIn(ConvertIn):
    lead = serializers.IntegerField(min_value=1, help_text="The SQL lead the deal is for; it moves to opportunity.")


class OpportunityViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Opportunities of the leads the caller may see. POST creates one by converting its SQL lead: the same
    move as ``POST /leads/{id}/convert/`` (the transition table decides who may), for a CRM sync that thinks
    in deals. PATCH edits a deal; closing it won makes the lead a customer, closing it lost (with
    ``lost_reason``) sends the lead to nurture or disqualified per the reason. Closed deals are final (409
    ``closed``)."""

    queryset = Opportunity.objects.none()
    serializer_class = OpportunityOut
    filterset_class = OpportunityFilter
    read_scope = Scope.LEADS_READ
    write_scope = Scope.LEADS_WRITE
    ordering_fields = {"close_date": "close_date", "created_at": "created_at", "amount": "amount"}
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "head", "options"]

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.role_of(user) in DEAL_WRITERS

    @extend_schema(request=OpportunityCreateIn, responses={201: OpportunityOut, 200: OpportunityOut, **ACTION_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OpportunityCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lead_id = values.pop("lead")
        if not selectors.leads_visible_to(request.user).filter(pk=lead_id).exists():
            raise NotFound("No such lead.", details={"fields": {"lead": ["No lead with this id."]}})
        result = services.lead_convert(lead_id=lead_id, actor=Actor.of(request.user), **values)
        if result.opportunity is not None:
            return Response(OpportunityOut(result.opportunity).data, status=201)
        # a repeat (the lead already is an opportunity) is the convert action's quiet success: 200, its deal
        deal = self.get_queryset().filter(lead_id=lead_id).order_by("-created_at").first()
        return Response(OpportunityOut(deal).data, status=200)

    def get_queryset(self) -> QuerySet[Opportunity]:
        return selectors.opportunities_visible_to(self.request.user)

    @extend_schema(responses={200: OpportunityOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: OpportunityOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=OpportunityUpdateIn, responses={200: OpportunityOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        opportunity = self.get_object()
        data = OpportunityUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.opportunity_update(opportunity_id=opportunity.pk, **data.validated_data)
        return Response(OpportunityOut(updated).data)
