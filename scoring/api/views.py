"""/scoring-models/: versions with their rules, creating a version, activation, dry run, calibration.

Everyone signed in reads the versions (sales should see what qualifies a lead). Marketing ops and
admins create and activate versions (token scope ``admin``: it is configuration). The dry run counts
over every lead, so it is for the roles that see every lead; the calibration report needs
``reports:read``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import roles
from leadops.api.schema import ERROR_RESPONSES
from leadops.errors import NotFound
from leadops.models import Scope, User
from leadops.roles import Role
from scoring import selectors, services
from scoring.api.serializers import CalibrationOut, DryRunOut, RescoreRunOut, ScoringModelIn, ScoringModelOut
from scoring.models import ScoringModel

SCORING_WRITERS = {Role.MARKETING_OPS, Role.ADMIN}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}


def may_manage_scoring(user: User) -> bool:
    """domain.md: marketing ops own the scoring model; admins configure everything."""
    return roles.role_of(user) in SCORING_WRITERS


class ScoringModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scoring model versions. A version never changes once created: a change is a new version, activated
    when ready (which rescores every lead in the background; its progress is ``latest_run``)."""

    queryset = ScoringModel.objects.none()
    serializer_class = ScoringModelOut
    read_scope = Scope.LEADS_READ
    write_scope = Scope.ADMIN
    action_scopes = {"calibration": Scope.REPORTS_READ}
    ordering_fields = {"version": "version", "created_at": "created_at"}
    default_ordering = "-version"
    http_method_names = ["get", "post", "head", "options"]
    may_write = staticmethod(may_manage_scoring)

    def get_queryset(self) -> QuerySet[ScoringModel]:
        if getattr(self, "swagger_fake_view", False):
            return ScoringModel.objects.none()
        return selectors.scoring_models()

    def _answer(self, model_id: int, status: int = 200) -> Response:
        return Response(ScoringModelOut(selectors.scoring_models().get(pk=model_id)).data, status=status)

    @extend_schema(responses={200: ScoringModelOut(many=True), **errors(401, 403, 422)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ScoringModelOut, **errors(401, 403, 404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ScoringModelIn, responses={201: ScoringModelOut, **errors(400, 401, 403, 409, 422)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create the next version (inactive). Rules on unknown fields, bad operators or values, a negative
        half-life or a threshold out of 1-1000 are 422, naming each rule (``fit_rules[2].field``)."""
        data = ScoringModelIn(data=request.data)
        data.is_valid(raise_exception=True)
        model = services.scoring_model_create(created_by=request.user, **data.validated_data)
        return self._answer(model.pk, status=201)

    @extend_schema(request=None, responses={
        202: OpenApiResponse(RescoreRunOut, description="Activated; the rescore of every lead has started."),
        200: OpenApiResponse(RescoreRunOut, description="Already the active version: its latest run."),
        **errors(401, 403, 404, 409, 422)})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Make this version the active one and rescore every lead with it in the background. Poll
        ``GET /scoring-models/{id}/`` (``latest_run``) for progress. An invalid version is refused (422)."""
        model = self.get_object()
        run, started = services.scoring_model_activate(model_id=model.pk, actor=request.user)
        return Response(RescoreRunOut(run).data, status=202 if started else 200)

    @extend_schema(methods=["GET"], responses={
        200: OpenApiResponse(DryRunOut, description="The latest dry run of this version: progress, then the result."),
        **errors(401, 403, 404)})
    @extend_schema(methods=["POST"], request=None, responses={
        202: OpenApiResponse(DryRunOut, description="Started: poll GET for progress, then the result."),
        200: OpenApiResponse(DryRunOut, description="A dry run of this version is still running: that one."),
        **errors(401, 403, 404, 409, 422)})
    @action(detail=True, methods=["get", "post"], url_path="dry-run", pagination_class=None, filter_backends=[])
    def dry_run(self, request: Request, pk: str | None = None) -> Response:
        """With this version, how many leads would become MQL on activation, by channel. Nothing is written
        but the job. POST (marketing ops, admins) starts it in the background: 202 with the job. GET (the
        roles that see every lead: it counts over all of them) shows the latest one: progress (``run``:
        done / total), then the result. 404 ``no_dry_run`` before the first."""
        model = self.get_object()
        if not roles.sees_all_leads(request.user):
            raise exceptions.PermissionDenied("The dry run counts every lead; your role sees only some.")
        if request.method == "POST":
            run, started = services.dry_run_start(model_id=model.pk, actor=request.user)
            run.refresh_from_db()  # an eager worker (tests) may have finished it already
            return Response(DryRunOut(selectors.dry_run_answer(run)).data, status=202 if started else 200)
        found = selectors.latest_dry_run(model)
        if found is None:
            raise NotFound("This version has no dry run yet; POST to this address starts one.", code="no_dry_run")
        return Response(DryRunOut(selectors.dry_run_answer(found)).data)

    @extend_schema(
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="Window in days (1-365), default 90.")],
        responses={200: CalibrationOut, **errors(401, 403, 422)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def calibration(self, request: Request) -> Response:
        """MQL -> SQL conversion by the score at MQL, for the MQLs of the last 90 days: does the threshold
        predict quality? Also split by how the lead became MQL (score, high-intent event, by hand)."""
        raw = request.query_params.get("days", str(selectors.CALIBRATION_DAYS))
        if not raw.isdigit() or not 1 <= int(raw) <= 365:
            raise exceptions.ValidationError({"days": "Must be an integer from 1 to 365."})
        return Response(CalibrationOut(selectors.calibration(days=int(raw))).data)
