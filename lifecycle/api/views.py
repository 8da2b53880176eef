"""/leads/: the list, one lead, its edits, its actions and its timeline (api.md).

Every action validates its body, calls one service with ``Actor.of(request.user)`` and answers the
lead's detail. A lead the caller may not see is 404 (it is looked up through
``selectors.leads_visible_to``); what the caller may do to a visible lead is the service's call
(403 ``not_allowed``, 409 ``illegal_transition`` with the allowed moves, 422 naming the field).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import roles
from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope, User
from lifecycle import selectors, services
from lifecycle.api.filters import LeadFilter
from lifecycle.api.serializers import (
    AcceptIn,
    AssignIn,
    ConvertIn,
    ConvertOut,
    DisqualifyIn,
    LeadCreateIn,
    LeadDetailOut,
    LeadOut,
    LeadUpdateIn,
    PromoteIn,
    QualifyIn,
    ReasonIn,
    TimelineOut,
)
from lifecycle.models import Lead, LeadExternalId
from lifecycle.services import Actor


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The shared error responses for the given status codes (api.md's one error shape)."""
    return {code: ERROR_RESPONSES[code] for code in codes}


READ_ERRORS = errors(401, 403, 404)
LIST_ERRORS = errors(401, 403, 422)
ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)


def may_write_leads(user: User) -> bool:
    """Every role but leadership may post lead writes; the services decide per move who may act."""
    return roles.role_of(user) not in roles.READ_ONLY


def with_client_ids(queryset: QuerySet[Lead], user: User) -> QuerySet[Lead]:
    """Prefetch the caller's own external id of each lead (one query per page)."""
    return queryset.prefetch_related(
        Prefetch("external_ids", queryset=LeadExternalId.objects.filter(client=user), to_attr="client_external_ids")
    )


# The related rows LeadOut and LeadDetailOut show (campaigns are answered as ids, from the lead's own columns).
# Each join costs every request its planning time too: at 1M leads a join of six tables took PostgreSQL
# 1.6 ms to plan against 0.5 ms for these four.
LEAD_OUT_RELATED = ("owner", "team", "account", "disposition")


