"""Members, group members, the association's joining policy, and member imports."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.i18n import lazy_gettext as _l

# 职称, in rank order (the document lets 中级 and above join): the levels the import engine
# reads the titles of every series into.
from service.imports.titles import Level as ProfessionalTitle
from tenants.db import db
from tenants.models import TenantOwned, account_of_the_tenant, tenant_fk, utcnow

PERSONAL = {"personal": True}


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


TITLE_LABELS = {
    ProfessionalTitle.NONE: _l("No professional title"),
    ProfessionalTitle.JUNIOR: _l("Junior title"),
    ProfessionalTitle.INTERMEDIATE: _l("Intermediate title"),
    ProfessionalTitle.ASSOCIATE_SENIOR: _l("Associate senior title"),
    ProfessionalTitle.SENIOR: _l("Senior title"),
}


class MemberStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    DECEASED = "deceased"


STATUS_LABELS = {
    MemberStatus.ACTIVE: _l("Active member"),
    MemberStatus.LAPSED: _l("Lapsed"),
    MemberStatus.WITHDRAWN: _l("Withdrawn"),
    MemberStatus.DECEASED: _l("Deceased"),
}


class Member(TenantOwned, db.Model):
    """An individual member (个人会员). Only the name and one contact are required; every
    other field has a purpose stated in `FIELD_PURPOSES`."""

    __tablename__ = "member"
    __tenant_table_args__ = (
        # One member per account: the account is of the member's own association (the
        # composite key), so unique per association is unique everywhere (deploy/SCALE.md).
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_member_tenant_user"),
        account_of_the_tenant("user_id"),
        sa.UniqueConstraint("tenant_id", "phone", name="uq_member_tenant_phone"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_member_tenant_email"),
        # A staff number (工号) is the university's own key for a person, where it is given.
        sa.Index(
            "uq_member_tenant_staff_number",
            "tenant_id",
            "staff_number",
            unique=True,
            postgresql_where=sa.text("staff_number IS NOT NULL"),
            sqlite_where=sa.text("staff_number IS NOT NULL"),
        ),
        sa.Index("ix_member_tenant_status", "tenant_id", "status"),
        # The member lists' order (`members_query`): a page is read from it, not sorted.
        sa.Index(
            "ix_member_tenant_pinyin",
            "tenant_id",
            sa.text("name COLLATE pinyin"),
            "id",
            postgresql_where=sa.text("erased_at IS NULL"),
            sqlite_where=sa.text("erased_at IS NULL"),
        ),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL", name="one_contact"
        ),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year"
        ),
    )

    name: Mapped[str] = mapped_column(sa.String(50), info=PERSONAL)
    # 工号: the university's staff number, what HR and personnel systems key a person by.
    staff_number: Mapped[str | None] = mapped_column(sa.String(30), info=PERSONAL)
    gender: Mapped[str | None] = mapped_column(sa.String(10), info=PERSONAL)
    birth_year: Mapped[int | None] = mapped_column(info=PERSONAL)
    department: Mapped[str | None] = mapped_column(sa.String(100))
    discipline: Mapped[str | None] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(20), default=ProfessionalTitle.NONE.value)
    position: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(30), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(sa.String(120), info=PERSONAL)
    societies: Mapped[str | None] = mapped_column(sa.String(500))
    in_cast_society: Mapped[bool] = mapped_column(default=False)
    exception_reason: Mapped[str | None] = mapped_column(sa.String(500))
    joined_on: Mapped[date] = mapped_column(default=date.today)
    status: Mapped[str] = mapped_column(sa.String(20), default=MemberStatus.ACTIVE.value)
    status_changed_on: Mapped[date | None]
    consent_version: Mapped[int | None]
    consent_at: Mapped[datetime | None]
    consent_withdrawn_at: Mapped[datetime | None]
    named_upward: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# A member's unique keys in the association, as a clash is told when the check before the
# write was passed by someone else's write at the same moment (`claimed`).
KEYS_TAKEN = {
    "phone": _l("This mobile phone number is already used by another member of this association."),
    "email": _l("This e-mail address is already used by another member of this association."),
    "staff_number": _l("This staff number is already used by another member of this association."),
}


class MemberChange(StrEnum):
    """What happened to a member on a day; each leaves the member in one status."""

    JOINED = "joined"
    REINSTATED = "reinstated"
    LAPSED = "lapsed"
    WITHDREW = "withdrew"
    DIED = "died"
    ERASED = "erased"


class MemberStatusChange(TenantOwned, db.Model):
    """A dated step of a member's status, from joining on: the statistics count the members
    as at a day from these rows. They hold no personal data, so erasure keeps them."""

    __tablename__ = "member_status_change"
    __tenant_table_args__ = (
        tenant_fk("member_id", "member", ondelete="CASCADE"),
        sa.Index("ix_member_status_change_tenant_day", "tenant_id", "changed_on"),
    )

    member_id: Mapped[int]
    change: Mapped[str] = mapped_column(sa.String(20))
    # The member's status from that day on.
    status: Mapped[str] = mapped_column(sa.String(20))
    changed_on: Mapped[date]


FIELD_PURPOSES = {
    "name": _l("To identify you in the association's register."),
    "staff_number": _l("To match your record with the university's personnel records."),
    "gender": _l("Optional; only counted in anonymous statistics."),
    "birth_year": _l("Optional; only counted in age-group statistics."),
    "department": _l("To connect you with your department's association."),
    "discipline": _l("To invite you to academic exchange in your field."),
    "title": _l("Membership rules depend on the professional title."),
    "position": _l("To recognise the work you do."),
    "phone": _l("To reach you about association activities."),
    "email": _l("To send you notices and the newsletter."),
    "societies": _l("Members of CAST societies join automatically."),
    "joined_on": _l("The date your membership began."),
}


class GroupMemberKind(StrEnum):
    UNDERGRADUATE = "undergraduate"
    GRADUATE = "graduate"
    YOUNG_TEACHER = "young_teacher"
    RETIRED_TEACHER = "retired_teacher"
    DEPARTMENT = "department"
    OTHER = "other"  # an association's own kind, named in `kind_name`


KIND_LABELS = {
    GroupMemberKind.UNDERGRADUATE: _l("Undergraduate S&T association"),
    GroupMemberKind.GRADUATE: _l("Graduate S&T association"),
    GroupMemberKind.YOUNG_TEACHER: _l("Young teachers' S&T association"),
    GroupMemberKind.RETIRED_TEACHER: _l("Retired teachers' S&T association"),
    GroupMemberKind.DEPARTMENT: _l("Department S&T association"),
    GroupMemberKind.OTHER: _l("Other (named by the association)"),
}


class GroupMember(TenantOwned, db.Model):
    """A group member (团体会员): a sub-organisation of the association."""

    __tablename__ = "group_member"

    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(30))
    kind_name: Mapped[str | None] = mapped_column(sa.String(100))
    leader_name: Mapped[str | None] = mapped_column(sa.String(50), info=PERSONAL)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30), info=PERSONAL)
    member_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    # The day it became a group member (its status changes say when it left).
    joined_on: Mapped[date] = mapped_column(default=date.today)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        if self.kind == GroupMemberKind.OTHER and self.kind_name:
            return self.kind_name
        return str(KIND_LABELS[GroupMemberKind(self.kind)])


class GroupMemberStatusChange(TenantOwned, db.Model):
    """The history of a group member's status, shown to the secretariat."""

    __tablename__ = "group_member_status_change"
    __tenant_table_args__ = (tenant_fk("group_member_id", "group_member", ondelete="CASCADE"),)

    group_member_id: Mapped[int]
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    changed_on: Mapped[date] = mapped_column(default=date.today)
    reason: Mapped[str | None] = mapped_column(sa.String(500))


