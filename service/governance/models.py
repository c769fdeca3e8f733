"""Governance bodies and people (组织建设): congress, committee, standing committee, meetings,
officers with their terms, and the secretariat. Every row belongs to one association."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.files.models import StoredFile
from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import FederationOnly, SharedWithAssociations, TenantOwned, tenant_fk, utcnow


class CommitteeTerm(TenantOwned, db.Model):
    """A committee (委员会) elected by a congress for a term."""

    __tablename__ = "committee_term"
    __tenant_table_args__ = (sa.Index("ix_committee_term_tenant_start", "tenant_id", "starts_on"),)

    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[CommitteeMember]] = db.relationship(
        primaryjoin="and_(CommitteeTerm.tenant_id == foreign(CommitteeMember.tenant_id),"
        " CommitteeTerm.id == foreign(CommitteeMember.term_id))",
        order_by="CommitteeMember.id",
        viewonly=True,
    )
    standing_committee: Mapped[StandingCommittee | None] = db.relationship(
        primaryjoin="and_(CommitteeTerm.tenant_id == foreign(StandingCommittee.tenant_id),"
        " CommitteeTerm.id == foreign(StandingCommittee.term_id))",
        viewonly=True,
        uselist=False,
    )

    @property
    def standing_members(self) -> list[CommitteeMember]:
        return [m for m in self.members if m.on_standing_committee]


class CommitteeMember(TenantOwned, db.Model):
    """A member of a committee term; standing-committee members are chosen among them."""

    __tablename__ = "committee_member"
    __tenant_table_args__ = (tenant_fk("term_id", "committee_term", ondelete="CASCADE"),)

    term_id: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(50))
    unit: Mapped[str | None] = mapped_column(sa.String(100))
    on_standing_committee: Mapped[bool] = mapped_column(default=False)


class StandingCommittee(TenantOwned, db.Model):
    """The optional standing committee (常务委员会) of a committee term."""

    __tablename__ = "standing_committee"
    __tenant_table_args__ = (
        tenant_fk("term_id", "committee_term", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "term_id", name="uq_standing_committee_term"),
    )

    term_id: Mapped[int]
    formed_on: Mapped[date]


class Congress(TenantOwned, db.Model):
    """A session of the member (representative) congress (会员（代表）大会)."""

    __tablename__ = "congress"
    __tenant_table_args__ = (
        tenant_fk("elected_term_id", "committee_term"),
        sa.Index("ix_congress_tenant_held", "tenant_id", "held_on"),
    )

    held_on: Mapped[date]
    delegates: Mapped[int]
    elected_term_id: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)

    elected_term: Mapped[CommitteeTerm | None] = db.relationship(
        primaryjoin="and_(foreign(Congress.tenant_id) == CommitteeTerm.tenant_id,"
        " foreign(Congress.elected_term_id) == CommitteeTerm.id)",
        viewonly=True,
    )


class Body(StrEnum):
    """The bodies whose meetings the rules count."""

    CONGRESS = "congress"
    COMMITTEE = "committee"
    STANDING_COMMITTEE = "standing_committee"


BODY_LABELS = {
    Body.CONGRESS: _l("Congress"),
    Body.COMMITTEE: _l("Committee"),
    Body.STANDING_COMMITTEE: _l("Standing committee"),
}


class Meeting(TenantOwned, db.Model):
    """A meeting of a body: when, who came, what was decided."""

    __tablename__ = "governance_meeting"
    __tenant_table_args__ = (
        tenant_fk("term_id", "committee_term"),
        tenant_fk("minutes_file_id", "stored_file"),
        sa.Index("ix_governance_meeting_tenant_body_held", "tenant_id", "body", "held_on"),
    )

    body: Mapped[str] = mapped_column(sa.String(20))
    term_id: Mapped[int | None]
    held_on: Mapped[date]
    attendance: Mapped[int]
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    # The minutes as a file (a signed scan, say), besides or instead of the text.
    minutes_file_id: Mapped[int | None]

    minutes_file: Mapped[StoredFile | None] = db.relationship(
        primaryjoin="and_(foreign(Meeting.tenant_id) == StoredFile.tenant_id,"
        " foreign(Meeting.minutes_file_id) == StoredFile.id)",
        viewonly=True,
    )
    term: Mapped[CommitteeTerm | None] = db.relationship(
        primaryjoin="and_(foreign(Meeting.tenant_id) == CommitteeTerm.tenant_id,"
        " foreign(Meeting.term_id) == CommitteeTerm.id)",
        viewonly=True,
    )

    @property
    def body_label(self) -> str:
        return str(BODY_LABELS[Body(self.body)])


class Post(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY_GENERAL = "secretary_general"


POST_LABELS = {
    Post.CHAIR: _l("Chair"),
    Post.VICE_CHAIR: _l("Vice-chair"),
    Post.SECRETARY_GENERAL: _l("Secretary-general"),
}


class Eligibility(StrEnum):
    """Why a chair or vice-chair qualifies: the document asks for one of these."""

    UNIVERSITY_LEADER = "university_leader"
    RENOWNED_EXPERT = "renowned_expert"


ELIGIBILITY_LABELS = {
    Eligibility.UNIVERSITY_LEADER: _l("University-level leader"),
    Eligibility.RENOWNED_EXPERT: _l("Renowned expert"),
}


class Officer(TenantOwned, db.Model):
    """One person's term in a post. A handover ends the old term; nothing is overwritten."""

    __tablename__ = "officer"
    __tenant_table_args__ = (
        tenant_fk("approving_meeting_id", "governance_meeting"),
        sa.Index("ix_officer_tenant_post", "tenant_id", "post", "ends_on"),
    )

    post: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(50))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    eligibility: Mapped[str | None] = mapped_column(sa.String(20))
    eligibility_basis: Mapped[str | None] = mapped_column(sa.String(200))
    # The secretary-general only: nominated by the chair, approved at a meeting.
    nominated_on: Mapped[date | None]
    approving_meeting_id: Mapped[int | None]

    approving_meeting: Mapped[Meeting | None] = db.relationship(
        primaryjoin="and_(foreign(Officer.tenant_id) == Meeting.tenant_id,"
        " foreign(Officer.approving_meeting_id) == Meeting.id)",
        viewonly=True,
    )

    @property
    def post_label(self) -> str:
        return str(POST_LABELS[Post(self.post)])

    @property
    def eligibility_label(self) -> str:
        return str(ELIGIBILITY_LABELS[Eligibility(self.eligibility)]) if self.eligibility else ""

    def holds_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


