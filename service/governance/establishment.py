"""Establishment (成立) and lifecycle: a university applies, its federation approves, returns
for revision or rejects; approval creates the tenant. Later the federation may suspend,
reactivate or dissolve an association, always with a reason kept in its history."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for

from service.access import in_scope
from service.associations import services as associations
from service.auth.roles import Permission
from service.errors import NotFound
from service.files import services as files
from service.files.checks import CheckedUpload
from service.governance import first_admin
from service.governance.models import (
    LIFECYCLE_MOVES,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationStatus,
    Establishment,
    EstablishmentApplication,
    FoundingDocument,
    LifecycleChange,
    Secretariat,
)
from service.governance.services import GovernanceError
from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import Association, Federation, utcnow
from tenants.scope import Scope, system_scope, use_scope

APPLICATION_FIELDS = (
    "university_name",
    "category",
    "charter_accepted",
    "st_workers",
    "host_office",
    "proposed_chair",
    "proposed_chair_basis",
    "proposed_vice_chairs",
    "proposed_secretary_general",
    "contact_name",
    "contact_email",
)
# Supporting documents per application: enough for the founding papers, not an archive.
MAX_DOCUMENTS = 10
# The document asks for "a sufficient number of S&T workers"; below this a federation would
# not consider an application at all.
MIN_ST_WORKERS = 100


# What secrets.token_urlsafe makes: nothing else can be a key.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_\-]{16,100}")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check(data: dict[str, Any]) -> None:
    if not data.get("charter_accepted"):
        raise GovernanceError(
            _l("An association must accept the CAST charter."), "charter_accepted"
        )
    if data["st_workers"] < MIN_ST_WORKERS:
        raise GovernanceError(
            _l("At least %(n)d S&T workers are needed.", n=MIN_ST_WORKERS), "st_workers"
        )
    if not [line for line in data["proposed_vice_chairs"].splitlines() if line.strip()]:
        raise GovernanceError(_l("Propose at least one vice-chair."), "proposed_vice_chairs")


def submit(federation_id: int, data: dict[str, Any], today: date) -> tuple[Any, str]:
    """A new application; returns it and the applicant's secret key (shown once)."""
    _check(data)
    key = secrets.token_urlsafe(24)
    application = EstablishmentApplication(
        federation_id=federation_id,
        access_key_hash=_hash(key),
        submitted_on=today,
        status=ApplicationStatus.SUBMITTED.value,
        **{f: data[f] for f in APPLICATION_FIELDS},
    )
    db.session.add(application)
    db.session.flush()
    _event(application, "submitted", None, "applicant")
    return application, key


def attach_documents(application: EstablishmentApplication, uploads: list[CheckedUpload]) -> None:
    """Keep checked supporting documents with an application still open to change."""
    if application.status in (ApplicationStatus.APPROVED.value, ApplicationStatus.REJECTED.value):
        raise GovernanceError(_l("A decided application takes no more documents."), "documents")
    if len(application.documents) + len(uploads) > MAX_DOCUMENTS:
        raise GovernanceError(
            _l("An application has at most %(n)d documents.", n=MAX_DOCUMENTS), "documents"
        )
    for upload in uploads:
        db.session.add(
            ApplicationDocument(
                application_id=application.id,
                name=upload.name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                data=upload.data,
            )
        )
    db.session.flush()
    db.session.expire(application, ["documents"])


def access_application_document(document_id: int) -> ApplicationDocument:
    """A supporting document of an application the current scope holds
    (`access_application`); NotFound for a missing document and another federation's alike."""
    application_id = db.session.scalar(
        sa.select(ApplicationDocument.application_id).where(ApplicationDocument.id == document_id)
    )
    application = access_application(application_id) if application_id else None
    return _document_of(application, document_id)


def access_applicant_document(key: str, document_id: int) -> ApplicationDocument:
    """A document of the application the applicant's secret key opens; NotFound for a key
    that opens none and for a document of any other application alike."""
    return _document_of(find_by_key(key), document_id)


