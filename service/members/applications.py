"""Applications to join: the public form, and the secretariat's decision.

A person who is already a member (same phone or e-mail) is merged into that record rather
than doubled.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from service.members import services
from service.members.models import (
    ApplicationStatus,
    JoiningProcedure,
    Member,
    MemberApplication,
    MembershipPolicy,
    MemberStatus,
)
from tenants.access import find_in_scope
from tenants.db import db
from tenants.models import Association, utcnow

APPLICANT_FIELDS = ("name", "phone", "email", "department", "title", "societies", "in_cast_society")


def open_for_applications(
    association_id: int, code: str | None
) -> tuple[Association, MembershipPolicy]:
    """The association and its policy if this visitor may apply; 404 otherwise (an
    invitation-only association answers only to its invitation code)."""
    association = find_in_scope(Association, association_id)
    if association is None or association.status != "active":
        abort(404)
    policy = services.policy()
    if policy.procedure == JoiningProcedure.INVITATION_ONLY and code != policy.invite_code:
        abort(404)
    return association, policy


def submit(policy: MembershipPolicy, data: dict[str, Any]) -> MemberApplication:
    fields = {f: data.get(f) for f in APPLICANT_FIELDS}
    if not fields.get("phone") and not fields.get("email"):
        raise services.MembershipError(_l("Give a phone number or an e-mail address."))
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    application = MemberApplication(
        **fields, statement=data.get("statement"), consent_version=policy.consent_version
    )
    db.session.add(application)
    return application


def pending() -> sa.Select:
    return (
        sa.select(MemberApplication)
        .where(MemberApplication.status == ApplicationStatus.PENDING)
        .order_by(MemberApplication.created_at)
    )


def access_application(application_id: int) -> MemberApplication:
    application = find_in_scope(MemberApplication, application_id)
    if application is None:
        abort(404)
    return application


def approve(application: MemberApplication, decided_by: str, reason: str | None = None) -> Member:
    """Make the applicant a member, or merge into the member they already are. An applicant
    who meets neither condition is admitted only with a stated reason (the staff's, or the
    applicant's own statement)."""
    _must_be_pending(application)
    data = {f: getattr(application, f) for f in APPLICANT_FIELDS}
    data["exception_reason"] = (reason or "").strip() or application.statement
    existing = services.find_duplicate(application.phone, application.email)
    if existing is not None:
        member = existing
        for field, value in data.items():
            if value not in (None, "") and getattr(member, field) in (None, "", False):
                setattr(member, field, value)
        # Approving makes the applicant a member again, from today.
        services.set_member_status(member, MemberStatus.ACTIVE)
    else:
        member = services.create_member(data)
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
