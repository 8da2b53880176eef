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


WRITE_METHODS = ("post", "put", "patch", "delete")


def add_api_conventions(result, generator, request, public):
    """Postprocessing hook: what the middlewares add to every operation (leadops.api.limits,
    leadops.api.idempotency, the per-client throttle) is described on every operation."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result

    def add(responses: dict, code: str, text: str) -> None:
        responses.setdefault(code, {"description": text, "content": {"application/json": {"schema": error_ref}}})

    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in (*WRITE_METHODS, "get"):
                continue
            responses = operation.setdefault("responses", {})
            add(responses, "429", "Throttled: the client's rate limit is spent (see the Retry-After header)")
            responses["429"].setdefault("headers", {"Retry-After": {
                "schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}})
            if method in WRITE_METHODS and path.startswith("/api/v1/"):
                add(responses, "413", "Payload too large: the body exceeds 1 MB")
                add(responses, "400", "Malformed request")
                add(responses, "409", "Conflict; also an Idempotency-Key reused with another body, or "
                                      "still in progress")
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append({
                        "name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "Makes the write safe to retry for 24 h: a repeat with the same key "
                                       "and body answers the first answer and changes nothing.",
                    })
    return result
