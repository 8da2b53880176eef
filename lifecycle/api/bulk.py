"""``POST /leads/bulk/``: upsert up to 1,000 leads in one request (api.md, docs/api-integrators.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator, validate_email
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response

from leadops.api.errors import _first_message, _flatten
from leadops.api.limits import MAX_ITEMS_PER_REQUEST
from leadops.api.schema import ERROR_RESPONSES
from leadops.models import Scope
from lifecycle.api.fields import CountryField
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


_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # what DRF's null and surrogate character validators refuse


class QuickCheck:
    """A quick path through an input serializer for lists of a thousand items (one serializer per item costs
    ~0.4 ms, mostly copying its fields). The serializer's own fields (lengths, blanks, ranges, choices,
    patterns) are read once and applied with plain Python to the plain case: a JSON object of known keys with
    values of the exact JSON type each field wants (a string for text, an integer for numbers, an id or null
    for a related row); other field kinds run their own ``run_validation``. Defaults of absent fields, the
    serializer's ``validate_<field>`` hooks and ``validate()`` run as DRF runs them (hooks see related rows as
    ids). It answers exactly the values the serializer would; anything else (a wrong type, an unknown key, a
    number in a string, a bad value) answers None and the item goes through the serializer, which words the
    error (the tests check the two agree). Related rows come back as ids, for ``resolve`` to look up for all
    items at once."""

    def __init__(self, serializer: serializers.Serializer) -> None:
        self.serializer = serializer
        self.checks: dict[str, Callable[[Any], tuple[bool, Any]]] = {}
        self.related: dict[str, Any] = {}
        writable = {name: f for name, f in serializer.fields.items() if not f.read_only}
        self.required = {name for name, f in writable.items() if f.required}
        self.defaults = {name: f for name, f in writable.items() if not f.required and f.default is not empty}
        for name, f in writable.items():
            self.checks[name] = self._check_for(name, f)
        self.hooks = [(name, hook) for name in writable
                      if (hook := getattr(serializer, f"validate_{name}", None)) is not None]
        self.validate = serializer.validate if type(serializer).validate is not serializers.Serializer.validate \
            else None

    def _check_for(self, name: str, f: serializers.Field) -> Callable[[Any], tuple[bool, Any]]:
        if isinstance(f, serializers.PrimaryKeyRelatedField):
            self.related[name] = f.get_queryset()
            allow_null = f.allow_null
            return lambda v: (True, v) if (v is None and allow_null) or (type(v) is int and v > 0) else (False, None)
        if isinstance(f, serializers.ChoiceField):
            choices, allow_blank = dict(f.choice_strings_to_values), f.allow_blank
            return lambda v: (True, "") if v == "" and allow_blank else (
                (True, choices[v]) if type(v) is str and v in choices else (False, None))
        if isinstance(f, serializers.IntegerField):
            low = f.min_value if f.min_value is not None else float("-inf")
            high = f.max_value if f.max_value is not None else float("inf")
            allow_null = f.allow_null
            return lambda v: (True, None) if v is None and allow_null else (
                (True, v) if type(v) is int and low <= v <= high else (False, None))
        if type(f) in (serializers.CharField, serializers.EmailField, serializers.RegexField, CountryField) \
                and not f.min_length and not f.allow_null:
            return self._text(f)

        def own(v: Any) -> tuple[bool, Any]:  # any other kind: the field's own validation
            try:
                return True, f.run_validation(v)
            except (serializers.ValidationError, DjangoValidationError):
                return False, None

        return own

    @staticmethod
    def _text(f: serializers.CharField) -> Callable[[Any], tuple[bool, Any]]:
        max_length, allow_blank, trim = f.max_length, f.allow_blank, f.trim_whitespace
        regex = next((v.regex for v in f.validators if isinstance(v, RegexValidator)), None)
        email = isinstance(f, serializers.EmailField)
        upper = isinstance(f, CountryField)

        def check(v: Any) -> tuple[bool, Any]:
            if type(v) is not str:
                return False, None
            text = v.strip() if trim else v
            if text == "":
                return (True, "") if allow_blank else (False, None)
            if (max_length is not None and len(text) > max_length) or _NOT_TEXT.search(text):
                return False, None
            if regex is not None and not regex.search(text):
                return False, None
            if email:
                try:
                    validate_email(text)
                except DjangoValidationError:
                    return False, None
            return True, text.upper() if upper else text

        return check

    def values(self, body: Any) -> dict[str, Any] | None:
        """The validated values of ``body``, or None when the serializer must look at it."""
        if type(body) is not dict or not self.required <= body.keys():
            return None
        out: dict[str, Any] = {}
        checks = self.checks
        for key, value in body.items():
            check = checks.get(key)
            if check is None:
                return None
            ok, clean = check(value)
            if not ok:
                return None
            out[key] = clean
        for name, f in self.defaults.items():
            if name not in out:
                out[name] = f.get_default()
        try:
            for name, hook in self.hooks:
                if name in out:
                    out[name] = hook(out[name])
            if self.validate is not None:
                out = self.validate(out)
        except (serializers.ValidationError, DjangoValidationError):
            return None
        return out

    def resolve(self, found: list[dict[str, Any] | None]) -> None:
        """Replace related ids by their rows, one query per related field for all items; an item naming a row
        that does not exist becomes None (the serializer then says so)."""
        for name, queryset in self.related.items():
            ids = {v[name] for v in found if v is not None and v.get(name) is not None}
            rows = queryset.in_bulk(list(ids)) if ids else {}
            for i, v in enumerate(found):
                if v is not None and v.get(name) is not None:
                    if v[name] in rows:
                        v[name] = rows[v[name]]
                    else:
                        found[i] = None


def validate_items(bodies: list[Any]) -> list[BulkItem]:
    """Every item of a bulk upsert, validated: the quick path, else the serializer (the same answers)."""
    quick = QuickCheck(LeadBulkItemIn())
    found = [quick.values(body) for body in bodies]
    quick.resolve(found)
    return [BulkItem(values=values) if values is not None else validate_item(body)
            for values, body in zip(found, bodies, strict=True)]


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
        results = leads_bulk_upsert(client=request.user, items=validate_items(items))
        return Response(results)
