"""Keyset cursor pagination (api.md: ``next``, ``previous``, ``results``; ``page_size`` up to 500).

Unlike an offset, a keyset cursor costs the same on page 1 and page 20,000: the cursor holds
the last row's sort value and id, and the next page is ``WHERE (value, id) > (cursor)`` read
straight off an index. Ordering is ``?ordering=field`` or ``-field`` over the view's
``ordering_fields``; ``id`` breaks ties, so the order is total and no row is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.db.models import F, Q, QuerySet
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 500


class KeysetCursorPagination(BasePagination):
    page_size = 50
    cursor_query_param = "cursor"
    default_ordering = "-id"

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise exceptions.ValidationError({"page_size": "Must be an integer from 1 to 500."}) from exc
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError({"page_size": "Must be an integer from 1 to 500."})
        return size

    def _ordering(self, request, view) -> tuple[str, bool]:
        """(model field, descending)."""
        fields: dict[str, str] = getattr(view, "ordering_fields", {}) or {}
        raw = request.query_params.get("ordering") or getattr(view, "default_ordering", self.default_ordering)
        desc = raw.startswith("-")
        name = raw.lstrip("-")
        if name == "id":
            return "id", desc
        if name not in fields:
            allowed = ", ".join(sorted(fields) + ["id"])
            raise exceptions.ValidationError(
                {"ordering": f"Unknown ordering {name!r}; use one of: {allowed}."}
            )
        return fields[name], desc

    def _decode(self, raw: str) -> dict[str, Any]:
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ValidationError({"cursor": "Invalid cursor."}) from exc
        if not isinstance(data, dict) or "i" not in data:
            raise exceptions.ValidationError({"cursor": "Invalid cursor."})
        return data

    @staticmethod
    def _encode(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Any]:
        self.request = request
        self.size = self._page_size(request)
        self.field, self.desc = self._ordering(request, view)
        raw = request.query_params.get(self.cursor_query_param)
        cursor = self._decode(raw) if raw else None
        self.reverse = bool(cursor and cursor.get("r"))
        model_field = queryset.model._meta.get_field(self.field)
        descending = self.desc != self.reverse  # direction of this fetch
        if cursor is not None:
            try:
                value = None if cursor.get("v") is None else model_field.to_python(cursor["v"])
                pk = int(cursor["i"])
            except (TypeError, ValueError, exceptions.ValidationError) as exc:
                raise exceptions.ValidationError({"cursor": "Invalid cursor."}) from exc
            queryset = queryset.filter(self._after(value, pk, descending, model_field.null))
        if self.field == "id":
            order = ["-id" if descending else "id"]
        else:
            expr = F(self.field)
            # NULLs sit after every value in the forward direction, before them in reverse
            # NULLS placement only for nullable columns: on a NOT NULL column it would stop PostgreSQL
            # from reading the order straight off an index (and sort every match instead).
            nulls = {} if not model_field.null else ({"nulls_first": True} if self.reverse else {"nulls_last": True})
            key = expr.desc(**nulls) if descending else expr.asc(**nulls)
            order = [key, "-id" if descending else "id"]
        rows = list(queryset.order_by(*order)[: self.size + 1])
        self.has_more = len(rows) > self.size
        rows = rows[: self.size]
        if self.reverse:
            rows.reverse()
        self.rows = rows
        self.had_cursor = cursor is not None
        return rows

    def _after(self, value: Any, pk: int, descending: bool, nullable: bool) -> Q:
        past_id = Q(id__lt=pk) if descending else Q(id__gt=pk)
        if self.field == "id":
            return past_id
        # nulls come last going forward, first going backward
        if value is None:
            if not self.reverse:
                return Q(**{f"{self.field}__isnull": True}) & past_id
            return Q(**{f"{self.field}__isnull": True}) & past_id | Q(**{f"{self.field}__isnull": False})
        past_value = Q(**{f"{self.field}__lt" if descending else f"{self.field}__gt": value})
        cond = past_value | (Q(**{self.field: value}) & past_id)
        if nullable and not self.reverse:
            cond |= Q(**{f"{self.field}__isnull": True})
        return cond

    def _position(self, row: Any) -> dict[str, Any]:
        value = getattr(row, self.field) if self.field != "id" else row.pk
        if value is not None and not isinstance(value, int | float | str | bool):
            value = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return {"v": value, "i": row.pk}

    def _link(self, position: dict[str, Any], reverse: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self._encode({**position, "r": int(reverse)})
        )

    def get_next_link(self) -> str | None:
        has_next = self.has_more if not self.reverse else True
        if not self.rows or not has_next:
            return None
        return self._link(self._position(self.rows[-1]), reverse=False)

    def get_previous_link(self) -> str | None:
        has_prev = self.has_more if self.reverse else self.had_cursor
        if not has_prev:
            return None
        if not self.rows:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self._position(self.rows[0]), reverse=True)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        fields = sorted((getattr(view, "ordering_fields", {}) or {}).keys()) + ["id"]
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Opaque cursor from `next` or `previous`.",
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": fields + [f"-{f}" for f in fields]},
            },
        ]
