"""The audit log table. Rows are inserted, never updated or deleted (triggers enforce it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import db
from tenants.models import TenantTagged, utcnow


class AuditEvent(TenantTagged, db.Model):
    __tablename__ = "audit_event"
    # No RETURNING on insert: a platform event (no tenant) would fail the read policy that
    # PostgreSQL applies to returned rows, and the log never needs the new id back.
    __table_args__ = (
        sa.Index("ix_audit_event_tenant_time", "tenant_id", "occurred_at"),
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str | None] = mapped_column(sa.String(40))
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