def _document_of(
    application: EstablishmentApplication | None, document_id: int
) -> ApplicationDocument:
    documents = application.documents if application is not None else []
    document = next((d for d in documents if d.id == document_id), None)
    if document is None:
        raise NotFound()
    return document


def tracking_url(key: str) -> str:
    """The applicant's link. The key travels after `#`, which browsers never send: no
    request log or proxy log holds it; the page reads it and posts it."""
    return f"{url_for('establishment.track', _external=True)}#{key}"


def find_by_key(key: str) -> EstablishmentApplication | None:
    """The application the key opens, or None. The applicant has no account: the key,
    matched by its hash, is the credential, and the application it finds may be addressed
    to any federation."""
    with system_scope("an applicant opens their application by its secret key"):
        return db.session.scalar(
            sa.select(EstablishmentApplication).where(
                EstablishmentApplication.access_key_hash == _hash(key)
            )
        )


def applicant_scope(federation_id: int) -> contextlib.AbstractContextManager[Scope]:
    """The scope an applicant's request writes and reads under: the federation the
    application is addressed to, the only one whose rows it touches (its own application)."""
    return use_scope(Scope.federation(federation_id))


def resubmit(application: EstablishmentApplication, data: dict[str, Any]) -> None:
    if application.status != ApplicationStatus.RETURNED.value:
        raise GovernanceError(_l("Only an application returned for revision can be resubmitted."))
    _check(data)
    for field in APPLICATION_FIELDS:
        setattr(application, field, data[field])
    application.status = ApplicationStatus.SUBMITTED.value
    _event(application, "resubmitted", None, "applicant")


def federations() -> list[Federation]:
    """The provinces an applicant may address an application to (a directory, not tenant
    data)."""
    return db.session.scalars(sa.select(Federation).order_by(Federation.code)).all()


def for_federation(federation_id: int, status: str | None = None) -> sa.Select:
    return for_federations({federation_id}, status)


def applications_of(
    federation_id: int, status: str | None = None
) -> list[EstablishmentApplication]:
    """The applications addressed to the officer's federation, newest first."""
    return db.session.scalars(for_federation(federation_id, status)).all()


def for_federations(federation_ids, status: str | None = None) -> sa.Select:
    """Applications addressed to any of these federations (a national token's are several)."""
    query = sa.select(EstablishmentApplication).where(
        EstablishmentApplication.federation_id.in_(list(federation_ids))
    )
    if status:
        query = query.where(EstablishmentApplication.status == status)
    return query.order_by(EstablishmentApplication.id.desc())


def applicant_contact_visible_to(principal) -> bool:
    """The reviewers (the officer, the federation's writing system) write to the applicant;
    read-only integrations, national ones included, see the contact masked (PIPL)."""
    return principal.can(Permission.REVIEW_ESTABLISHMENT)


def access_application(application_id: int) -> EstablishmentApplication:
    """An application addressed to a federation the current scope covers (an officer's and
    a federation token's: their own; a national token's: each it covers); NotFound for a
    missing id and another federation's alike. An association's scope sees none."""
    return in_scope(EstablishmentApplication, application_id)


def _awaiting(application: EstablishmentApplication) -> None:
    if application.status != ApplicationStatus.SUBMITTED.value:
        raise GovernanceError(_l("This application is not awaiting review."))


def return_for_revision(application: EstablishmentApplication, comment: str, actor: str) -> None:
    _awaiting(application)
    if not comment.strip():
        raise GovernanceError(_l("Say what the applicant should revise."), "comment")
    application.status = ApplicationStatus.RETURNED.value
    _event(application, "returned", comment.strip(), actor)


def reject(application: EstablishmentApplication, reason: str, actor: str) -> None:
    _awaiting(application)
    if not reason.strip():
        raise GovernanceError(_l("Give the reason for the rejection."), "comment")
    application.status = ApplicationStatus.REJECTED.value
    _event(application, "rejected", reason.strip(), actor)


