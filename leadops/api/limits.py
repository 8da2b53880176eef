"""Request limits of the API that must answer before a body is parsed (api.md: 413 in the one error shape).

``BodySizeLimitMiddleware`` refuses a request under ``/api/`` whose declared ``Content-Length`` exceeds
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (1 MB) with ``413 payload_too_large``, without reading the body. A body sent
without a length (chunked) is still capped by Django itself when it is read.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from leadops.api.errors import error_body

API_PREFIX = "/api/"
MAX_ITEMS_PER_REQUEST = 1000  # bulk lists (leads, events): more answer 422


def max_body_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 1024 * 1024)


def payload_too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        error_body("payload_too_large", f"The request body exceeds {limit} bytes.", {"max_bytes": limit}),
        status=413,
    )


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            limit = max_body_bytes()
            raw = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw)
            except ValueError:
                return JsonResponse(error_body("malformed_request", "Invalid Content-Length header."), status=400)
            if length > limit:
                return payload_too_large(limit)
        return self.get_response(request)
