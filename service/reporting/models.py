"""The reporting cycle's records: a period per federation and year, each association's annual
report (versioned; locked with a content hash when approved), the federation's roll-up, and
the outbox that pushes a locked roll-up to the national endpoint."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import Association, FederationOnly, SharedWithAssociations, TenantOwned, utcnow


def content_hash(figures: dict) -> str:
    """SHA-256 of the canonical JSON of the figures: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReportStatus(StrEnum):
    COMPILING = "compiling"
    COMPILED = "compiled"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    FAILED = "failed"  # the compile job gave up or was lost; the association compiles again


STATUS_LABELS = {
    ReportStatus.COMPILING: _l("Compiling"),
    ReportStatus.COMPILED: _l("Compiled"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.RETURNED: _l("Returned for revision"),
    ReportStatus.APPROVED: _l("Approved"),
    ReportStatus.FAILED: _l("Compile failed"),
}


class LockedSnapshot(RuntimeError):
    """A write would change an approved (locked) report or roll-up."""


class ReportingPeriod(SharedWithAssociations, db.Model):
    """A federation's reporting year, opened by its officer, with the filing deadline.

    Not tenant data: it belongs to the federation, whose associations read it (to file in).
    """

    __tablename__ = "reporting_period"
    __table_args__ = (sa.UniqueConstraint("federation_id", "year"),)

    year: Mapped[int]
    deadline: Mapped[date]
    opened_by: Mapped[str] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnualReport(TenantOwned, db.Model):
    """One version of an association's report for a period. Only the latest version is
    worked on; an approved one is frozen (`locked_hash`) and kept when reopened."""

    __tablename__ = "annual_report"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "period_id", "version", name="uq_annual_report_version"),
    )

    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_period.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default=ReportStatus.COMPILING.value)
    figures: Mapped[dict | None] = mapped_column(sa.JSON)
    figures_hash: Mapped[str | None] = mapped_column(sa.String(64))
    explanations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    review_comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    locked_hash: Mapped[str | None] = mapped_column(sa.String(64))
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    compile_started_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    compiled_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None]
    reopen_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    period: Mapped[ReportingPeriod] = db.relationship(lazy="joined", viewonly=True)
    association: Mapped[Association] = db.relationship(viewonly=True)

    @property
    def year(self) -> int:
        return self.period.year

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[ReportStatus(self.status)])

    @property
    def locked(self) -> bool:
        return self.locked_hash is not None


class RollupStatus(StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"


class FederationRollup(FederationOnly, db.Model):
    """The federation's sum of its associations' approved reports for a year, and who is
    missing. Locked with a hash; a new compile after locking makes the next version."""

    __tablename__ = "federation_rollup"
    __table_args__ = (sa.UniqueConstraint("federation_id", "year", "version"),)

    year: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(10), default=RollupStatus.DRAFT.value)
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # [{"association_id", "report_version", "hash"}] of the approved reports summed.
    included: Mapped[list] = mapped_column(sa.JSON, default=list)
    missing: Mapped[list] = mapped_column(sa.JSON, default=list)
    locked_hash: Mapped[str | None] = mapped_column(sa.String(64))
    locked_by: Mapped[str | None] = mapped_column(sa.String(120))
    locked_at: Mapped[datetime | None]
    compiled_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def locked(self) -> bool:
        return self.locked_hash is not None

    @property
    def missing_ids(self) -> list[int]:
        """The associations not included, by id alone (what the national API shows)."""
        return [m["association_id"] for m in self.missing]


class NationalEndpoint(FederationOnly, db.Model):
    """Where a federation pushes its locked roll-ups. The bearer secret is never shown."""

    __tablename__ = "national_endpoint"

    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), unique=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str | None] = mapped_column(sa.String(200), info={"secret": True})
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PushStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    GAVE_UP = "gave_up"


class PushOutbox(FederationOnly, db.Model):
    """One locked roll-up to deliver, written in the lock's transaction. Every attempt is
    kept in `attempts` for the federation to see; the key makes a re-sent push harmless."""

    __tablename__ = "push_outbox"
    __table_args__ = (sa.UniqueConstraint("federation_id", "idempotency_key"),)

    rollup_id: Mapped[int] = mapped_column(sa.ForeignKey("federation_rollup.id"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10), default=PushStatus.PENDING.value)
    attempts: Mapped[list] = mapped_column(sa.JSON, default=list)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormHeader(db.Model):
    """The block at the top right of a national statistical form for one reporting year
    (表号, 制定机关, 批准文号, 有效期至), as the platform operator sets it. The forms are the
    same for every federation, so the row is the platform's; an empty field prints the
    default (`national_forms.default_header`)."""

    __tablename__ = "statistical_form_header"
    __table_args__ = (sa.UniqueConstraint("year", "table_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    table_code: Mapped[str] = mapped_column(sa.String(20))  # a form of national_forms.FORMS
    form_number: Mapped[str | None] = mapped_column(sa.String(50))
    issuer: Mapped[str | None] = mapped_column(sa.String(100))
    approval_number: Mapped[str | None] = mapped_column(sa.String(100))
    valid_until: Mapped[date | None]
    updated_by: Mapped[str] = mapped_column(sa.String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _refuse_locked_changes(_mapper, _connection, target) -> None:
    """The approved snapshot is immutable: whatever code path tries, the flush fails.
    (The migration adds a database trigger that refuses the same for raw SQL.)"""
    history = sa.inspect(target).attrs.locked_hash.history
    was_locked = any(h is not None for h in history.deleted) or (
        not history.added and target.locked_hash is not None
    )
    if was_locked:
        raise LockedSnapshot(f"{type(target).__name__} {target.id} is locked")


def _refuse_locked_delete(_mapper, _connection, target) -> None:
    """Nor is it deleted (the migration's triggers refuse raw SQL too)."""
    history = sa.inspect(target).attrs.locked_hash.history
    if target.locked_hash is not None or any(h is not None for h in history.deleted):
        raise LockedSnapshot(f"{type(target).__name__} {target.id} is locked")


for _model in (AnnualReport, FederationRollup):
    event.listen(_model, "before_update", _refuse_locked_changes)
    event.listen(_model, "before_delete", _refuse_locked_delete)
