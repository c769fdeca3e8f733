"""The audit log page."""

from __future__ import annotations

from flask import Blueprint, render_template

from service.audit.models import AuditEvent
from service.audit.queries import events_in_scope
from service.auth.principal import current_principal, require
from service.auth.roles import Level, Permission
from service.web.pagination import page_of
from tenants.scope import system_scope

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def index():
    query = events_in_scope()
    if current_principal().level is Level.PLATFORM:
        # Operators read the platform's own events, never a tenant's.
        with system_scope("operator reads platform audit events"):
            page = page_of(query.where(AuditEvent.tenant_id.is_(None)))
            items = list(page.items)
    else:
        page = page_of(query)
        items = list(page.items)
    return render_template("audit/index.html", page=page, events=items)
