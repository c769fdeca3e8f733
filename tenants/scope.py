"""The current Scope: which associations (tenants) the current actor may see.

The scope lives in a ContextVar, decided on the server from the credential. There is no
default: code that touches tenant data with no scope set raises `NoScope`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum


class NoScope(RuntimeError):
    """Tenant data was touched with no scope set. There is no silent 'all'."""


class ScopeViolation(RuntimeError):
    """A write would put a row into, or move it to, a tenant outside the scope."""


class ScopeKind(StrEnum):
    ASSOCIATION = "association"
    FEDERATION = "federation"
    NATIONAL = "national"
    SYSTEM = "system"
    NONE = "none"


@dataclass(frozen=True)
class Scope:
    """What the actor may see.

    - ASSOCIATION: one association's rows.
    - FEDERATION / NATIONAL: every association of the given federations, resolved at
      query time (an association added to the federation later is seen at once).
    - SYSTEM: everything; only through `system_scope(reason)`.
    - NONE: an actor with nothing to see (a platform operator outside provisioning).
    """

    kind: ScopeKind
    association_id: int | None = None
    federation_ids: frozenset[int] = field(default_factory=frozenset)
    reason: str | None = None

    @classmethod
    def association(cls, association_id: int) -> Scope:
        return cls(ScopeKind.ASSOCIATION, association_id=int(association_id))

    @classmethod
    def federation(cls, federation_id: int) -> Scope:
        return cls(ScopeKind.FEDERATION, federation_ids=frozenset({int(federation_id)}))

    @classmethod
    def national(cls, federation_ids: Iterator[int] | list[int] | set[int]) -> Scope:
        return cls(ScopeKind.NATIONAL, federation_ids=frozenset(int(f) for f in federation_ids))

    @classmethod
    def nothing(cls) -> Scope:
        return cls(ScopeKind.NONE)

    @property
    def is_system(self) -> bool:
        return self.kind is ScopeKind.SYSTEM

    def to_dict(self) -> dict:
        """A JSON-safe form, for job arguments."""
        return {
            "kind": self.kind.value,
            "association_id": self.association_id,
            "federation_ids": sorted(self.federation_ids),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Scope:
        return cls(
            ScopeKind(data["kind"]),
            association_id=data.get("association_id"),
            federation_ids=frozenset(data.get("federation_ids") or ()),
            reason=data.get("reason"),
        )


_current: ContextVar[Scope | None] = ContextVar("tenant_scope", default=None)


def current_scope() -> Scope:
    """The scope in force; raises `NoScope` when none is set."""
    scope = _current.get()
    if scope is None:
        raise NoScope("no tenant scope is set for this query")
    return scope


def peek_scope() -> Scope | None:
    """The scope in force, or None; for code that must not raise (logging, RLS setup)."""
    return _current.get()


@contextlib.contextmanager
def use_scope(scope: Scope) -> Iterator[Scope]:
    """Run a block with `scope` in force, restoring the previous one afterwards."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def system_scope(reason: str) -> contextlib.AbstractContextManager[Scope]:
    """Cross every tenant on purpose. Say why: the reason is kept and easy to grep."""
    if not reason or not reason.strip():
        raise ValueError("system_scope needs a reason")
    return use_scope(Scope(ScopeKind.SYSTEM, reason=reason))


def set_scope(scope: Scope | None) -> object:
    """Set the scope for the rest of a request; returns a token for `reset_scope`."""
    return _current.set(scope)


def reset_scope(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
