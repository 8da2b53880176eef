"""/routing-rules/ (with the dry run), /routing/assignments/ (the ledger) and /routing/fairness/."""

from __future__ import annotations

import re
from typing import Any

import django_filters as df
from django import forms
from django.db.models import QuerySet
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import clock, roles
from leadops.api.schema import ERROR_RESPONSES
from leadops.errors import NotFound
from leadops.models import Scope, User
from lifecycle.selectors import leads_visible_to
from routing import selectors, services
from routing.api.serializers import (
    RoutingAssignmentOut,
    RoutingDryRunIn,
    RoutingDryRunOut,
    RoutingFairnessOut,
    RoutingRuleIn,
    RoutingRuleOut,
)
from routing.models import Assignment, AssignmentMethod, RoutingRule


def errors(*codes: int) -> dict[int, Any]:
    return {code: ERROR_RESPONSES[code] for code in codes}


class RoutingRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Routing rules (domain.md section 7). Everyone signed in reads them (routing is auditable); admins and
    marketing ops write. Tokens need the ``admin`` scope. Rules are never deleted: set ``active`` false."""

    queryset = RoutingRule.objects.none()
    serializer_class = RoutingRuleOut
    read_scope = Scope.ADMIN
    write_scope = Scope.ADMIN
    ordering_fields = {"priority": "priority", "name": "name"}
    default_ordering = "priority"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def may_write(self, user: User) -> bool:
        if self.action == "dry_run":
            return roles.may_preview_routing(user)
        return roles.may_configure_routing(user)

    def get_queryset(self) -> QuerySet[RoutingRule]:
        return selectors.rule_list()

    @extend_schema(responses={200: RoutingRuleOut(many=True), **errors(401, 403, 422)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RoutingRuleOut, **errors(401, 403, 404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RoutingRuleIn, responses={201: RoutingRuleOut, **errors(400, 401, 403, 409, 422)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a rule: conditions (countries/regions, employee_count_min/max, industries, lead_types, sources)
        and one target (``target_team`` or ``target_rep``). 422 naming the field; 409 for a duplicate name or a
        second active default rule."""
        data = RoutingRuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.routing_rule_create(**data.validated_data)
        return Response(RoutingRuleOut(rule).data, status=201)

    @extend_schema(request=RoutingRuleIn, responses={200: RoutingRuleOut, **errors(400, 401, 403, 404, 409, 422)})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields; the rule as a whole is checked again (to switch targets, send the new one and
        null for the other)."""
        rule = self.get_object()
        data = RoutingRuleIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = services.routing_rule_update(rule_id=rule.pk, **data.validated_data)
        return Response(RoutingRuleOut(rule).data)

    @extend_schema(request=RoutingDryRunIn, responses={200: RoutingDryRunOut, **errors(400, 401, 403, 404, 422)})
    @action(detail=False, methods=["post"], url_path="dry-run", pagination_class=None, filter_backends=[])
    def dry_run(self, request: Request) -> Response:
        """Where the lead would go now and why ("this lead would go to X because rule R"), decided exactly as
        the router decides, without assigning, locking or writing anything. For admins, marketing ops and
        sales managers; a lead the caller may not see is 404."""
        data = RoutingDryRunIn(data=request.data)
        data.is_valid(raise_exception=True)
        lead = leads_visible_to(request.user).select_related("account").filter(pk=data.validated_data["lead"]).first()
        if lead is None:
            raise NotFound("No such lead.", details={"fields": {"lead": "Unknown lead."}})
        preview = selectors.route_preview(lead=lead)
        d = preview.decision
        return Response(RoutingDryRunOut({
            "lead": lead.pk, "summary": preview.summary, "routable": preview.routable, "note": preview.note,
            "method": d.method, "rep": d.rep_id, "rep_username": d.rep_name, "team": d.team_id,
            "team_name": d.team_name, "rule": d.rule.id if d.rule else None, "rule_name": d.rule.name if d.rule else "",
            "slot": d.slot, "explanation": d.explanation, "facts": d.facts.as_dict(), "rules_tried": d.rules_tried,
            "candidates": d.candidates,
        }).data)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(df.NumberFilter):
    field_class = forms.IntegerField


class AssignmentFilter(df.FilterSet):
    lead = IntegerFilter(field_name="lead_id")
    rep = IntegerFilter(field_name="rep_id")
    team = IntegerFilter(field_name="team_id")
    method = df.ChoiceFilter(choices=AssignmentMethod.choices)
    decided_after = df.IsoDateTimeFilter(field_name="decided_at", lookup_expr="gte", help_text="decided_at >= this.")
    decided_before = df.IsoDateTimeFilter(field_name="decided_at", lookup_expr="lt", help_text="decided_at < this.")

    class Meta:
        model = Assignment
        fields: list[str] = []


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The assignment ledger: every routing decision and reassignment, with the rule, the candidates and why each
    was skipped, and the latency from MQL. Rows of the leads the caller may see; read-only."""

    queryset = Assignment.objects.none()
    serializer_class = RoutingAssignmentOut
    filterset_class = AssignmentFilter
    read_scope = Scope.LEADS_READ
    ordering_fields = {"decided_at": "decided_at"}
    default_ordering = "-decided_at"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Assignment]:
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        return selectors.assignments_visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(responses={200: RoutingAssignmentOut(many=True), **errors(401, 403, 422)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RoutingAssignmentOut, **errors(401, 403, 404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class OneObjectSchema(AutoSchema):
    """The report's ``list`` answers one object (a report), not an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class FairnessViewSet(viewsets.GenericViewSet):
    """Assignments per rep per ISO week (UTC) against their weight: the fairness report of the ledger."""

    queryset = Assignment.objects.none()
    serializer_class = RoutingFairnessOut
    schema = OneObjectSchema()
    read_scope = Scope.REPORTS_READ
    pagination_class = None
    filter_backends: list[Any] = []
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        parameters=[
            OpenApiParameter("week", OpenApiTypes.STR, description="ISO week, e.g. 2026-W47 (default: this week).",
                             pattern=r"^\d{4}-W\d{2}$"),
            OpenApiParameter("team", OpenApiTypes.INT, description="One team (default: every team you may see)."),
        ],
        responses={200: RoutingFairnessOut, **errors(401, 403, 404, 422)},
    )
    def list(self, request: Request) -> Response:
        """Per team and rep: round-robin slots won in the week, the weight share, and the expected count given
        who was available for each slot (from the ledger's candidates), plus account matches, named-rep and
        manual assignments. Teams: all for marketing ops, leadership and admins; a manager's own; a rep's own."""
        raw = request.query_params.get("week")
        if raw is None:
            year, week, _ = clock.now().isocalendar()
        else:
            match = WEEK.match(raw)
            try:
                if match is None:
                    raise ValueError(raw)
                year, week = int(match[1]), int(match[2])
                selectors.iso_week_bounds(year, week)
            except ValueError as exc:
                raise serializers.ValidationError({"week": "Use an ISO week such as 2026-W47."}) from exc
        starts_at, ends_at = selectors.iso_week_bounds(year, week)
        teams = selectors.teams_for_reports(request.user)
        raw_team = request.query_params.get("team")
        if raw_team is not None:
            if not raw_team.isdigit() or len(raw_team) > 18:
                raise serializers.ValidationError({"team": "A team id."})
            teams = teams.filter(pk=int(raw_team))
            if not teams.exists():
                raise NotFound("No such team.")
        report = selectors.fairness_report(starts_at=starts_at, ends_at=ends_at,
                                           team_ids=list(teams.values_list("pk", flat=True)))
        body = {
            "week": f"{year:04d}-W{week:02d}", "starts_at": starts_at, "ends_at": ends_at,
            "teams": [{
                "team": t.team, "name": t.name, "round_robin": t.round_robin, "queued": t.queued,
                "reps": [{
                    "rep": r.rep, "username": r.username, "weight": r.weight, "active": r.active,
                    "weight_share": round(r.weight_share, 4), "round_robin": r.round_robin,
                    "actual_share": round(r.round_robin / t.round_robin, 4) if t.round_robin else 0.0,
                    "eligible_slots": r.eligible_slots, "expected": round(r.expected, 2),
                    "deviation": round(r.deviation, 2), "account_match": r.account_match, "rule_rep": r.rule_rep,
                    "manual": r.manual,
                } for r in t.reps],
            } for t in report],
        }
        return Response(RoutingFairnessOut(body).data)
