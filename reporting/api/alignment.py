"""Forecast vs actual, the alignment score and the alignment pulse over the API (issue 9):

- ``GET /reports/forecast/`` (``?from&to&team``) and ``/reports/forecast.csv``;
- ``GET /reports/alignment/`` (``?month=2026-11``) and ``/reports/alignment.csv``;
- ``GET /pulses/``, ``GET /pulses/{id}/``, ``GET /pulses/{id}/results/``, ``POST /pulses/{id}/answer/``.

Reads are everyone's (``reports:read`` for tokens), as for every report. Answering is for members of
marketing and sales teams (``leadops.roles.pulse_side``; others 403), once per pulse (409
``already_answered``) while it is open (409 ``pulse_closed``). Definitions: docs/metrics.md."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import clock, roles
from leadops.api.strict import StrictSerializer
from leadops.models import Scope
from reporting import services
from reporting.api.common import OneObjectSchema, ReportViewSetBase, errors
from reporting.models import PulseSurvey
from reporting.selectors import alignment, forecast

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT_WEEKS = 13


def _money(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


# --- input ------------------------------------------------------------------------------------------------


class ForecastIn(serializers.Serializer):
    from_ = serializers.DateField(required=False)
    to = serializers.DateField(required=False)
    team = serializers.IntegerField(required=False, min_value=1)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        last = attrs.get("to") or clock.now().date()
        last_monday = last - dt.timedelta(days=last.weekday())
        first = attrs.get("from") or last_monday - dt.timedelta(weeks=DEFAULT_WEEKS - 1)
        first_monday = first - dt.timedelta(days=first.weekday())
        if first > last:
            raise serializers.ValidationError({"from": "Must be on or before 'to'."})
        if (last_monday - first_monday).days // 7 + 1 > forecast.MAX_WEEKS:
            raise serializers.ValidationError({"from": f"At most {forecast.MAX_WEEKS} weeks."})
        attrs["first_monday"], attrs["last_monday"] = first_monday, last_monday
        return attrs


class MonthIn(serializers.Serializer):
    month = serializers.CharField(required=False, max_length=7)

    def validate_month(self, value: str) -> dt.date:
        match = MONTH.match(value)
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise serializers.ValidationError("Use a month such as 2026-11.")
        return dt.date(int(match[1]), int(match[2]), 1)


class PulseAnswerIn(StrictSerializer):
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


# --- output -----------------------------------------------------------------------------------------------


class ForecastWeekOut(serializers.Serializer):
    week = serializers.CharField()
    starts_on = serializers.DateField()
    quarter_start = serializers.DateField()
    snapshot_taken_at = serializers.DateTimeField(allow_null=True)
    open_deals = serializers.IntegerField(allow_null=True)
    open_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    quarter_forecast = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    by_stage = serializers.DictField(child=serializers.DecimalField(max_digits=18, decimal_places=2))
    won_deals = serializers.IntegerField()
    won_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    quarter_won_to_date = serializers.DecimalField(max_digits=18, decimal_places=2)
    quarter_won = serializers.DecimalField(max_digits=18, decimal_places=2)


class ForecastOut(serializers.Serializer):
    first_week = serializers.CharField()
    last_week = serializers.CharField()
    team = serializers.IntegerField(allow_null=True)
    weeks = ForecastWeekOut(many=True)


class ComponentOut(serializers.Serializer):
    name = serializers.ChoiceField(choices=list(alignment.WEIGHTS))
    weight = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="In [0, 1]; null: no data (left out of the score).")
    detail = serializers.DictField()


class AlignmentOut(serializers.Serializer):
    month = serializers.CharField()
    score = serializers.IntegerField(allow_null=True, help_text="0-100; null when no component has data.")
    components = ComponentOut(many=True)


class PulseOut(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField(source="label")
    question = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    is_open = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()

    def get_is_open(self, obj: PulseSurvey) -> bool:
        return bool(obj.opens_at <= clock.now() < obj.closes_at)

    def get_answered(self, obj: PulseSurvey) -> bool:
        user = self.context["request"].user
        return obj.responses.filter(respondent=user).exists()


class NpsRowOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    side = serializers.CharField()
    answers = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True)


class PulseCommentOut(serializers.Serializer):
    side = serializers.CharField()
    team = serializers.CharField()
    score = serializers.IntegerField()
    comment = serializers.CharField()


class PulseResultsOut(serializers.Serializer):
    pulse = serializers.IntegerField()
    period = serializers.CharField()
    sides = NpsRowOut(many=True)
    teams = NpsRowOut(many=True)
    comments = PulseCommentOut(many=True)


class PulseAnswerOut(serializers.Serializer):
    pulse = serializers.IntegerField(source="survey_id")
    side = serializers.CharField()
    team = serializers.IntegerField(source="team_id", allow_null=True)
    score = serializers.IntegerField()
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField()


# --- views ------------------------------------------------------------------------------------------------


class AlignmentReportViewSet(ReportViewSetBase):
    """Forecast vs actual and the alignment score (registered on the same ``reports`` prefix, with the same
    settings as ``ReportViewSet``: ``ReportViewSetBase``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="A day of the first week (default: 12 weeks "
                             "before `to`'s week)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="A day of the last week (default: today)."),
            OpenApiParameter("team", OpenApiTypes.INT, description="Only opportunities of leads in this team."),
        ],
        responses={200: OpenApiResponse(ForecastOut, description="JSON, or CSV when the path ends in .csv"),
                   **errors(401, 403, 422)})
    @action(detail=False, methods=["get"], url_path="forecast")
    def forecast(self, request: Request, format: str | None = None) -> Response:
        """Per ISO week: the weekly snapshot of the open pipeline (the quarter forecast) against closed won."""
        p = self._params(ForecastIn)
        report = forecast.forecast_vs_actual(first_monday=p["first_monday"], last_monday=p["last_monday"],
                                             team=p.get("team"))
        weeks = [w.as_dict() for w in report.weeks]
        if self._csv(request):
            cols = ["week", "starts_on", "snapshot_taken_at", "open_deals", "open_amount", "quarter_forecast",
                    "won_deals", "won_amount", "quarter_won_to_date", "quarter_won"]
            table: list[list[Any]] = [cols]
            for w in weeks:
                table.append(["" if w[c] is None else w[c] for c in cols])
            return self._csv_response(table, "forecast")
        return Response(ForecastOut({"first_week": report.first_week, "last_week": report.last_week,
                                     "team": report.team, "weeks": weeks}).data)

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, pattern=r"^\d{4}-\d{2}$",
                                     description="Calendar month, e.g. 2026-11 (default: this month).")],
        responses={200: OpenApiResponse(AlignmentOut, description="JSON, or CSV when the path ends in .csv"),
                   **errors(401, 403, 422)})
    @action(detail=False, methods=["get"], url_path="alignment")
    def alignment(self, request: Request, format: str | None = None) -> Response:
        """The alignment score (0-100) of the month and its four weighted components."""
        p = self._params(MonthIn)
        report = alignment.alignment_score(month=p.get("month") or clock.now().date().replace(day=1))
        if self._csv(request):
            table: list[list[Any]] = [["month", "component", "weight", "value", "score"]]
            for c in report.components:
                table.append([report.as_dict()["month"], c.name, c.weight, "" if c.value is None else c.value,
                              "" if report.score is None else report.score])
            return self._csv_response(table, "alignment")
        return Response(AlignmentOut(report.as_dict()).data)