def detail_queryset(queryset: QuerySet[Lead], user: User) -> QuerySet[Lead]:
    return with_client_ids(queryset.select_related(*LEAD_OUT_RELATED), user)


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Leads: list (filtered, cursor-paginated), create, read, patch contact and firmographic fields, and
    the lifecycle actions. PUT and DELETE are not offered (405): stage, owner and scores move only
    through the actions, and leads are never deleted through the API."""

    queryset = Lead.objects.none()  # the model, for the schema; get_queryset() answers per caller
    filterset_class = LeadFilter
    read_scope = Scope.LEADS_READ
    write_scope = Scope.LEADS_WRITE
    ordering_fields = {"score": "score", "created_at": "created_at", "became_mql_at": "became_mql_at"}
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "head", "options"]
    may_write = staticmethod(may_write_leads)

    def get_queryset(self) -> QuerySet[Lead]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller
            return Lead.objects.none()
        user = self.request.user
        if self.action == "list":
            return with_client_ids(selectors.leads_visible_to(user).select_related(*LEAD_OUT_RELATED), user)
        if self.action == "retrieve":
            return detail_queryset(selectors.leads_visible_to(user), user)
        return selectors.leads_visible_to(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return LeadOut if self.action == "list" else LeadDetailOut

    def filter_queryset(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        # the filters belong to the list; a detail route must not answer 422 for a stray query parameter
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _answer(self, lead_id: int, serializer: type[LeadDetailOut] = LeadDetailOut, status: int = 200,
                **context: Any) -> Response:
        """The lead as it stands after a write (the caller just acted on it, so it is shown even if a
        move took it out of the caller's view)."""
        lead = detail_queryset(Lead.objects.all(), self.request.user).get(pk=lead_id)
        return Response(serializer(lead, context={**self.get_serializer_context(), **context}).data, status=status)

    @extend_schema(responses={200: LeadOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: LeadDetailOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=LeadCreateIn, responses={201: LeadDetailOut, **errors(400, 401, 403, 409, 422)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a lead: a subscriber, or a lead at once when its company or title is known.
        A duplicate email (case-insensitive) is 409 ``duplicate``."""
        data = LeadCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(client=request.user, **data.validated_data)
        return self._answer(lead.pk, status=201)

    @extend_schema(request=LeadUpdateIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit contact and firmographic fields. Sending stage, owner, a score or any other field is 422
        naming it, and nothing changes."""
        lead = self.get_object()
        data = LeadUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.lead_update(lead_id=lead.pk, fields=dict(data.validated_data))
        return self._answer(lead.pk)

    # --- actions ----------------------------------------------------------------------------------

    def _act(self, request: Request, serializer_class: type[serializers.Serializer],
             perform: Callable[[int, Actor, dict[str, Any]], Any]) -> Response:
        lead = self.get_object()  # 404 before anything else when the caller may not see the lead
        data = serializer_class(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        perform(lead.pk, Actor.of(request.user), dict(data.validated_data))
        return self._answer(lead.pk)

    @extend_schema(request=PromoteIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str | None = None) -> Response:
        """Marketing ops' manual move forward: subscriber -> lead (company or title known), or -> MQL."""
        return self._act(request, PromoteIn, lambda lead_id, actor, v: services.lead_promote(
            lead_id=lead_id, actor=actor, **v))

    @extend_schema(request=AcceptIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """A sales manager accepts an MQL (-> SAL) for the routed owner or the rep given in ``owner``."""
        return self._act(request, AcceptIn, lambda lead_id, actor, v: services.lead_accept(
            lead_id=lead_id, actor=actor, **v))

    @extend_schema(request=ReasonIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """A sales manager rejects an MQL with a rejection reason; the reason decides nurture or disqualified."""
        return self._act(request, ReasonIn, lambda lead_id, actor, v: services.lead_reject(
            lead_id=lead_id, actor=actor, reason_code=v.pop("reason"), **v))

    @extend_schema(request=QualifyIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def qualify(self, request: Request, pk: str | None = None) -> Response:
        """SAL -> SQL with budget, authority, need and timeline recorded (owner rep or manager)."""

        def perform(lead_id: int, actor: Actor, v: dict[str, Any]) -> Any:
            bant = {name: v.pop(name) for name in ("budget", "authority", "need", "timeline")}
            return services.lead_qualify(lead_id=lead_id, actor=actor, bant=bant, **v)

        return self._act(request, QualifyIn, perform)

    @extend_schema(request=DisqualifyIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def disqualify(self, request: Request, pk: str | None = None) -> Response:
        """SAL/SQL -> disqualified with a reason; a ``requires_cadence`` reason needs the touch cadence met,
        or ``override`` by a sales manager."""
        return self._act(request, DisqualifyIn, lambda lead_id, actor, v: services.lead_disqualify(
            lead_id=lead_id, actor=actor, reason_code=v.pop("reason"), **v))

    @extend_schema(request=DisqualifyIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def recycle(self, request: Request, pk: str | None = None) -> Response:
        """SAL/SQL -> nurture with a recycle reason (back to marketing); ``override`` as for disqualify, for
        reasons that need the touch cadence (unresponsive)."""
        return self._act(request, DisqualifyIn, lambda lead_id, actor, v: services.lead_recycle(
            lead_id=lead_id, actor=actor, reason_code=v.pop("reason"), **v))

    @extend_schema(request=ConvertIn, responses={200: ConvertOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        """SQL -> opportunity; creates the opportunity (answered in ``opportunity``)."""
        lead = self.get_object()
        data = ConvertIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.lead_convert(lead_id=lead.pk, actor=Actor.of(request.user), **data.validated_data)
        return self._answer(lead.pk, ConvertOut, opportunity=result.opportunity)

    @extend_schema(request=AssignIn, responses={200: LeadDetailOut, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """A manager of the lead's team (or an admin) hands the lead to a rep of their teams."""
        return self._act(request, AssignIn, lambda lead_id, actor, v: services.lead_assign(
            lead_id=lead_id, actor=request.user, owner_id=v.pop("owner").pk, **v))

    @extend_schema(responses={200: TimelineOut, **READ_ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        """Everything that happened to the lead, oldest first, across cycles (not paginated)."""
        lead = self.get_object()
        # plain dicts: 500 items through a serializer cost more than the nine queries behind them
        items = [{"kind": i.kind, "occurred_at": i.occurred_at, "cycle": i.cycle, "summary": i.summary,
                  "data": i.data} for i in selectors.lead_timeline(lead)]
        return Response({"results": items})
