"""Reading the audit log: every reader goes through `page_for`, which applies the one
visibility rule of `visibility.py` on top of the current scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination

from service.audit import visibility
from service.audit.models import AuditEvent
from service.auth.principal import Principal
from service.auth.roles import Level
from service.web.pagination import page_of
from tenants.scope import system_scope

PER_PAGE = 50


@dataclass(frozen=True)
class AuditLine:
    """One event as this viewer may see it."""

    occurred_at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    tenant_id: int | None
    changes: dict | None


def page_for(principal: Principal, number: int | None = None) -> tuple[Pagination, list[AuditLine]]:
    """One page of the events this viewer may see, newest first, each with only the fields
    and the actor it may see. Operators read the platform's own events, never a tenant's."""
    if principal.level is Level.PLATFORM:
        with system_scope("operator reads platform audit events"):
            return _page(principal, number)
    return _page(principal, number)


def _page(principal: Principal, number: int | None) -> tuple[Pagination, list[AuditLine]]:
    query = visibility.events_visible_to(principal)
    page = page_of(query, PER_PAGE, number)
    events: list[AuditEvent] = list(page.items)
    fields = visibility.fields_seen(principal, events)
    actors = visibility.actors_seen(principal, events)
    return page, [_line(event, fields[event.id], actors[event.id]) for event in events]


def _line(event: AuditEvent, fields: frozenset[str] | None, actor: str) -> AuditLine:
    changes = event.changes
    if changes is not None and fields is not None:
        changes = {k: v for k, v in changes.items() if k in fields} or None
    return AuditLine(
        event.occurred_at,
        actor,
        event.action,
        event.entity,
        event.entity_id,
        event.tenant_id,
        changes,
    )
