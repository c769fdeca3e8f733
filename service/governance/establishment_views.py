"""Web pages for establishment: the public application and its tracking page, the federation
officer's review, and the lifecycle changes of an association."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service import jobs
from service.associations import services as associations
from service.auth import password_links
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import DomainError, blame
from service.extensions import limiter
from service.federation import categories
from service.files.checks import UploadRejected
from service.files.services import file_response
from service.governance import establishment, first_admin, provisioning
from service.governance.forms import (
    ApplicationForm,
    DecisionForm,
    LifecycleForm,
    ProvisionForm,
    TrackingKeyForm,
)
from service.governance.jobs import recompute_findings
from service.governance.models import (
    APPLICATION_STATUS_LABELS,
    EVENT_LABELS,
    LIFECYCLE_MOVES,
    ApplicationStatus,
)
from service.governance.services import GovernanceError
from service.governance.views import checked_files
from service.i18n import gettext as _
from service.unit_of_work import discard
from service.web.choices import options

bp = Blueprint("establishment", __name__, url_prefix="/establishment")


def _application_data(form: ApplicationForm) -> dict:
    return {
        field: (value.strip() if isinstance(value, str) else value)
        for field in establishment.APPLICATION_FIELDS
        for value in [getattr(form, field).data]
    }


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def apply():
    """Public: a university without an association applies to its federation."""
    form = ApplicationForm(federations=establishment.federations())
    if form.validate_on_submit():
        with establishment.applicant_scope(int(form.federation_id.data)):
            submitted = _submit(form)
        if submitted is not None:
            return submitted
    status = 400 if form.errors or form.form_errors else 200
    return render_template("establishment/apply.html", form=form), status


def _submit(form: ApplicationForm) -> str | None:
    """The submitted page, or None when the form has errors (set on it, and nothing of the
    application kept)."""
    try:
        documents = checked_files(form.documents)
        application, key = establishment.submit(
            int(form.federation_id.data), _application_data(form), date.today()
        )
        if not documents:  # after the rules, so that their messages come first
            raise UploadRejected(_("Attach at least one supporting document."))
        establishment.attach_documents(application, documents)
    except UploadRejected as error:
        discard()  # the application may be written already
        form.documents.errors.append(str(error))
    except GovernanceError as error:
        discard()
        blame(form, error)
    else:
        # The key is shown once: it is the applicant's only way back to the application.
        return render_template(
            "establishment/submitted.html",
            application=application,
            tracking_url=establishment.tracking_url(key),
        )
    return None


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def track():
    """Public, by the secret link /establishment/track#<key>: the page posts the key from
    the fragment; then the status, the officer's comments, and resubmission."""
    opening = TrackingKeyForm()
    if request.method == "GET" or not opening.validate_on_submit():
        status = 400 if opening.errors else 200
        return render_template("establishment/track_open.html", form=opening), status
    key = opening.key.data.strip()
    application = establishment.find_by_key(key)
    if application is None:
        opening.key.errors.append(_("No application has this key. Check the link."))
        return render_template("establishment/track_open.html", form=opening), 404
    with establishment.applicant_scope(application.federation_id):
        return _track(key, application)


def _track(key: str, application):
    """The applicant's page of their application; a resubmission when it is posted."""
    resubmitting = request.form.get("resubmit") == "1"
    if resubmitting:
        form = ApplicationForm(obj=application, federations=establishment.federations())
    else:  # opening the page: the stored answers, not the posted key
        form = ApplicationForm(None, obj=application, federations=establishment.federations())
    form.federation_id.data = str(application.federation_id)
    if resubmitting and form.validate():
        try:
            documents = checked_files(form.documents)
            establishment.resubmit(application, _application_data(form))
            establishment.attach_documents(application, documents)
        except UploadRejected as error:
            form.documents.errors.append(str(error))
        except GovernanceError as error:
            discard()  # the page shows the application as stored, not as half resubmitted
            blame(form, error)
        else:
            flash(_("The application is resubmitted."), "success")
            form = ApplicationForm(None, obj=application, federations=establishment.federations())
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "establishment/track.html",
        application=application,
        key=key,
        event_labels=EVENT_LABELS,
        form=form,
        can_resubmit=application.status == ApplicationStatus.RETURNED.value,
    ), status


@bp.get("/track/<key>")
def track_by_path(key: str):
    """Links given out before the key moved after `#`: the same page, the key in the
    fragment. The logs redact the key of this one request (service/redaction.py)."""
    if not establishment.KEY_SHAPE.fullmatch(key):
        abort(404)
    return redirect(f"{url_for('.track')}#{key}")


@bp.post("/track/documents/<int:application_document_id>")
@limiter.limit("30/hour")
def track_document(application_document_id: int):
    """Public, with the secret key in the body: the applicant downloads a document they sent."""
    form = TrackingKeyForm()
    if not form.validate_on_submit():
        abort(404)
    return file_response(
        establishment.access_applicant_document(form.key.data.strip(), application_document_id)
    )