def may_answer_pulse(user: Any) -> bool:
    return roles.pulse_side(user) is not None


class PulseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The monthly alignment pulse: the surveys, one's answer, and the results (NPS per team and side)."""

    serializer_class = PulseOut
    read_scope = Scope.REPORTS_READ
    write_scope = None  # answering is a person's own act; the role decides (may_write)
    may_write = staticmethod(may_answer_pulse)
    filter_backends: list[Any] = []
    default_ordering = "-id"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[PulseSurvey]:
        return PulseSurvey.objects.all()

    @extend_schema(responses={200: PulseOut(many=True), **errors(401, 403)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: PulseOut, **errors(401, 403, 404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={200: PulseResultsOut, **errors(401, 403, 404)})
    @action(detail=True, methods=["get"], url_path="results", schema=OneObjectSchema())
    def results(self, request: Request, pk: str | None = None) -> Response:
        """NPS (promoters 9-10, detractors 0-6) per side and per team; comments without their authors."""
        results = alignment.pulse_results(survey=self.get_object())
        return Response(PulseResultsOut({
            "pulse": results.survey.pk, "period": results.survey.label,
            "sides": [r.as_dict() for r in results.sides], "teams": [r.as_dict() for r in results.teams],
            "comments": results.comments}).data)

    @extend_schema(request=PulseAnswerIn, responses={201: PulseAnswerOut, **errors(400, 401, 403, 404, 409, 422)})
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """Answer the pulse: ``score`` 0-10 and an optional ``comment``; once per person, while it is open."""
        survey = self.get_object()
        data = PulseAnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.pulse_respond(user=request.user, survey=survey, score=data.validated_data["score"],
                                          comment=data.validated_data.get("comment", ""), now=clock.now())
        return Response(PulseAnswerOut(response).data, status=201)


__all__ = ["AlignmentReportViewSet", "PulseViewSet"]
