"""One permission class for the API: authentication, token scopes and role-based writes.

A view says which scope its reads and writes need (``read_scope`` / ``write_scope``) and who
may write (``may_write(user)``, default: admins). Token callers also need the scope; session
callers are judged by role alone. Visibility of single objects is the queryset's job: what a
role may not see is simply not found (404).
"""

from __future__ import annotations

from rest_framework import exceptions, permissions

from leadops import roles
from leadops.models import ApiToken, Scope


class MissingScope(exceptions.PermissionDenied):
    default_code = "missing_scope"

    def __init__(self, scope: str):
        super().__init__(f"This token lacks the scope {scope!r}.")
        self.scope = scope


def token_has_scope(auth: object, scope: str | None) -> bool:
    if scope is None or not isinstance(auth, ApiToken):
        return True
    return scope in auth.scopes or Scope.ADMIN in auth.scopes


class ScopedRolePermission(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        safe = request.method in permissions.SAFE_METHODS
        scope = getattr(view, "read_scope", None) if safe else getattr(view, "write_scope", Scope.ADMIN)
        action_scopes = getattr(view, "action_scopes", {})
        scope = action_scopes.get(getattr(view, "action", None), scope)
        if not token_has_scope(request.auth, scope):
            raise MissingScope(str(scope))
        if safe:
            return True
        if roles.role_of(user) in roles.READ_ONLY:
            raise exceptions.PermissionDenied("Your role is read-only.")
        may_write = getattr(view, "may_write", None)
        allowed = may_write(user) if may_write is not None else roles.may_configure(user)
        if not allowed:
            raise exceptions.PermissionDenied("Your role may not do this.")
        return True
