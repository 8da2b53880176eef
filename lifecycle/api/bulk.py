"""``POST /leads/bulk/``: upsert up to 1,000 leads in one request (api.md, docs/api-integrators.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from leadops.api.errors import _first_message, _flatten
from leadops.api.limits import MAX_ITEMS_PER_REQUEST
from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope
from lifecycle.api.serializers import LeadCreateIn
from lifecycle.api.views import may_write_leads
from lifecycle.models import Lead
from lifecycle.services.bulk import BulkItem, leads_bulk_upsert


class LeadBulkItemIn(LeadCreateIn):
    """One lead of a bulk upsert: the fields of ``POST /leads/``; keyed by ``external_id`` (yours) or ``email``."""


class BulkItemErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class BulkResultOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request (from 0).")
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    id = serializers.IntegerField(allow_null=True, help_text="The lead's id (null for an error).")
    errors = BulkItemErrorOut(  # type: ignore[assignment]  # the api.md name, not Serializer.errors
        allow_null=True, help_text="Why the item failed (null unless status is error).")


def validate_item(body: Any) -> BulkItem:
    data = LeadBulkItemIn(data=body)
    if data.is_valid():
        return BulkItem(values=dict(data.validated_data))
    detail = data.errors
    return BulkItem(errors={"code": "validation_error", "message": _first_message(detail),
                            "details": {"fields": _flatten(detail)}})


class LeadBulkViewSet(viewsets.GenericViewSet):
    """Bulk upsert of leads (scope ``leads:write``)."""

    queryset = Lead.objects.none()
    serializer_class = BulkResultOut
    write_scope = Scope.LEADS_WRITE
    http_method_names = ["post", "options"]
    may_write = staticmethod(may_write_leads)

    @extend_schema(
        operation_id="leads_bulk_upsert",
        request=LeadBulkItemIn(many=True),
        responses={200: BulkResultOut(many=True), **{c: ERROR_RESPONSES[c] for c in (400, 401, 403, 422)}},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Upsert up to 1,000 leads, given as a JSON array. An item whose ``external_id`` (per API client) or
        else ``email`` names an existing lead updates it; otherwise a lead is created. Answers 200 with one
        result per item, in order: ``{"index", "status": created/updated/unchanged/error, "id", "errors"}``.
        Good items land even when others fail; the second of two items with the same key is an error
        (``duplicate_in_batch``), the first wins. More than 1,000 items, an empty list or a body that is not
        a list is 422."""
        items = request.data
        if not isinstance(items, list) or not items or len(items) > MAX_ITEMS_PER_REQUEST:
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send a JSON array of 1 to {MAX_ITEMS_PER_REQUEST} leads."]})
        results = leads_bulk_upsert(client=request.user, items=[validate_item(item) for item in items])
        return Response(results)