def approve(
    application: EstablishmentApplication, document_number: str, actor: str, today: date
) -> Association:
    """Create the tenant: the association (a group member of the approving federation, with
    the approval date and document number), its profile, its first lifecycle entry, and its
    first administrator (the applicant's contact, who sets a password through a link)."""
    _awaiting(application)
    if not document_number.strip():
        raise GovernanceError(_l("Give the approval's document number."), "document_number")
    if not application.documents:
        # The founding papers the association will keep; return the application for them.
        raise GovernanceError(_l("The application has no supporting documents yet."))
    with system_scope("federation officer approves an establishment: creates the tenant"):
        federation = db.session.scalar(
            sa.select(Federation).where(Federation.id == application.federation_id)
        )
        association = Association(
            federation_id=federation.id,
            name=f"{application.university_name}科学技术协会",
            status="active",
        )
        db.session.add(association)
        db.session.flush()
        tid = association.id
        associations.add_profile(
            tid,
            university_name=application.university_name,
            category=application.category,
            contact_name=application.contact_name,
            contact_email=application.contact_email,
            founded_on=today,
        )
        db.session.add_all(
            [
                Establishment(
                    tenant_id=tid,
                    charter_accepted_on=application.submitted_on,
                    approved_on=today,
                    approved_by_federation_id=federation.id,
                    document_number=document_number.strip(),
                ),
                Secretariat(tenant_id=tid, host_office=application.host_office),
                LifecycleChange(
                    tenant_id=tid,
                    from_status="applying",
                    to_status="active",
                    reason=str(_l("Establishment approved (No. %(n)s).", n=document_number)),
                    actor=actor,
                ),
            ]
        )
        application.status = ApplicationStatus.APPROVED.value
        application.document_number = document_number.strip()
        application.association_id = tid
        first_admin.create(application, tid)
        _keep_founding_documents(application, tid)
        _event(application, "approved", document_number.strip(), actor)
        db.session.flush()
    return association


def _keep_founding_documents(application: EstablishmentApplication, tenant_id: int) -> None:
    """Copy the supporting documents into the new association's files, so that it keeps its
    founding papers (and its export carries them) whatever becomes of the application."""
    for document in application.documents:
        stored = files.copy_into(tenant_id, document)
        db.session.add(FoundingDocument(tenant_id=tenant_id, file_id=stored.id))


def _event(application: EstablishmentApplication, action: str, comment, actor: str) -> None:
    """A step of the application's history, flushed at once: an applicant's steps are
    written under the scope of their request's block (`applicant_scope`), not at its end."""
    db.session.add(
        ApplicationEvent(
            application_id=application.id,
            action=action,
            comment=comment,
            actor=actor,
            occurred_at=utcnow(),
        )
    )
    db.session.flush()


# --- lifecycle ------------------------------------------------------------------------


def change_status(association: Association, to_status: str, reason: str, actor: str) -> None:
    """Suspend, reactivate or dissolve; the move must be allowed and have a reason."""
    if to_status not in LIFECYCLE_MOVES.get(association.status, ()):
        raise GovernanceError(_l("That change of status is not possible."), "status")
    if not reason.strip():
        raise GovernanceError(_l("Give the reason for the change."), "reason")
    db.session.add(
        LifecycleChange(
            tenant_id=association.id,
            from_status=association.status,
            to_status=to_status,
            reason=reason.strip(),
            actor=actor,
        )
    )
    association.status = to_status
    db.session.flush()


def history(association_id: int) -> list[LifecycleChange]:
    return db.session.scalars(
        sa.select(LifecycleChange)
        .where(LifecycleChange.tenant_id == association_id)
        .order_by(LifecycleChange.changed_at, LifecycleChange.id)
    ).all()


def awaiting_review_count(federation_id: int) -> int:
    query = for_federation(federation_id, ApplicationStatus.SUBMITTED.value).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def record_of_founding(association_id: int) -> Establishment | None:
    """How the association was founded (charter, approval, document number), if recorded."""
    return db.session.scalar(
        sa.select(Establishment).where(Establishment.tenant_id == association_id)
    )


def lifecycle_changes(association_id: int) -> sa.Select:
    """The association's status changes by its federation, oldest first."""
    return (
        sa.select(LifecycleChange)
        .where(LifecycleChange.tenant_id == association_id)
        .order_by(LifecycleChange.changed_at, LifecycleChange.id)
    )