class Secretariat(TenantOwned, db.Model):
    """The secretariat (秘书处): the working body, hosted by a university office."""

    __tablename__ = "secretariat"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_secretariat_one"),)

    host_office: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Establishment(TenantOwned, db.Model):
    """How the association was founded: charter accepted, approved by the provincial body,
    and so made its group member (团体会员) with the approval date and document number."""

    __tablename__ = "establishment"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_establishment_one"),)

    charter_accepted_on: Mapped[date | None]
    approved_on: Mapped[date | None]
    approved_by_federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    document_number: Mapped[str | None] = mapped_column(sa.String(50))


class FoundingDocument(TenantOwned, db.Model):
    """A supporting document of the approved application, kept by the association as one of
    its files: its founding papers, covered by its export like every file of its own."""

    __tablename__ = "founding_document"
    __tenant_table_args__ = (tenant_fk("file_id", "stored_file"),)

    file_id: Mapped[int]

    file: Mapped[StoredFile] = db.relationship(
        primaryjoin="and_(foreign(FoundingDocument.tenant_id) == StoredFile.tenant_id,"
        " foreign(FoundingDocument.file_id) == StoredFile.id)",
        viewonly=True,
    )


class ComplianceFinding(TenantOwned, db.Model):
    """One rule for one association in one period: a calendar year, or for the congress a
    term. Recomputed by a job; `service.governance.compliance` decides.

    A finding of a past period is not forgotten when the next period goes well: it stands
    until the federation records an explanation (who, when, what) or its rule's window
    passes and it is archived as history.
    """

    __tablename__ = "compliance_finding"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "rule", "period", name="uq_compliance_finding_period"),
        sa.Index("ix_compliance_finding_status", "tenant_id", "status"),
    )

    rule: Mapped[str] = mapped_column(sa.String(40))
    # The year ("2025"), the term's first day ("2024-04-20"), or "none" before any congress.
    period: Mapped[str] = mapped_column(sa.String(20))
    period_starts_on: Mapped[date | None]
    # When the period's duty fell (or falls) due: the year's last day, the term's deadline.
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(10))
    evidence_key: Mapped[str] = mapped_column(sa.String(40))
    evidence_params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    next_change_on: Mapped[date | None]
    evaluated_on: Mapped[date]
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    explained_by: Mapped[str | None] = mapped_column(sa.String(120))
    explained_at: Mapped[datetime | None]
    archived_on: Mapped[date | None]


