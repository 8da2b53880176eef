"""OpenAPI pieces shared by every endpoint: the error shape and its status codes."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)


def _err(text: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=text)


ERROR_RESPONSES = {
    400: _err("Malformed request"),
    401: _err("Not authenticated"),
    403: _err("Token lacks a scope, or the role may not write"),
    404: _err("Not found, or not visible to the caller"),
    409: _err("Conflict: illegal transition, concurrent change or duplicate"),
    422: _err("Well-formed but invalid; field errors in details"),
}


class TokenAuthScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Token <key>`` in the schema."""

    target_class = "leadops.api.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication: `Token <key>` (keys are issued once, stored hashed)."}