@bp.get("/documents/<int:application_document_id>")
@require(Permission.REVIEW_ESTABLISHMENT)
def document(application_document_id: int):
    """A supporting document, for the officers of the federation the application is for."""
    return file_response(establishment.access_application_document(application_document_id))


@bp.get("/")
@require(Permission.REVIEW_ESTABLISHMENT)
def index():
    status = request.args.get("status") or None
    if status not in (None, *APPLICATION_STATUS_LABELS):
        status = None
    federation_id = current_principal().federation_id
    return render_template(
        "establishment/index.html",
        applications=establishment.applications_of(federation_id, status),
        status=status,
        statuses=APPLICATION_STATUS_LABELS,
    )


@bp.route("/<int:application_id>", methods=["GET", "POST"])
@require(Permission.REVIEW_ESTABLISHMENT)
def review(application_id: int):
    principal = current_principal()
    application = establishment.access_application(application_id)
    form = DecisionForm()
    if form.validate_on_submit():
        comment = form.comment.data or ""
        created_id = None
        try:
            if form.decision.data == "approve":
                created_id = establishment.approve(
                    application,
                    form.document_number.data or "",
                    principal.audit_label,
                    date.today(),
                ).id
            elif form.decision.data == "return":
                establishment.return_for_revision(application, comment, principal.audit_label)
            else:
                establishment.reject(application, comment, principal.audit_label)
        except DomainError as error:  # a GovernanceError, or a username taken meanwhile
            blame(form, error)
        else:
            if created_id is not None:  # its findings appear on the province's list at once
                jobs.enqueue_refresh(recompute_findings, created_id)
                _flash_welcome(application)
            flash(_("The decision is recorded."), "success")
            return redirect(url_for(".review", application_id=application.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "establishment/review.html",
        application=application,
        event_labels=EVENT_LABELS,
        categories=categories.labels(application.federation_id),
        form=form,
        awaiting=application.status == ApplicationStatus.SUBMITTED.value,
        admin=first_admin.admin_of(application),
    ), status


def _flash_welcome(application) -> None:
    """Issue the first administrator's one-time link: shown to the officer, who may pass it
    on, and e-mailed to the contact where SMTP is configured. Refused (with the reason
    flashed, and nothing written) once the administrator has set a password."""
    admin = first_admin.admin_of(application)
    association = associations.access_association(application.association_id)
    try:
        welcome = first_admin.welcome(admin, association.name, application.contact_email)
    except password_links.LinkRefused as refusal:
        flash(str(refusal), "error")
        return
    flash(
        _(
            "The first administrator's username is %(username)s. One-time link to set the"
            " password: %(link)s",
            username=welcome.username,
            link=welcome.link,
        ),
        "info",
    )
    if welcome.emailed_to:
        flash(_("The link was e-mailed to %(email)s.", email=welcome.emailed_to), "info")


@bp.post("/<int:application_id>/admin-link")
@require(Permission.REVIEW_ESTABLISHMENT)
def admin_link(application_id: int):
    """A new one-time link for the first administrator, when the first was lost or expired,
    as long as the administrator has not yet set a password."""
    application = establishment.access_application(application_id)
    if first_admin.admin_of(application) is None:
        flash(_("This application has no association yet."), "error")
    else:
        _flash_welcome(application)
    return redirect(url_for(".review", application_id=application.id))


@bp.route("/lifecycle/<int:association_id>", methods=["GET", "POST"])
@require(Permission.CHANGE_LIFECYCLE)
def lifecycle(association_id: int):
    association = associations.access_association(association_id)
    form = LifecycleForm()
    form.status.choices = options(
        (s, str(associations.status_labels()[s]))
        for s in LIFECYCLE_MOVES.get(association.status, ())
    )
    if form.validate_on_submit():
        try:
            establishment.change_status(
                association, form.status.data, form.reason.data, current_principal().audit_label
            )
        except GovernanceError as error:
            blame(form, error)
        else:
            flash(_("The association's status is changed."), "success")
            return redirect(url_for(".lifecycle", association_id=association.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "establishment/lifecycle.html",
        association=association,
        form=form,
        history=establishment.history(association.id),
        statuses=associations.status_labels(),
    ), status


@bp.route("/provision", methods=["GET", "POST"])
@require(Permission.PROVISION)
def provision():
    """The operator onboards a province from a spreadsheet: all rows or none."""
    form = ProvisionForm()
    report = None
    if form.validate_on_submit():
        # Checked whole before anything is written: a refused file leaves nothing behind.
        report = provisioning.provision(form.workbook.data.stream, current_principal().audit_label)
        if report.ok:
            provisioning.queue_first_findings(report.created_ids)
            flash(_("%(n)d associations are created.", n=report.created), "success")
    status = 400 if form.errors or (report and not report.ok) else 200
    return render_template(
        "establishment/provision.html",
        form=form,
        report=report,
        columns=provisioning.COLUMNS,
        required=provisioning.REQUIRED,
    ), status
