"""``Idempotency-Key`` on every write under ``/api/v1/`` (api.md, docs/api-integrators.md).

A write (POST, PUT, PATCH, DELETE) carrying the header is remembered per caller and key for 24 hours:

* the first request claims the key (a row, unique per user and key, inserted before the write runs);
* a repeat with the same key, method, path and body gets the stored answer (same status and body, header
  ``Idempotent-Replayed: true``) and changes nothing;
* the same key with another body, method or path is ``409 idempotency_key_reused``;
* a repeat while the first is still running is ``409 idempotency_in_progress`` (retry later), so two
  concurrent requests never both write. The claim is an INSERT against the unique constraint, and the
  row is re-read under ``select_for_update`` before it is taken over (expired, or abandoned by a crashed
  worker after ``STALE_AFTER``);
* answers of 5xx and 429 are not stored: the key is released and the request may be retried.

A middleware rather than a view mixin, so every write endpoint gets it at once. The caller is resolved
the way the API resolves it (token header, or the session), without running the view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from leadops import clock
from leadops.api.errors import error_body
from leadops.models import ApiToken, IdempotencyKey, User, hash_token

HEADER = "Idempotency-Key"
PREFIX = "/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
TTL = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=5)  # a claim older than this without an answer was abandoned


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def principal(request: HttpRequest) -> User | None:
    """The caller as the API will see it, or None (then the API answers 401 and nothing is remembered)."""
    forced = getattr(request, "_force_auth_user", None)  # DRF's test client
    if forced is not None:
        return forced
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if header and header[0].lower() in ("token", "bearer"):
        if len(header) != 2:
            return None
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(header[1])).first()
        if token is None or not token.is_usable() or not token.user.is_active:
            return None
        return token.user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _conflict(code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=409)


def keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than 24 hours (the beat runs it hourly); returns how many."""
    cutoff = (now or clock.now()) - TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def claim(*, user: User, key: str, method: str, path: str, digest: str
          ) -> tuple[IdempotencyKey | None, HttpResponse | None]:
    """Claim ``key`` for this request: (the claimed row, None), or (None, the answer to give instead)."""
    now = clock.now()
    fields = {"method": method, "path": path, "body_hash": digest}
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, created_at=now, **fields), None
    except IntegrityError:
        pass
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is None:  # purged in between: claim it afresh
            return IdempotencyKey.objects.create(user=user, key=key, created_at=now, **fields), None
        expired = row.created_at <= now - TTL
        abandoned = row.status_code is None and row.created_at <= now - STALE_AFTER
        if expired or abandoned:
            for name, value in fields.items():
                setattr(row, name, value)
            row.status_code, row.response_body, row.content_type, row.created_at = None, b"", "", now
            row.save()
            return row, None
        if (row.method, row.path, row.body_hash) != (method, path, digest):
            return None, _conflict("idempotency_key_reused",
                                   f"The Idempotency-Key {key!r} was used for another request "
                                   f"({row.method} {row.path} with another body).")
        if row.status_code is None:
            return None, _conflict("idempotency_in_progress",
                                   f"A request with the Idempotency-Key {key!r} is still being processed; "
                                   "retry in a moment.")
        replay = HttpResponse(bytes(row.response_body), status=row.status_code,
                              content_type=row.content_type or "application/json")
        replay["Idempotent-Replayed"] = "true"
        return None, replay


def remember(row: IdempotencyKey, response: HttpResponse) -> None:
    """Store the answer, or release the key when the answer must not be replayed (5xx, 429, streaming)."""
    if response.status_code >= 500 or response.status_code == 429 or response.streaming:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=response.status_code, response_body=bytes(response.content),
        content_type=response.get("Content-Type", "application/json")[:100])


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITE_METHODS or not request.path.startswith(PREFIX):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return JsonResponse(error_body("malformed_request",
                                           f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters."), status=400)
        user = principal(request)
        if user is None:
            return self.get_response(request)
        row, answer = claim(user=user, key=key, method=str(request.method), path=request.path,
                            digest=body_hash(request.body))
        if answer is not None:
            return answer
        assert row is not None
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            raise
        remember(row, response)
        return response
