"""The per-client rate limit: requests made with an API token are counted per token.

The rate is the token's ``rate_limit`` (e.g. ``600/min``), or ``settings.LEADOPS_API_CLIENT_RATE``.
Over it, the answer is ``429 throttled`` with ``Retry-After`` (seconds), in the one error shape.
Browser sessions are not throttled.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from leadops.models import ApiToken


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def __init__(self) -> None:  # the rate is the token's, read per request (not THROTTLE_RATES)
        self.rate = None

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        rate = token.rate_limit or getattr(settings, "LEADOPS_API_CLIENT_RATE", "")
        if not rate:
            return True
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request, view)
