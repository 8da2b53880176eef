"""SLA endpoints (api.md): ``/sla/clocks/``, ``/sla/escalations/``, ``/calendars/``, ``/sla-policies/``, plus
``/notifications/`` (the bell), ``/sla/capacity-notices/`` and ``/sla/obligations/``.

Clocks are visible with their leads (a clock of a lead the caller may not see is 404). Calendars and
policies are configuration: everyone signed in reads them, admins write (scope ``admin``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as df
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import clock, roles
from leadops.api.filters import IntegerFilter, StrictBooleanFilter
from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope, Team, User
from leadops.roles import Role
from sla import selectors
from sla.api import serializers as s
from sla.calendar_math import add_business_time, explain_due
from sla.models import (
    BusinessCalendar,
    CapacityNotice,
    ClockStatus,
    Escalation,
    Holiday,
    Notification,
    PolicyKind,
    SlaClock,
    SlaPolicy,
)
from sla.selectors.metrics import marketing_slas, sales_obligations
from sla.services import escalations as escalation_services
from sla.services import notify, policies


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}


READ_ERRORS = errors(401, 403, 404)
LIST_ERRORS = errors(401, 403, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 422)



# --- clocks --------------------------------------------------------------------------------------------

CLOCK_STATUS_CHOICES = [*ClockStatus.choices, ("at_risk", "At risk (running, past its warning time)")]


class ClockFilter(df.FilterSet):
    lead = IntegerFilter(field_name="lead_id", help_text="Lead id.")
    policy = df.ChoiceFilter(field_name="kind", choices=PolicyKind.choices, help_text="Policy kind.")
    status = df.ChoiceFilter(choices=CLOCK_STATUS_CHOICES, method="filter_status",
                             help_text="running, met, breached, cancelled, or at_risk (running and warned).")
    owner = IntegerFilter(field_name="accountable_user_id", help_text="The accountable user's id.")
    team = IntegerFilter(field_name="team_id", help_text="The accountable team's id.")
    due_before = df.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt", help_text="due_at < this.")
    due_after = df.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte", help_text="due_at >= this.")

    class Meta:
        model = SlaClock
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[SlaClock], name: str, value: str) -> QuerySet[SlaClock]:
        if value == "at_risk":
            return queryset.filter(status=ClockStatus.RUNNING, warned_at__isnull=False)
        return queryset.filter(status=value)


@extend_schema(responses={200: s.ClockOut, **READ_ERRORS})
class ClockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA clocks of the leads the caller may see, each with the explanation of its due time."""

    queryset = SlaClock.objects.none()
    serializer_class = s.ClockOut
    filterset_class = ClockFilter
    read_scope = Scope.LEADS_READ
    ordering_fields = {"due_at": "due_at", "started_at": "started_at"}
    default_ordering = "due_at"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[SlaClock]:
        if getattr(self, "swagger_fake_view", False):
            return SlaClock.objects.none()
        return selectors.clocks_visible_to(self.request.user)

    @extend_schema(responses={200: s.ClockOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


# --- escalations ---------------------------------------------------------------------------------------


class EscalationFilter(df.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    level = df.ChoiceFilter(choices=[(1, "1"), (2, "2"), (3, "3")], help_text="1, 2 or 3.")
    open = StrictBooleanFilter(field_name="closed_at", lookup_expr="isnull", help_text="true: still open.")

    class Meta:
        model = Escalation
        fields: list[str] = []


@extend_schema(responses={200: s.EscalationOut, **READ_ERRORS})
class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The escalation ladder's records, with their evidence."""

    queryset = Escalation.objects.none()
    serializer_class = s.EscalationOut
    filterset_class = EscalationFilter
    read_scope = Scope.REPORTS_READ
    ordering_fields = {"opened_at": "opened_at", "level": "level"}
    default_ordering = "-opened_at"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Escalation]:
        if getattr(self, "swagger_fake_view", False):
            return Escalation.objects.none()
        return selectors.escalations_visible_to(self.request.user)

    @extend_schema(responses={200: s.EscalationOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


# --- calendars -----------------------------------------------------------------------------------------


class CalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Business calendars: time zone, weekly working intervals, holidays. Admins write."""

    queryset = BusinessCalendar.objects.none()
    serializer_class = s.CalendarOut
    read_scope = None
    ordering_fields = {"name": "name"}
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        holidays = Prefetch("holidays", queryset=Holiday.objects.order_by("date"))
        return BusinessCalendar.objects.prefetch_related(holidays)

    @extend_schema(responses={200: s.CalendarOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.CalendarOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _out(self, calendar: BusinessCalendar) -> dict[str, Any]:
        return s.CalendarOut(self.get_queryset().get(pk=calendar.pk)).data

    @extend_schema(request=s.CalendarIn, responses={201: s.CalendarOut, **WRITE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.CalendarIn(data=request.data)
        data.is_valid(raise_exception=True)
        calendar = policies.calendar_create(**data.validated_data)
        return Response(self._out(calendar), status=201)

    @extend_schema(request=s.CalendarIn(partial=True), responses={200: s.CalendarOut, **WRITE_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        calendar = self.get_object()
        data = s.CalendarIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(self._out(policies.calendar_update(calendar=calendar, **data.validated_data)))

    @extend_schema(request=s.IcsImportIn, responses={200: s.IcsImportOut, **WRITE_ERRORS},
                   summary="Import holidays from an iCalendar text")
    @action(detail=True, methods=["post"], url_path="import-ics")
    def import_ics(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        data = s.IcsImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = policies.calendar_import_ics(calendar=calendar, text=data.validated_data["ics"],
                                              replace=data.validated_data["replace"])
        return Response({**result, "calendar": self._out(calendar)})

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
                               OpenApiParameter("duration", OpenApiTypes.STR, required=True,
                                                description="ISO 8601 duration, e.g. PT24H.")],
                   responses={200: s.ExplainOut, **errors(401, 403, 404, 422)},
                   summary="When a duration started at a moment is due on this calendar, and why")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def explain(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        data = s.ExplainIn(data={"start": request.query_params.get("start"),
                                 "duration": request.query_params.get("duration")})
        data.is_valid(raise_exception=True)
        spec = calendar.spec()
        start = data.validated_data["start"]
        due = add_business_time(start, data.validated_data["duration"], spec)
        return Response({"start": start, "due": due, "explanation": explain_due(start, due, spec)})


# --- policies ------------------------------------------------------------------------------------------


class PolicyFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=PolicyKind.choices)
    active = StrictBooleanFilter()

    class Meta:
        model = SlaPolicy
        fields: list[str] = []


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA policies, one row per version. Creating or editing writes a new version (the edited one stays as
    it was, and running clocks keep theirs); ``active`` alone switches a version on or off."""

    queryset = SlaPolicy.objects.none()
    serializer_class = s.PolicyOut
    filterset_class = PolicyFilter
    read_scope = None
    ordering_fields = {"version": "version", "created_at": "created_at"}
    default_ordering = "id"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return SlaPolicy.objects.all()

    @extend_schema(responses={200: s.PolicyOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.PolicyOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=s.PolicyIn, responses={201: s.PolicyOut, **WRITE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.PolicyIn(data=request.data)
        data.is_valid(raise_exception=True)
        policy = policies.policy_create(actor=request.user, **data.validated_data)
        return Response(s.PolicyOut(policy).data, status=201)

    @extend_schema(request=s.PolicyPatchIn, responses={200: s.PolicyOut, 201: s.PolicyOut, **WRITE_ERRORS},
                   description="200 with the same version when only `active` changed; 201 with the new version "
                               "when a setting changed.")
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self.get_object()
        data = s.PolicyPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        updated = policies.policy_update(policy=policy, actor=request.user, **data.validated_data)
        return Response(s.PolicyOut(updated).data, status=201 if updated.pk != policy.pk else 200)

    @extend_schema(request=None, responses={200: s.RecalculateOut, **WRITE_ERRORS},
                   summary="Move the running clocks of this policy's kind onto the active version")
    @action(detail=True, methods=["post"])
    def recalculate(self, request: Request, pk: str | None = None) -> Response:
        policy = self.get_object()
        return Response({"recalculated": policies.clocks_recalculate(kind=policy.kind)})


# --- notifications -------------------------------------------------------------------------------------


class SignedIn(permissions.BasePermission):
    """Anyone signed in (leadership too: reading one's own notifications is not a write to the domain)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return True


class NotificationFilter(df.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="true: only unread.")

    class Meta:
        model = Notification
        fields: list[str] = []


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications (the bell), newest first."""

    queryset = Notification.objects.none()
    serializer_class = s.NotificationOut
    filterset_class = NotificationFilter
    permission_classes = [SignedIn]
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "-id"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_for(self.request.user)

    @extend_schema(responses={200: s.NotificationOut(many=True), **errors(401, 422)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.UnreadOut, **errors(401)}, summary="The bell's unread count")
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None, filter_backends=[])
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(request.user)})

    @extend_schema(request=s.MarkReadIn, responses={200: s.UnreadOut, **errors(400, 401, 422)},
                   summary="Mark notifications read (the given ids, or all)")
    @action(detail=False, methods=["post"], url_path="mark-read", pagination_class=None, filter_backends=[])
    def mark_read(self, request: Request) -> Response:
        data = s.MarkReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        updated = notify.notification_mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"updated": updated, "unread": selectors.unread_count(request.user)})


# --- capacity notices and obligations ------------------------------------------------------------------------


def may_file_notices(user: User) -> bool:
    return roles.role_of(user) in (Role.SALES_MANAGER, Role.ADMIN)


class CapacityNoticeFilter(df.FilterSet):
    team = IntegerFilter(field_name="team_id")
    short_notice = StrictBooleanFilter()

    class Meta:
        model = CapacityNotice
        fields: list[str] = []


class CapacityNoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Capacity changes announced by sales managers; less than 30 days' notice is flagged (``short_notice``)."""

    queryset = CapacityNotice.objects.none()
    serializer_class = s.CapacityNoticeOut
    filterset_class = CapacityNoticeFilter
    read_scope = Scope.REPORTS_READ
    write_scope = Scope.LEADS_WRITE
    may_write = staticmethod(may_file_notices)
    ordering_fields = {"filed_at": "filed_at"}
    default_ordering = "-filed_at"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[CapacityNotice]:
        return CapacityNotice.objects.all()

    @extend_schema(responses={200: s.CapacityNoticeOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.CapacityNoticeIn, responses={201: s.CapacityNoticeOut, **WRITE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.CapacityNoticeIn(data=request.data)
        data.is_valid(raise_exception=True)
        notice = escalation_services.capacity_notice_file(actor=request.user, **data.validated_data)
        return Response(s.CapacityNoticeOut(notice).data, status=201)


def _month(raw: str | None) -> dt.date:
    if raw is None:
        today = clock.now().date()
        return dt.date(today.year, today.month, 1)
    try:
        return dt.datetime.strptime(raw, "%Y-%m").replace(tzinfo=dt.UTC).date()
    except ValueError as exc:
        raise serializers.ValidationError({"month": ["Use YYYY-MM."]}) from exc


class ObligationViewSet(viewsets.ViewSet):
    """Marketing SLAs and sales obligations per team for a calendar month (domain.md section 6)."""

    read_scope = Scope.REPORTS_READ
    http_method_names = ["get", "head", "options"]

    @extend_schema(parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: this "
                                                                                        "month)"),
                               OpenApiParameter("team", OpenApiTypes.INT, description="One team (default: the "
                                                                                      "company and every team)")],
                   responses={200: s.ObligationsOut(many=True), **errors(401, 403, 422)})
    def list(self, request: Request) -> Response:
        month = _month(request.query_params.get("month"))
        teams: list[Team | None]
        raw_team = request.query_params.get("team")
        if raw_team is not None:
            if not raw_team.isdigit():
                raise serializers.ValidationError({"team": ["A team id is required."]})
            team = Team.objects.filter(pk=int(raw_team)).first()
            if team is None:
                raise serializers.ValidationError({"team": ["Unknown team."]})
            teams = [team]
        else:
            teams = [None, *Team.objects.order_by("id")]
        rows = []
        for team in teams:
            rows.append({
                "team": team.pk if team else None, "team_name": team.name if team else "Company",
                "month": f"{month:%Y-%m}",
                "marketing": [m.as_dict() for m in marketing_slas(month=month, team=team)],
                "sales": [m.as_dict() for m in sales_obligations(month=month, team=team)],
            })
        return Response(rows)
