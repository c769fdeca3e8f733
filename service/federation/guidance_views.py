"""Guidance pages: the federation issues and follows up; an association reads and answers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from service.audit.services import current_actor
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import NotFound
from service.federation import categories, comments, guidance, scope
from service.federation.forms import CommentForm, GuidanceForm, ResponseForm
from service.federation.models import AUDIENCE_LABELS
from service.federation.scope import federation_id
from service.files import services as files
from service.files.checks import DOCUMENT_KINDS, UploadRejected, check_upload
from service.i18n import gettext as _
from service.web.bulk import chosen_ids

bp = Blueprint("guidance", __name__, url_prefix="/federation/guidance")
inbox_bp = Blueprint("inbox", __name__, url_prefix="/guidance")


@bp.get("/")
@require(Permission.VIEW_FEDERATION)
def index():
    fed = federation_id()
    items = [(g, guidance.counts(guidance.follow_up(g))) for g in guidance.of_federation(fed)]
    return render_template(
        "federation/guidance_index.html",
        items=items,
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    )


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_FEDERATION)
def new():
    fed = federation_id()
    own = scope.associations(fed)
    form = GuidanceForm(categories=categories.labels(fed), associations=own)
    if request.method == "GET" and "association" in request.args:
        _address_to(form, chosen_ids(request.args, "association"), {a.id for a in own})
    if form.validate_on_submit():
        try:
            uploads = [
                check_upload(f, DOCUMENT_KINDS) for f in form.attachments.data or [] if f.filename
            ]
        except UploadRejected as rejected:
            form.attachments.errors = [str(rejected)]
        else:
            audience = form.audience.data
            targets = {"categories": form.categories.data, "associations": form.associations.data}
            issued = guidance.issue(
                fed,
                title=form.title.data.strip(),
                body=form.body.data.strip(),
                audience=audience,
                targets=targets.get(audience, []),
                deadline=form.deadline.data,
                response_required=form.response_required.data,
                files=uploads,
                actor=current_actor(),
            )
            flash(_("The guidance is sent."), "success")
            return redirect(url_for(".detail", guidance_id=issued.id))
    status = 400 if form.errors else 200
    return render_template("federation/guidance_form.html", form=form), status


def _address_to(form: GuidanceForm, chosen: list[int], own: set[int]) -> None:
    """Preselect the associations ticked in the table (`?association=`) as the recipients;
    the officer still writes and sends the guidance. Another federation's id is a 404."""
    if any(association_id not in own for association_id in chosen):
        raise NotFound()
    form.audience.data = "associations"
    form.associations.data = chosen


@bp.get("/<int:guidance_id>")
@require(Permission.VIEW_FEDERATION)
def detail(guidance_id: int):
    fed = federation_id()
    item = guidance.access_guidance(guidance_id, fed)
    follows = guidance.follow_up(item)
    return render_template(
        "federation/guidance_detail.html",
        item=item,
        follows=follows,
        counts=guidance.counts(follows),
        files=guidance.files(item.id),
        audience=AUDIENCE_LABELS,
        categories=categories.labels(fed),
        comments=comments.on_guidance(fed, item.id),
        comment_form=CommentForm(),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
        can_comment=current_principal().can(Permission.COMMENT_FEDERATION),
        today=date.today(),
    )


@bp.post("/<int:guidance_id>/remind")
@require(Permission.MANAGE_FEDERATION)
def remind(guidance_id: int):
    item = guidance.access_guidance(guidance_id, federation_id())
    sent = guidance.remind(item)
    flash(_("%(n)d associations are reminded.", n=sent), "success")
    return redirect(url_for(".detail", guidance_id=item.id))


@bp.post("/<int:guidance_id>/comments")
@require(Permission.COMMENT_FEDERATION)
def comment(guidance_id: int):
    fed = federation_id()
    item = guidance.access_guidance(guidance_id, fed)
    form = CommentForm()
    if form.validate_on_submit():
        comments.add(fed, form.body.data, current_principal().label, guidance_id=item.id)
        flash(_("Your comment is added."), "success")
    else:
        flash(_("Write a comment first."), "error")
    return redirect(url_for(".detail", guidance_id=item.id))


@bp.get("/files/<int:guidance_file_id>")
@require(Permission.VIEW_FEDERATION)
def attachment(guidance_file_id: int):
    return files.file_response(guidance.access_guidance_file(guidance_file_id, federation_id()))


@bp.get("/responses/<int:receipt_id>/file")
@require(Permission.VIEW_FEDERATION)
def response_file(receipt_id: int):
    """A file an association sent with its response (its tenant data, read in scope)."""
    receipt = guidance.access_receipt(receipt_id)
    guidance.access_guidance(receipt.guidance_id, federation_id())
    return files.file_response(guidance.response_file(receipt))


# --- the association's side -----------------------------------------------------------


@inbox_bp.get("/")
@require(Permission.VIEW_GUIDANCE)
def inbox():
    """Every piece of guidance sent to this association, done or not."""
    return render_template(
        "federation/inbox.html", items=guidance.inbox(current_principal().association_id)
    )


@inbox_bp.get("/<int:guidance_id>")
@require(Permission.VIEW_GUIDANCE)
def read(guidance_id: int):
    association_id = current_principal().association_id
    item, receipt = guidance.receipt_for(association_id, guidance_id)
    guidance.mark_read(receipt)
    return render_template(
        "federation/guidance_read.html",
        item=item,
        receipt=receipt,
        files=guidance.files(item.id),
        form=ResponseForm(),
        can_respond=current_principal().can(Permission.RESPOND_GUIDANCE),
    )


@inbox_bp.post("/<int:guidance_id>/acknowledge")
@require(Permission.RESPOND_GUIDANCE)
def acknowledge(guidance_id: int):
    _item, receipt = guidance.receipt_for(current_principal().association_id, guidance_id)
    guidance.acknowledge(receipt, current_actor())
    flash(_("Acknowledged."), "success")
    return redirect(url_for(".read", guidance_id=guidance_id))


@inbox_bp.post("/<int:guidance_id>/respond")
@require(Permission.RESPOND_GUIDANCE)
def respond(guidance_id: int):
    item, receipt = guidance.receipt_for(current_principal().association_id, guidance_id)
    form = ResponseForm()
    if form.validate_on_submit():
        upload = form.attachment.data
        try:
            checked = check_upload(upload, DOCUMENT_KINDS) if upload and upload.filename else None
        except UploadRejected as rejected:
            form.attachment.errors = [str(rejected)]
        else:
            stored = files.store(checked, current_principal().id) if checked else None
            guidance.respond(receipt, form.response.data.strip(), stored, current_actor())
            flash(_("Your response is sent."), "success")
            return redirect(url_for(".read", guidance_id=guidance_id))
    return render_template(
        "federation/guidance_read.html",
        item=item,
        receipt=receipt,
        files=guidance.files(item.id),
        form=form,
        can_respond=True,
    ), 400


@inbox_bp.get("/files/<int:guidance_file_id>")
@require(Permission.VIEW_GUIDANCE)
def inbox_attachment(guidance_file_id: int):
    association_id = current_principal().association_id
    return files.file_response(guidance.received_file(association_id, guidance_file_id))


@inbox_bp.get("/<int:guidance_id>/response-file")
@require(Permission.VIEW_GUIDANCE)
def own_response_file(guidance_id: int):
    _item, receipt = guidance.receipt_for(current_principal().association_id, guidance_id)
    return files.file_response(guidance.response_file(receipt))
