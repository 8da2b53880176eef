"""What every ``/reports/`` view set shares (``ReportViewSet`` with its ``QualityReportsMixin`` and
``AlignmentReportViewSet``): the base view set, the schema helpers and the CSV cell format of rates."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope
from lifecycle.models import Lead
from reporting.api.csv import CsvRenderer
from reporting.api.serializers import MAX_DAYS


def errors(*codes: int) -> dict[int, Any]:
    return {code: ERROR_RESPONSES[code] for code in codes}


def responses(out: type[serializers.Serializer]) -> dict[int, Any]:
    """A report's responses: the object (or its CSV) and the errors of a read."""
    return {200: OpenApiResponse(out, description="JSON, or CSV when the path ends in .csv"),
            **errors(401, 403, 422)}


def period_params(choice: str | None, choices: tuple[str, ...] = (), default: str = "",
                  days: str = "Default: 29 days before `to`.", to: str = "Default: today.") -> list[OpenApiParameter]:
    """``from``, ``to`` (``reporting.api.serializers.PeriodIn``) and, unless ``choice`` is None, the choice."""
    params = [
        OpenApiParameter("from", OpenApiTypes.DATE, description=f"First day (UTC), included. {days}"),
        OpenApiParameter("to", OpenApiTypes.DATE, description=f"Last day (UTC), included. {to} A period is at "
                         f"most {MAX_DAYS} days."),
    ]
    if choice:
        params.append(OpenApiParameter(choice, OpenApiTypes.STR, enum=list(choices),
                                       description=f"Default: {default}."))
    return params


def rate(value: float | None) -> str:
    """A rate in a CSV cell: 4 decimals, empty when there is none."""
    return "" if value is None else f"{value:.4f}"


class OneObjectSchema(AutoSchema):
    """Each report answers one object, not an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class ReportViewSetBase(viewsets.GenericViewSet):
    """GET-only, everyone signed in (``reports:read`` for tokens), one object per report, JSON or CSV."""

    queryset = Lead.objects.none()
    schema = OneObjectSchema()
    read_scope = Scope.REPORTS_READ
    pagination_class = None
    filter_backends: list[Any] = []
    renderer_classes = [JSONRenderer, CsvRenderer]
    http_method_names = ["get", "head", "options"]

    def _params(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        params = serializer_class(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)

    def _csv(self, request: Request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"

    def _csv_response(self, rows: list[list[Any]], name: str) -> Response:
        return Response(rows, headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