class ProvincialThreshold(SharedWithAssociations, db.Model):
    """A federation's tighter value for one compliance threshold, for its whole province.

    Not tenant data: it belongs to the federation (its associations read it, for their
    compliance), and only ever tightens the document's rule
    (checked in `compliance.validate_override`).
    """

    __tablename__ = "provincial_threshold"
    __table_args__ = (sa.UniqueConstraint("federation_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Awaiting review"),
    ApplicationStatus.RETURNED: _l("Returned for revision"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REJECTED: _l("Rejected"),
}


EVENT_LABELS = {
    "submitted": _l("Submitted"),
    "resubmitted": _l("Resubmitted"),
    "returned": _l("Returned for revision"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


class EstablishmentApplication(FederationOnly, db.Model):
    """A university's application to found an association (成立申请).

    Not tenant data: there is no tenant until it is approved. It belongs to the federation
    it is addressed to, and only that federation's scope sees it (`FederationOnly`).
    The applicant follows it through a secret link; only the key's hash is kept.
    """

    __tablename__ = "establishment_application"

    university_name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    charter_accepted: Mapped[bool]
    st_workers: Mapped[int]
    host_office: Mapped[str] = mapped_column(sa.String(100))
    proposed_chair: Mapped[str] = mapped_column(sa.String(50))
    proposed_chair_basis: Mapped[str] = mapped_column(sa.String(200))
    proposed_vice_chairs: Mapped[str] = mapped_column(sa.Text)
    proposed_secretary_general: Mapped[str] = mapped_column(sa.String(50))
    contact_name: Mapped[str] = mapped_column(sa.String(50), info={"personal": True})
    contact_email: Mapped[str] = mapped_column(sa.String(120), info={"personal": True})
    status: Mapped[str] = mapped_column(sa.String(20), default=ApplicationStatus.SUBMITTED.value)
    access_key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"secret": True})
    submitted_on: Mapped[date]
    document_number: Mapped[str | None] = mapped_column(sa.String(50))
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[ApplicationEvent]] = db.relationship(
        order_by="ApplicationEvent.id", viewonly=True
    )
    documents: Mapped[list[ApplicationDocument]] = db.relationship(
        order_by="ApplicationDocument.id", viewonly=True
    )

    @property
    def status_label(self) -> str:
        return str(APPLICATION_STATUS_LABELS[ApplicationStatus(self.status)])


class ApplicationDocument(db.Model):
    """A supporting document of an establishment application (PDF or image, checked on
    upload). Like the application it belongs to the federation until approval, when it is
    copied into the new association's files."""

    __tablename__ = "application_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("establishment_application.id"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationEvent(db.Model):
    """One timestamped step of an application: submitted, returned, resubmitted, decided."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("establishment_application.id"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(120))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


LIFECYCLE_MOVES = {
    # The federation moves an association along these, always with a reason.
    "applying": ("active", "dissolved"),
    "active": ("suspended", "dissolved"),
    "suspended": ("active", "dissolved"),
    "dissolved": (),
}


class LifecycleChange(TenantOwned, db.Model):
    """A change of an association's status by its federation, with the reason: the history."""

    __tablename__ = "lifecycle_change"
    __tenant_table_args__ = (
        sa.Index("ix_lifecycle_change_tenant_time", "tenant_id", "changed_at"),
    )

    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(TenantOwned, db.Model):
    """A reminder about a finding: due soon, overdue or missing. Shown in the app, e-mailed
    where SMTP is set up.

    One per rule, period and state, so a finding is reminded of once each time its state
    changes, and a re-run of the daily job sends nothing twice.
    """

    __tablename__ = "reminder"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "rule", "period", "state", name="uq_reminder_state"),
    )

    rule: Mapped[str] = mapped_column(sa.String(40))
    period: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(10))
    # The date the reminder is about: when it falls due (due soon), or fell due.
    due_on: Mapped[date]
    sent_on: Mapped[date]
    emailed_to: Mapped[str | None] = mapped_column(sa.String(120), info={"personal": True})
