"""Query-parameter filters that refuse bad values (422 naming the parameter) instead of ignoring them."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``), case-insensitive; anything else is an error, not "no filter"."""

    values = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        parsed = self.values.get(str(value).strip().lower())
        if parsed is None:
            raise forms.ValidationError("Must be true or false.", code="invalid")
        return parsed


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(df.NumberFilter):
    field_class = forms.IntegerField
