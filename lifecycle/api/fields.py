"""Building blocks of the lifecycle API's input serializers: strict bodies, codes, money, visible leads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lifecycle import selectors

FUTURE_SKEW = dt.timedelta(seconds=60)  # as for touches: a minute of clock skew is forgiven


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare, naming each (``refused`` says why for known read-only names)."""

    refused: ClassVar[dict[str, str]] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields or self.fields[key].read_only]
            if unknown:
                raise serializers.ValidationError(
                    {str(key): [self.refused.get(str(key), "Unknown field.")] for key in unknown}
                )
        return super().to_internal_value(data)


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Tells the schema what ``StrictSerializer`` enforces: no properties beyond the declared ones."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema


class CountryField(serializers.RegexField):
    """ISO 3166-1 alpha-2, stored upper case."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("error_messages", {"invalid": "Use a two-letter ISO 3166-1 country code."})
        super().__init__(r"^[A-Za-z]{2}$", max_length=2, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).upper()


class CurrencyField(serializers.RegexField):
    """ISO 4217 code, stored upper case."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("error_messages", {"invalid": "Use a three-letter ISO 4217 currency code."})
        super().__init__(r"^[A-Za-z]{3}$", max_length=3, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).upper()


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """A non-negative amount with cents; numbers or numeric strings, never NaN or infinity."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class VisibleLeadField(serializers.PrimaryKeyRelatedField):
    """A lead id in a request body, resolved among the leads the caller may see (else 422: does not exist)."""

    def get_queryset(self) -> Any:
        return selectors.leads_visible_to(self.context["request"].user)
