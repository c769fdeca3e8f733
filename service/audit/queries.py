"""Reading the audit log, in the current scope."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.models import AuditEvent


def events_in_scope() -> sa.Select:
    """Newest first. Tenant events follow the scope; platform events (no tenant) are seen
    only inside a system_scope."""
    return sa.select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
