"""The audit log's two tables. Rows are inserted, never updated or deleted (triggers enforce
it).

An event about a tenant (anything written in an association's name, a sign-in to one of its
accounts) goes to `audit_event`, a tenant table like any other: its `tenant_id` is never
NULL, and row-level security shows it only to that tenant's scopes. An event of no tenant
(the operator's work, a federation's own records, a sign-in of an account above the
associations) goes to `platform_audit_event`, which has no tenant column at all and is read
only in `system_scope`, by the operator's log (deploy/SCALE.md says why two tables).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import db
from tenants.models import PlatformOwned, TenantOwned, utcnow


class Logged:
    """The columns of an event, the same in both tables."""

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str | None] = mapped_column(sa.String(40))
    changes: Mapped[dict | None] = mapped_column(sa.JSON)


class AuditEvent(Logged, TenantOwned, db.Model):
    """An event about one association (the tenant)."""

    __tablename__ = "audit_event"
    __tenant_table_args__ = (
        sa.Index("ix_audit_event_tenant_time", "tenant_id", "occurred_at"),
        # The log's order across associations: a federation reads it newest first.
        sa.Index("ix_audit_event_time", "occurred_at", "id"),
    )


class PlatformAuditEvent(Logged, PlatformOwned, db.Model):
    """An event of no tenant: the platform's and the federations' own."""

    __tablename__ = "platform_audit_event"
    __table_args__ = (sa.Index("ix_platform_audit_event_time", "occurred_at"),)
