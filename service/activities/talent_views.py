"""Web pages for nominations and exemplars: the association proposes and records consent and
outcomes; the federation decides; the federation's public page shows published exemplars."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.activities import talent
from service.activities.forms import (
    ConsentForm,
    DecisionForm,
    ExemplarForm,
    NominationForm,
    OutcomeForm,
    PublishForm,
)
from service.activities.models import EXEMPLAR_STATUS_LABELS, NOMINATION_STATUS_LABELS
from service.associations import services as associations
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import blame, flash_refusal
from service.i18n import gettext as _

bp = Blueprint("talent", __name__, url_prefix="/talent")


def _year() -> int | None:
    """The list's year filter; anything malformed is ignored."""
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else None


def _years() -> range:
    return range(date.today().year + 1, 2019, -1)


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# --- nominations -------------------------------------------------------------------------


@bp.get("/nominations/")
@require(Permission.VIEW_ACTIVITIES)
def nominations():
    status = request.args.get("status")
    status = status if status in NOMINATION_STATUS_LABELS else None
    year = _year()
    return render_template(
        "talent/nominations.html",
        nominations=talent.nominations(status, year),
        statuses=NOMINATION_STATUS_LABELS,
        status=status,
        year=year,
        years=_years(),
        names=associations.names_in_scope(),
    )


@bp.route("/nominations/new", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def new_nomination():
    form = NominationForm(year=talent.current_year())
    if form.validate_on_submit():
        try:
            found = talent.propose_nomination(form.data, current_principal().audit_label)
        except talent.TalentError as refused:
            blame(form, refused)  # refused before anything was written
        else:
            return _done(_("The nomination is proposed."), ".nomination", nomination_id=found.id)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "simple_form.html",
        form=form,
        title=_("Propose a nomination"),
        hint=_("The nominee's name goes forward and is shown publicly only with their consent."),
        cancel=url_for(".nominations"),
    ), status


@bp.get("/nominations/<int:nomination_id>")
@require(Permission.VIEW_ACTIVITIES)
def nomination(nomination_id: int):
    found = talent.access_nomination(nomination_id)
    return render_template(
        "talent/nomination.html",
        nomination=found,
        association=associations.name_of(found.tenant_id),
        consent_form=ConsentForm(consent=found.consent_given),
        outcome_form=OutcomeForm(),
        decision_form=DecisionForm(),
    )


@bp.post("/nominations/<int:nomination_id>/consent")
@require(Permission.RECORD_ACTIVITIES)
def nomination_consent(nomination_id: int):
    found = talent.access_nomination(nomination_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    talent.set_nomination_consent(found, form.consent.data)
    return _done(_("The consent is recorded."), ".nomination", nomination_id=found.id)


@bp.post("/nominations/<int:nomination_id>/outcome")
@require(Permission.RECORD_ACTIVITIES)
def nomination_outcome(nomination_id: int):
    found = talent.access_nomination(nomination_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        talent.record_outcome(found, form.outcome.data == "awarded")
    except talent.TalentError as refused:
        return flash_refusal(refused, url_for(".nomination", nomination_id=found.id))
    return _done(_("The outcome is recorded."), ".nomination", nomination_id=found.id)


@bp.post("/nominations/<int:nomination_id>/decision")
@require(Permission.RECOGNISE_EXEMPLARS)
def nomination_decision(nomination_id: int):
    found = talent.access_nomination(nomination_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    by = current_principal().audit_label
    try:
        if form.decision.data == "approve":
            talent.endorse_nomination(found, by)
        else:
            talent.decline_nomination(found, by, form.reason.data or "")
    except talent.TalentError as refused:
        return flash_refusal(refused, url_for(".nomination", nomination_id=found.id))
    return _done(_("The decision is recorded."), ".nomination", nomination_id=found.id)


# --- exemplars ---------------------------------------------------------------------------


@bp.get("/exemplars/")
@require(Permission.VIEW_ACTIVITIES)
def exemplars():
    status = request.args.get("status")
    status = status if status in EXEMPLAR_STATUS_LABELS else None
    principal = current_principal()
    year = _year()
    return render_template(
        "talent/exemplars.html",
        exemplars=talent.exemplars(status, year),
        statuses=EXEMPLAR_STATUS_LABELS,
        status=status,
        year=year,
        years=_years(),
        names=associations.names_in_scope(),
        federation_id=principal.federation_id,
    )


@bp.route("/exemplars/new", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def new_exemplar():
    form = ExemplarForm(year=talent.current_year())
    if form.validate_on_submit():
        try:
            found = talent.propose_exemplar(form.data, current_principal().audit_label)
        except talent.TalentError as refused:
            blame(form, refused)  # refused before anything was written
        else:
            return _done(_("The exemplar is proposed."), ".exemplar", exemplar_id=found.id)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "simple_form.html",
        form=form,
        title=_("Propose an exemplar"),
        hint=_(
            "The federation recognises exemplars; a recognised one is published on the"
            " federation's page only with their consent."
        ),
        cancel=url_for(".exemplars"),
    ), status


@bp.get("/exemplars/<int:exemplar_id>")
@require(Permission.VIEW_ACTIVITIES)
def exemplar(exemplar_id: int):
    found = talent.access_exemplar(exemplar_id)
    return render_template(
        "talent/exemplar.html",
        exemplar=found,
        association=associations.name_of(found.tenant_id),
        consent_form=ConsentForm(consent=found.consent_to_publish),
        decision_form=DecisionForm(),
        publish_form=PublishForm(publish="0" if found.published else "1"),
    )


@bp.post("/exemplars/<int:exemplar_id>/consent")
@require(Permission.RECORD_ACTIVITIES)
def exemplar_consent(exemplar_id: int):
    found = talent.access_exemplar(exemplar_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    talent.set_exemplar_consent(found, form.consent.data)
    return _done(_("The consent is recorded."), ".exemplar", exemplar_id=found.id)


@bp.post("/exemplars/<int:exemplar_id>/decision")
@require(Permission.RECOGNISE_EXEMPLARS)
def exemplar_decision(exemplar_id: int):
    found = talent.access_exemplar(exemplar_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    by = current_principal().audit_label
    try:
        if form.decision.data == "approve":
            talent.recognise_exemplar(found, by)
        else:
            talent.decline_exemplar(found, by, form.reason.data or "")
    except talent.TalentError as refused:
        return flash_refusal(refused, url_for(".exemplar", exemplar_id=found.id))
    return _done(_("The decision is recorded."), ".exemplar", exemplar_id=found.id)


@bp.post("/exemplars/<int:exemplar_id>/publish")
@require(Permission.RECOGNISE_EXEMPLARS)
def exemplar_publish(exemplar_id: int):
    found = talent.access_exemplar(exemplar_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        talent.publish_exemplar(found, form.publish.data == "1")
    except talent.TalentError as refused:
        return flash_refusal(refused, url_for(".exemplar", exemplar_id=found.id))
    return _done(_("Saved."), ".exemplar", exemplar_id=found.id)


# --- the federation's public page --------------------------------------------------------


@bp.get("/public/<int:federation_id>")
def public_exemplars(federation_id: int):
    """The address the page first had: now the federation's one public page, which its
    officer publishes (404 until then)."""
    code = talent.published_page_code(federation_id)
    if code is None:
        abort(404)
    return redirect(url_for("federation_public.exemplar_page", code=code), 301)
