"""Web pages: an association's governance (bodies, officers, meetings, findings) and the
forms that record them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage

from service import jobs
from service.associations import services as associations
from service.audit.services import current_actor
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import blame
from service.files.checks import DOCUMENT_KINDS, CheckedUpload, UploadRejected, check_upload
from service.files.services import file_response
from service.governance import compliance, services
from service.governance.forms import (
    CongressForm,
    EndTermForm,
    ExplanationForm,
    MeetingForm,
    OfficerForm,
    SecretariatForm,
    ThresholdsForm,
)
from service.governance.jobs import recompute_federation, recompute_findings
from service.i18n import gettext as _

bp = Blueprint("governance", __name__, url_prefix="/governance")


def _written(association_id: int, message: str):
    """Have the findings recomputed once the write is committed, and go back to the
    overview."""
    jobs.enqueue_refresh(recompute_findings, association_id)
    flash(message, "success")
    return redirect(url_for(".overview", association_id=association_id))


def checked_files(field) -> list[CheckedUpload]:
    """The field's chosen files (one or several), each checked as a document (PDF or image).
    Raises UploadRejected, naming the file, on the first that is not acceptable."""
    uploads = field.data if isinstance(field.data, list) else [field.data]
    chosen = [u for u in uploads if isinstance(u, FileStorage) and u.filename]
    checked = []
    for upload in chosen:
        try:
            checked.append(check_upload(upload, DOCUMENT_KINDS))
        except UploadRejected as error:
            raise UploadRejected(f"{upload.filename}: {error}") from error
    return checked


def uploader_id() -> int | None:
    principal = current_principal()
    return principal.id if principal.kind == "user" else None


def _form_page(template: str, form: FlaskForm, association, **context):
    status = 400 if form.errors or form.form_errors else 200
    return render_template(template, form=form, association=association, **context), status


def _federation_of(principal) -> int | None:
    if principal.federation_id is not None:
        return principal.federation_id
    if principal.association_id is not None:
        return associations.access_association(principal.association_id).federation_id
    return None


@bp.get("/rules")
@require(Permission.VIEW_GOVERNANCE)
def rules():
    principal = current_principal()
    in_force = compliance.thresholds_for(_federation_of(principal) or 0)
    form = ThresholdsForm(obj=in_force, labels=compliance.THRESHOLD_LABELS)
    return _rules_page(form, in_force)


@bp.post("/rules/thresholds")
@require(Permission.SET_THRESHOLDS)
def set_thresholds():
    principal = current_principal()
    form = ThresholdsForm(labels=compliance.THRESHOLD_LABELS)
    if form.validate_on_submit():
        values = {key: getattr(form, key).data for key in compliance.THRESHOLD_KEYS}
        try:
            compliance.set_overrides(principal.federation_id, values)
        except services.GovernanceError as error:
            blame(form, error)
        else:
            jobs.enqueue_refresh(recompute_federation, principal.federation_id)
            flash(_("The province's thresholds are saved."), "success")
            return redirect(url_for(".rules"))
    in_force = compliance.thresholds_for(principal.federation_id)
    return _rules_page(form, in_force)


def _rules_page(form, in_force):
    return render_template(
        "governance/rules.html",
        form=form,
        rules=compliance.RULES,
        in_force=in_force,
        document=compliance.DOCUMENT,
        labels=compliance.THRESHOLD_LABELS,
        tighter=compliance.TIGHTER,
        can_set=current_principal().can(Permission.SET_THRESHOLDS),
    ), (400 if form.errors or form.form_errors else 200)


@bp.get("/<int:association_id>")
@require(Permission.VIEW_GOVERNANCE)
def overview(association_id: int):
    association = associations.access_association(association_id)
    today = date.today()
    principal = current_principal()
    record = services.record_of(association.id)
    return render_template(
        "governance/overview.html",
        association=association,
        today=today,
        findings=compliance.evaluate(
            association.id, today, compliance.records_from(association, record, today)
        ),
        congresses=record.congresses,
        terms=record.terms,
        meetings=record.meetings,
        officers=record.officers,
        secretariat=record.secretariat,
        establishment=record.establishment,
        founding_documents=record.founding_documents,
        can_manage=principal.can(Permission.MANAGE_GOVERNANCE),
        can_record=principal.can(Permission.RECORD_MEETINGS),
        can_change_status=principal.can(Permission.CHANGE_LIFECYCLE),
        end_form=EndTermForm(),
    )


@bp.get("/<int:association_id>/compliance")
@require(Permission.VIEW_GOVERNANCE)
def compliance_page(association_id: int):
    """One association's compliance over time: each rule now, the open findings by year,
    and the history of explained and archived ones."""
    association = associations.access_association(association_id)
    return _compliance_page(association)


def _compliance_page(association, form: ExplanationForm | None = None, explaining: int = 0):
    today = date.today()
    return render_template(
        "governance/compliance.html",
        association=association,
        today=today,
        findings=compliance.current(compliance.evaluate(association.id, today)),
        open_by_year=_by_year(compliance.open_findings([association.id])),
        history=[f for _a, f in compliance.history([association.id])],
        can_explain=current_principal().can(Permission.MANAGE_FEDERATION),
        form=form or ExplanationForm(),
        explaining=explaining,
    ), (400 if form is not None and (form.errors or form.form_errors) else 200)


def _by_year(pairs) -> list[tuple[int | None, list]]:
    """Group (association id, finding) pairs, latest year first, keeping their order."""
    groups: dict[int | None, list] = {}
    for pair in pairs:
        groups.setdefault(pair[1].year, []).append(pair)
    return list(groups.items())


@bp.post("/findings/<int:finding_id>/explanation")
@require(Permission.MANAGE_FEDERATION)
def explain_finding(finding_id: int):
    """The federation records why a finding stands; it is then closed, and kept."""
    row = compliance.access_finding(finding_id)
    association = associations.access_association(row.tenant_id)
    form = ExplanationForm()
    if form.validate_on_submit():
        try:
            compliance.explain(row, form.explanation.data, current_actor())
        except services.GovernanceError as error:
            blame(form, error)
        else:
            flash(_("The explanation is recorded; the finding is closed."), "success")
            return redirect(url_for(".compliance_page", association_id=association.id))
    return _compliance_page(association, form, row.id)


@bp.get("/findings")
@require(Permission.VIEW_FEDERATION)
def findings_list():
    """The province's compliance list: open findings by year, then the history."""
    names = associations.names_in_federation(current_principal().federation_id)
    ids = list(names)
    return render_template(
        "governance/findings.html",
        names=names,
        open_by_year=_by_year(compliance.open_findings(ids)),
        history=compliance.history(ids),
    )


