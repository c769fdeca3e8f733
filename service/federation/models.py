"""Federation-level tables and the per-association rows they read.

Categories, the university directory, health weights, guidance, problems and comments belong
to a federation, not to a tenant: they are `FederationOwned`, scoped by `federation_id` as
tenant rows are by `tenant_id` (criteria, write guard, row-level security).
Category history, metric rollups and guidance receipts are about one association, so they are
tenant rows and the tenant scope and row-level security apply to them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import FederationOnly, SharedWithAssociations, TenantOwned, tenant_fk, utcnow


class UniversityCategory(SharedWithAssociations, db.Model):
    """One category of a federation's taxonomy; `code` is what a profile's `category` holds."""

    __tablename__ = "university_category"
    __table_args__ = (sa.UniqueConstraint("federation_id", "code"),)

    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)


class CategoryChange(TenantOwned, db.Model):
    """An association moved from one category to another: who, when, from, to and why."""

    __tablename__ = "category_change"
    __tenant_table_args__ = (sa.Index("ix_category_change_tenant_time", "tenant_id", "changed_at"),)

    from_code: Mapped[str | None] = mapped_column(sa.String(20))
    to_code: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class University(FederationOnly, db.Model):
    """A university of the province that has no association yet: the coverage gap the
    federation works to close. It leaves the list when its association is founded."""

    __tablename__ = "province_university"
    __table_args__ = (sa.UniqueConstraint("federation_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthWeight(FederationOnly, db.Model):
    """A federation's weight for one metric in the associations' health score."""

    __tablename__ = "health_weight"
    __table_args__ = (sa.UniqueConstraint("federation_id", "metric"),)

    metric: Mapped[str] = mapped_column(sa.String(60))
    weight: Mapped[int]


class MetricRollup(TenantOwned, db.Model):
    """One metric of one association for one year, kept by the rollup jobs so that the
    dashboards cost the size of the federation, not the number of records."""

    __tablename__ = "metric_rollup"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "year", "metric", name="uq_metric_rollup_key"),
    )

    year: Mapped[int]
    metric: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[float]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CategoryRollup(FederationOnly, db.Model):
    """One category's view of the federation for one year (distributions, placements,
    leaders and laggards), computed from the metric rollups whenever they are refreshed
    (`service.federation.jobs`), so that the category view is one indexed read."""

    __tablename__ = "category_rollup"
    __table_args__ = (
        sa.UniqueConstraint("federation_id", "category", "year", name="uq_category_rollup_key"),
    )

    category: Mapped[str] = mapped_column(sa.String(20))
    year: Mapped[int]
    view: Mapped[dict] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Audience(StrEnum):
    ALL = "all"
    CATEGORIES = "categories"
    ASSOCIATIONS = "associations"


AUDIENCE_LABELS = {
    Audience.ALL: _l("All associations"),
    Audience.CATEGORIES: _l("Associations of chosen categories"),
    Audience.ASSOCIATIONS: _l("Chosen associations"),
}


class Guidance(SharedWithAssociations, db.Model):
    """Guidance or a notice (指导意见/通知) a federation sends to its associations."""

    __tablename__ = "guidance"

    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    audience: Mapped[str] = mapped_column(sa.String(20))
    # The chosen category codes or association ids, by `audience`.
    targets: Mapped[list] = mapped_column(sa.JSON, default=list)
    deadline: Mapped[date | None]
    response_required: Mapped[bool] = mapped_column(default=False)
    issued_by: Mapped[str] = mapped_column(sa.String(120))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuidanceFile(db.Model):
    """An attachment of guidance: the federation's file, so kept beside the federation's row
    (as `StoredFile` keeps a tenant's) and read only through its guidance."""

    __tablename__ = "guidance_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    guidance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("guidance.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuidanceReceipt(TenantOwned, db.Model):
    """What one association did with one piece of guidance: read, acknowledged, responded."""

    __tablename__ = "guidance_receipt"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "guidance_id", name="uq_guidance_receipt_one"),
        tenant_fk("response_file_id", "stored_file"),
    )

    guidance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("guidance.id", ondelete="CASCADE"), index=True
    )
    read_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(120))
    responded_at: Mapped[datetime | None]
    response: Mapped[str | None] = mapped_column(sa.Text)
    response_file_id: Mapped[int | None]
    reminded_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)


class ProblemState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


PROBLEM_STATE_LABELS = {
    ProblemState.OPEN: _l("Open"),
    ProblemState.IN_PROGRESS: _l("In progress"),
    ProblemState.RESOLVED: _l("Resolved"),
}


class Problem(FederationOnly, db.Model):
    """A problem the federation follows: about one association or a whole category."""

    __tablename__ = "federation_problem"

    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"))
    category: Mapped[str | None] = mapped_column(sa.String(20))
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(sa.String(20), default=ProblemState.OPEN.value)
    opened_by: Mapped[str] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[ProblemEvent]] = db.relationship(order_by="ProblemEvent.id", viewonly=True)

    @property
    def state_label(self) -> str:
        return str(PROBLEM_STATE_LABELS[ProblemState(self.state)])


class ProblemEvent(db.Model):
    """One step of a problem: opened, assigned, moved to a state, with a note."""

    __tablename__ = "federation_problem_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(
        sa.ForeignKey("federation_problem.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(120))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProblemFinding(FederationOnly, db.Model):
    """A compliance finding a problem is about. While the finding stands (neither explained
    nor archived), the problem shows it as open and cannot be resolved."""

    __tablename__ = "federation_problem_finding"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["association_id", "finding_id"],
            ["compliance_finding.tenant_id", "compliance_finding.id"],
            ondelete="CASCADE",
        ),
        # With the association, which the finding's key holds: a key of a table distributed
        # by it (deploy/SCALE.md); the finding is one association's, so no weaker.
        sa.UniqueConstraint(
            "association_id", "problem_id", "finding_id", name="uq_federation_problem_finding"
        ),
    )

    problem_id: Mapped[int] = mapped_column(
        sa.ForeignKey("federation_problem.id", ondelete="CASCADE"), index=True
    )
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("association.id"))
    finding_id: Mapped[int]
    linked_by: Mapped[str] = mapped_column(sa.String(120))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(FederationOnly, db.Model):
    """A supervisor's comment on an association, on one version of its annual report, or on
    guidance (the education department reads and comments; the federation manages)."""

    __tablename__ = "federation_comment"

    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"))
    guidance_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("guidance.id", ondelete="CASCADE")
    )
    # The version of the association's annual report the comment was written on: a later
    # version's page shows it as an earlier version's, not as current (migration 0028).
    # The report version the comment was written on. No foreign key: comments are a
    # reference table on Citus (tenants/citus.py), which may not point at a distributed one;
    # the page that writes it has read the report through `access_report`.
    report_id: Mapped[int | None] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExemplarPage(FederationOnly, db.Model):
    """Whether a federation's page of exemplars is published (先进典型宣传): one row per
    federation that ever published it; the page is public while `published_at` is set."""

    __tablename__ = "federation_exemplar_page"

    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), unique=True)
    published_at: Mapped[datetime | None]
    changed_by: Mapped[str] = mapped_column(sa.String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