class JoiningProcedure(StrEnum):
    OPEN_WITH_APPROVAL = "open_with_approval"
    INVITATION_ONLY = "invitation_only"


class MembershipPolicy(TenantOwned, db.Model):
    """How people join this association and what members' rights and duties are."""

    __tablename__ = "membership_policy"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_membership_policy_one"),)

    procedure: Mapped[str] = mapped_column(
        sa.String(30), default=JoiningProcedure.OPEN_WITH_APPROVAL.value
    )
    rights_and_duties: Mapped[str] = mapped_column(sa.Text, default="")
    # Raised whenever the text members consent to changes.
    consent_version: Mapped[int] = mapped_column(default=1)
    # The secret part of the invitation link, for invitation-only associations.
    invite_code: Mapped[str] = mapped_column(sa.String(32), default=new_invite_code)

    @classmethod
    def defaults(cls) -> MembershipPolicy:
        """The policy of an association whose admin never saved one: open, with approval.
        Not added to the session, so reading it writes nothing."""
        return cls(
            procedure=JoiningProcedure.OPEN_WITH_APPROVAL.value,
            rights_and_duties="",
            consent_version=1,
        )


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MemberApplication(TenantOwned, db.Model):
    """A person's application to join, from the public form; staff decide it."""

    __tablename__ = "member_application"
    __tenant_table_args__ = (
        tenant_fk("member_id", "member"),
        sa.Index("ix_member_application_tenant_status", "tenant_id", "status"),
    )

    name: Mapped[str] = mapped_column(sa.String(50), info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(sa.String(30), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(sa.String(120), info=PERSONAL)
    department: Mapped[str | None] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(20))
    societies: Mapped[str | None] = mapped_column(sa.String(500))
    in_cast_society: Mapped[bool] = mapped_column(default=False)
    statement: Mapped[str | None] = mapped_column(sa.String(1000))
    consent_version: Mapped[int]
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default=ApplicationStatus.PENDING.value)
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))
    member_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


IMPORT_KINDS = ("members", "groups", "activities")


class MemberImport(TenantOwned, db.Model):
    """One uploaded file and what became of it: individual members, group members or
    activities (`kind`), read by the same import engine."""

    __tablename__ = "member_import"

    kind: Mapped[str] = mapped_column(sa.String(20), default="members", server_default="members")
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, info=PERSONAL)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    total_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list | None] = mapped_column(sa.JSON)
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
