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
from lifecycle.services.lead_types import refusal_message

LEAD_TYPE_HELP = ("A lead-type code: an active one of GET /api/v1/lead-types/ (a catalogue admins edit). A lead "
                  "keeps a retired type; writing one is 422 unknown_lead_type, listing the allowed codes.")

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


@extend_schema_field({"type": "string", "description": LEAD_TYPE_HELP})
class ActiveLeadTypeField(serializers.CharField):
    """A code of an active lead type (routing conditions), refused with the catalogue's own words
    (``lifecycle.services.lead_types``). The active codes are read once per field: once per request, also for
    every item of a list (a ``ListField`` names the item: ``lead_types.<j>``)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._allowed: list[str] | None = None

    def to_internal_value(self, data: Any) -> str:
        code = str(super().to_internal_value(data))
        if self._allowed is None:
            self._allowed = selectors.active_lead_type_codes()
        if code not in self._allowed:
            raise serializers.ValidationError(refusal_message(code, self._allowed), code="unknown_lead_type")
        return code
