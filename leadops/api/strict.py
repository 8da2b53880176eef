"""Strict request bodies: every API input serializer refuses keys it does not declare (mass assignment and
typos such as ``weigth`` answer 422 naming the key, instead of being silently ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers


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