@bp.route("/<int:association_id>/congresses/new", methods=["GET", "POST"])
@require(Permission.MANAGE_GOVERNANCE)
def new_congress(association_id: int):
    association = associations.access_association(association_id)
    form = CongressForm()
    if form.validate_on_submit():
        try:
            services.hold_congress(
                association.id,
                held_on=form.held_on.data,
                delegates=form.delegates.data,
                today=date.today(),
                term_ends_on=form.term_ends_on.data,
                members=form.elected_members(),
                standing_committee_formed_on=form.standing_committee_formed_on.data,
                notes=form.notes.data or None,
            )
        except services.GovernanceError as error:
            blame(form, error)
        else:
            return _written(association.id, _("The congress session is recorded."))
    return _form_page("governance/congress_form.html", form, association)


@bp.route("/<int:association_id>/meetings/new", methods=["GET", "POST"])
@require(Permission.RECORD_MEETINGS)
def new_meeting(association_id: int):
    association = associations.access_association(association_id)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            minutes_file = next(iter(checked_files(form.minutes_file)), None)
            services.record_meeting(
                association.id,
                body=form.body.data,
                held_on=form.held_on.data,
                attendance=form.attendance.data,
                minutes=form.minutes.data or None,
                minutes_file=minutes_file,
                uploaded_by_user_id=uploader_id(),
                today=date.today(),
            )
        except UploadRejected as error:
            form.minutes_file.errors.append(str(error))
        except services.GovernanceError as error:
            blame(form, error)
        else:
            return _written(association.id, _("The meeting is recorded."))
    return _form_page("governance/meeting_form.html", form, association)


@bp.get("/meetings/<int:meeting_id>/minutes")
@require(Permission.VIEW_GOVERNANCE)
def minutes_file(meeting_id: int):
    """The meeting's minutes file, for everyone who may see the association's governance."""
    return file_response(services.access_minutes_file(meeting_id))


@bp.get("/founding-documents/<int:founding_document_id>")
@require(Permission.VIEW_GOVERNANCE)
def founding_document(founding_document_id: int):
    """One of the association's founding papers, copied from its approved application."""
    document = services.access_founding_document(founding_document_id)
    return file_response(document.file)


@bp.route("/<int:association_id>/officers/new", methods=["GET", "POST"])
@require(Permission.MANAGE_GOVERNANCE)
def new_officer(association_id: int):
    association = associations.access_association(association_id)
    form = OfficerForm(meetings=services.approving_meetings(association.id))
    if form.validate_on_submit():
        try:
            services.appoint(
                association.id,
                post=form.post.data,
                name=form.name.data.strip(),
                starts_on=form.starts_on.data,
                eligibility=form.eligibility.data or None,
                eligibility_basis=(form.eligibility_basis.data or "").strip() or None,
                nominated_on=form.nominated_on.data,
                approving_meeting_id=int(form.approving_meeting_id.data)
                if form.approving_meeting_id.data
                else None,
            )
        except services.GovernanceError as error:
            blame(form, error)
        else:
            return _written(association.id, _("The officer is appointed."))
    return _form_page("governance/officer_form.html", form, association)


@bp.post("/officers/<int:officer_id>/end")
@require(Permission.MANAGE_GOVERNANCE)
def end_officer_term(officer_id: int):
    officer = services.access_officer(officer_id)
    form = EndTermForm()
    if form.validate_on_submit():
        try:
            services.end_term(officer, form.ends_on.data)
        except services.GovernanceError as error:
            flash(str(error.message), "error")
        else:
            return _written(officer.tenant_id, _("The term is ended."))
    else:
        flash(_("Give the date the term ends."), "error")
    return redirect(url_for(".overview", association_id=officer.tenant_id)), 303


@bp.route("/<int:association_id>/secretariat", methods=["GET", "POST"])
@require(Permission.MANAGE_GOVERNANCE)
def secretariat(association_id: int):
    association = associations.access_association(association_id)
    form = SecretariatForm(obj=services.secretariat(association.id))
    if form.validate_on_submit():
        try:
            services.set_host_office(association.id, form.host_office.data)
        except services.GovernanceError as error:
            blame(form, error)
        else:
            flash(_("The secretariat's host office is saved."), "success")
            return redirect(url_for(".overview", association_id=association.id))
    return _form_page("governance/secretariat_form.html", form, association)
