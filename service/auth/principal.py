"""The Principal: who is acting in this request, with what permissions and which scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import abort, g

from service.auth.roles import ROLES, Level, Permission, Role
from tenants.scope import Scope


@dataclass(frozen=True)
class Principal:
    kind: str  # "user", "token" or "anonymous"
    id: int | None
    label: str
    scope: Scope
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    role: Role | None = None
    level: Level | str | None = None
    association_id: int | None = None
    federation_id: int | None = None
    read_only: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def audit_label(self) -> str:
        return f"{self.kind}:{self.id} {self.label}" if self.id else self.kind


ANONYMOUS = Principal("anonymous", None, "anonymous", Scope.nothing())


def principal_for_user(user) -> Principal:
    """The user's principal; the scope follows from the role's level, never from input."""
    role = Role(user.role)
    level = ROLES[role].level
    if level is Level.ASSOCIATION:
        scope = Scope.association(user.association_id)
    elif level is Level.FEDERATION:
        scope = Scope.federation(user.federation_id)
    else:  # A platform operator sees no tenant data unless it opens a system_scope.
        scope = Scope.nothing()
    return Principal(
        "user",
        user.id,
        user.username,
        scope,
        ROLES[role].permissions,
        role,
        level,
        user.association_id,
        user.federation_id,
    )


def current_principal() -> Principal:
    return g.get("principal", ANONYMOUS)


def require(permission: Permission):
    """View decorator: 401/login for anonymous, 403 when the role lacks `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if not principal.is_authenticated:
                abort(401)
            if not principal.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
