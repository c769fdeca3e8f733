"""Web pages: the association list (supervisors) and one association's profile."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from service.associations import services
from service.associations.forms import ProfileForm
from service.associations.models import STATUS_LABELS
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.federation import categories
from service.governance import compliance
from service.i18n import gettext as _
from service.privacy import mask_email, mask_phone
from service.web.pagination import page_of

bp = Blueprint("associations", __name__, url_prefix="/associations")


@bp.get("/")
@require(Permission.VIEW_FEDERATION)
def index():
    taxonomy = categories.labels(current_principal().federation_id)
    category = request.args.get("category") or None
    status = request.args.get("status") or None
    finding = request.args.get("compliance") or None
    if category not in (None, *taxonomy):
        category = None
    if finding not in (None, *compliance.STATUS_LABELS):
        finding = None
    with_finding = compliance.with_status(finding) if finding else None
    page = page_of(services.profiles_in_scope(category, status, among=with_finding))
    findings = compliance.stored_findings([p.tenant_id for p in page.items])
    return render_template(
        "associations/index.html",
        page=page,
        category=category,
        status=status,
        finding=finding,
        categories=taxonomy,
        statuses=STATUS_LABELS,
        compliance_statuses=compliance.STATUS_LABELS,
        by_category=services.counts_by_category(),
        missing_fields=services.missing_fields,
        findings=findings,
        worst=compliance.worst,
    )


@bp.get("/<int:association_id>")
@require(Permission.VIEW_PROFILE)
def profile(association_id: int):
    association = services.access_association(association_id)
    profile = services.access_profile(association.id)
    visible = services.contact_visible_to(current_principal())
    return render_template(
        "associations/profile.html",
        association=association,
        profile=profile,
        phone=profile.contact_phone if visible else mask_phone(profile.contact_phone),
        email=profile.contact_email if visible else mask_email(profile.contact_email),
        missing=services.missing_fields(profile),
        statuses=STATUS_LABELS,
        can_edit=current_principal().can(Permission.EDIT_PROFILE),
    )


@bp.route("/<int:association_id>/edit", methods=["GET", "POST"])
@require(Permission.EDIT_PROFILE)
def edit(association_id: int):
    association = services.access_association(association_id)
    profile = services.access_profile(association.id)
    form = ProfileForm(
        obj=profile, name=association.name, categories=categories.labels(association.federation_id)
    )
    if form.validate_on_submit():
        changes = {f: getattr(form, f).data for f in ("name", *services.EDITABLE)}
        categories.apply_edit(profile, changes)
        services.update_profile(profile, changes)
        flash(_("The profile is saved."), "success")
        return redirect(url_for(".profile", association_id=association.id))
    status = 400 if form.errors else 200
    return render_template("associations/edit.html", form=form, association=association), status
