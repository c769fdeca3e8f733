"""Applications to join: the public form, and the secretariat's decision.

A person who is already a member (same phone or e-mail) is merged into that record rather
than doubled, but never silently under another name: when the names differ, staff compare
the two records side by side and choose the name the member keeps. Likely duplicates (a
member or another pending application with the same phone, e-mail or name) are shown on the
review page before anything is decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.access import in_scope
from service.errors import NotFound
from service.i18n import lazy_gettext as _l
from service.members import services
from service.members.models import (
    KEYS_TAKEN,
    ApplicationStatus,
    JoiningProcedure,
    Member,
    MemberApplication,
    MembershipPolicy,
    MemberStatus,
)
from service.unique_keys import claimed
from tenants.db import db
from tenants.models import Association, utcnow

APPLICANT_FIELDS = ("name", "phone", "email", "department", "title", "societies", "in_cast_society")


def open_for_applications(
    association_id: int, code: str | None
) -> tuple[Association, MembershipPolicy]:
    """The association and its policy if this visitor may apply; NotFound otherwise, as
    for an association that does not exist (an invitation-only association answers only
    to its invitation code)."""
    association = in_scope(Association, association_id)
    policy = services.policy()
    invited = policy.procedure != JoiningProcedure.INVITATION_ONLY or code == policy.invite_code
    if association.status != "active" or not invited:
        raise NotFound()
    return association, policy


def submit(policy: MembershipPolicy, data: dict[str, Any]) -> MemberApplication:
    """File a visitor's application under the association's present policy; flushed, so it
    is written under the association's scope the public page opened for it."""
    fields = {f: data.get(f) for f in APPLICANT_FIELDS}
    if not fields.get("phone") and not fields.get("email"):
        raise services.MembershipError(_l("Give a phone number or an e-mail address."))
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    application = MemberApplication(
        **fields, statement=data.get("statement"), consent_version=policy.consent_version
    )
    db.session.add(application)
    db.session.flush()
    return application


def _pending_query() -> sa.Select:
    return (
        sa.select(MemberApplication)
        .where(MemberApplication.status == ApplicationStatus.PENDING)
        .order_by(MemberApplication.created_at)
    )


def pending() -> list[MemberApplication]:
    """The applications waiting for a decision, oldest first."""
    return list(db.session.scalars(_pending_query()))


def access_application(application_id: int) -> MemberApplication:
    """The application with `application_id` if the current scope holds it: NotFound for
    a missing id and for another association's application alike."""
    return in_scope(MemberApplication, application_id)


class NamesDiffer(services.MembershipError):
    """The member with the applicant's phone or e-mail has another name: merging needs the
    staff's choice of the name, on the side-by-side page."""

    def __init__(self, member: Member):
        super().__init__(
            _l(
                "A member with this phone or e-mail exists under another name: compare the"
                " two records and choose the name before merging."
            )
        )
        self.member = member


class NameNotChosen(services.MembershipError):
    """A merge of two records with different names, and no name chosen."""

    def __init__(self):
        super().__init__(_l("The names differ: choose which name the member keeps."))


NAME_CHOICES = ("member", "application")


def approve(application: MemberApplication, decided_by: str, reason: str | None = None) -> Member:
    """Make the applicant a member, or merge into the member they already are (same phone
    or e-mail, and the same name; another name raises NamesDiffer). An applicant who meets
    neither condition is admitted only with a stated reason (the staff's, or the applicant's
    own statement)."""
    _must_be_pending(application)
    existing = services.find_duplicate(application.phone, application.email)
    if existing is None:
        return create_new(application, decided_by, reason)
    if names_differ(existing, application):
        raise NamesDiffer(existing)
    return merge(application, existing, decided_by, reason)


def create_new(application: MemberApplication, decided_by: str, reason: str | None) -> Member:
    """A new member from the application, even where a member has the same name (two
    people may); a member with the same phone or e-mail is refused (DuplicateMember)."""
    _must_be_pending(application)
    member = services.create_member(_applicant_data(application, reason))
    db.session.flush()
    return _admitted(application, member, decided_by)


def merge(
    application: MemberApplication,
    member: Member,
    decided_by: str,
    reason: str | None,
    keep_name: str | None = None,
) -> Member:
    """Merge the application into `member`: empty fields of the member are filled from it.
    Two different names are never joined silently: `keep_name` ("member" or "application")
    must say which name stays. A member who had left is a member again from today."""
    _must_be_pending(application)
    if names_differ(member, application):
        if keep_name not in NAME_CHOICES:
            raise NameNotChosen()
        if keep_name == "application":
            member.name = application.name
    with claimed(Member, KEYS_TAKEN):  # a phone or e-mail given to another since
        for field, value in _applicant_data(application, reason).items():
            if value not in (None, "") and getattr(member, field) in (None, "", False):
                setattr(member, field, value)
    if member.status != MemberStatus.ACTIVE:
        services.set_member_status(member, MemberStatus.ACTIVE)
    return _admitted(application, member, decided_by)


