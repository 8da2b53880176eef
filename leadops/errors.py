"""One error hierarchy for the domain. Each error carries a code and an HTTP status.

The DRF exception handler (``leadops.api.errors``) renders them into the api.md shape
``{"error": {"code", "message", "details"}}``; HTML views turn them into messages.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (a concurrent change, a duplicate)."""

    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class RuleViolation(DomainError):
    """Well-formed but breaks a rule of the domain; ``details`` names the field(s)."""

    status = 422
    code = "rule_violation"


class ValidationFailed(RuleViolation):
    code = "validation_error"


class Forbidden(DomainError):
    """Used only where the caller may see the object but lacks a scope (403 naming the scope)."""

    status = 403
    code = "forbidden"
