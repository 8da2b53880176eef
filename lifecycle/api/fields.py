"""Building blocks of the lifecycle API's input serializers: strict bodies, codes, money, visible leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadops.api.strict import StrictSerializer  # noqa: F401 - re-exported for the lifecycle serializers
from lifecycle import selectors

FUTURE_SKEW = dt.timedelta(seconds=60)  # as for touches: a minute of clock skew is forgiven


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