def _applicant_data(application: MemberApplication, reason: str | None) -> dict[str, Any]:
    data = {f: getattr(application, f) for f in APPLICANT_FIELDS}
    data["exception_reason"] = (reason or "").strip() or application.statement
    return data


def names_differ(member: Member, application: MemberApplication) -> bool:
    return (member.name or "").strip() != (application.name or "").strip()


def _admitted(application: MemberApplication, member: Member, decided_by: str) -> Member:
    member.consent_version = application.consent_version
    member.consent_at = application.consent_at
    member.consent_withdrawn_at = None
    _decide(application, ApplicationStatus.APPROVED, decided_by, None)
    application.member_id = member.id
    return member


def reject(application: MemberApplication, decided_by: str, reason: str) -> None:
    _must_be_pending(application)
    if not reason or not reason.strip():
        raise services.MembershipError(_l("Give the reason for the rejection."))
    _decide(application, ApplicationStatus.REJECTED, decided_by, reason.strip())


def _must_be_pending(application: MemberApplication) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise services.MembershipError(_l("This application is decided already."))


def _decide(application, status, decided_by, reason) -> None:
    application.status = status.value
    application.decided_by = decided_by
    application.decided_at = utcnow()
    application.decision_reason = reason


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_pending_query().subquery()))


# --- likely duplicates ----------------------------------------------------------------

MATCH_FIELDS = ("phone", "email", "name")


# What a likely duplicate shares with the application, as the warning says it.
SHARED_LABELS = {
    "phone": _l("the same mobile phone"),
    "email": _l("the same e-mail"),
    "name": _l("the same name (applications give no birth year to tell them apart)"),
}


@dataclass(frozen=True)
class Likely:
    """A record that may be the applicant: a member, or another pending application, and
    which of phone, e-mail and name it shares with the application."""

    record: Member | MemberApplication
    shared: tuple[str, ...]

    @property
    def is_member(self) -> bool:
        return isinstance(self.record, Member)


def likely_duplicates(application: MemberApplication) -> list[Likely]:
    """Members (not erased) and other pending applications of this association with the
    same phone, the same e-mail or the same name. An application carries no birth year (the
    form does not ask for one), so a name alone is shown as the weaker sign it is."""
    found = []
    for model in (Member, MemberApplication):
        clauses = [
            getattr(model, field) == _matched_value(application, field)
            for field in MATCH_FIELDS
            if _matched_value(application, field)
        ]
        if not clauses:
            continue
        query = sa.select(model).where(sa.or_(*clauses)).order_by(model.id).limit(20)
        if model is Member:
            query = query.where(Member.erased_at.is_(None))
        else:
            query = query.where(
                MemberApplication.id != application.id,
                MemberApplication.status == ApplicationStatus.PENDING,
            )
        for record in db.session.scalars(query):
            shared = tuple(
                f
                for f in MATCH_FIELDS
                if _matched_value(application, f)
                and _matched_value(record, f) == _matched_value(application, f)
            )
            found.append(Likely(record, shared))
    return found


def _matched_value(record: Member | MemberApplication, field: str) -> str | None:
    value = (getattr(record, field) or "").strip()
    return (value.lower() if field == "email" else value) or None


@dataclass(frozen=True)
class Comparison:
    """One field of the side-by-side page: both values and what a merge keeps."""

    field: str
    applicant: Any
    member: Any
    after_merge: Any

    @property
    def same(self) -> bool:
        return self.applicant == self.member


COMPARED_LABELS = {
    "name": _l("Name"),
    "phone": _l("Mobile phone"),
    "email": _l("E-mail"),
    "department": _l("Department"),
    "title": _l("Professional title"),
    "societies": _l("Societies"),
    "in_cast_society": _l("CAST society member"),
}


def compare(application: MemberApplication, member: Member) -> list[Comparison]:
    """The fields both records have, side by side; after a merge the member keeps its own
    value where it has one (the name as staff choose)."""
    rows = []
    for field in COMPARED_LABELS:
        ours, theirs = getattr(application, field), getattr(member, field)
        kept = theirs if theirs not in (None, "", False) or field == "name" else ours
        rows.append(Comparison(field, ours, theirs, kept))
    return rows
