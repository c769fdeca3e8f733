"""The federation's pages: dashboards, categories, the university directory, comments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.associations import services as associations
from service.audit.services import current_actor
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import DomainError, blame
from service.federation import (
    categories,
    charts,
    comments,
    dashboards,
    exemplars,
    exports,
    guidance,
    problems,
    scope,
    table_choice,
)
from service.federation import universities as unlisted
from service.federation.forms import (
    ActionForm,
    CategoryChangeForm,
    CategoryForm,
    CommentForm,
    ExemplarPageForm,
    UniversityForm,
    weights_form,
)
from service.federation.metrics import BY_CODE, DASHBOARD_METRICS
from service.federation.scope import federation_id
from service.governance import compliance
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.privacy import mask_email, mask_name, mask_phone
from service.unit_of_work import discard
from service.web.bulk import all_matching, chosen_ids
from service.web.columns import ColumnChoice
from service.web.confirmations import confirm_first
from service.web.filters import local_date
from tenants.models import utcnow

bp = Blueprint("federation", __name__, url_prefix="/federation")


@bp.context_processor
def _print_header() -> dict:
    """What a printed dashboard states at its top: who issues it (the federation, by name)
    and the day it was printed (Beijing time). Read only when a page is drawn, and only for
    a user of a federation: an error page drawn here for anyone else shows no header."""

    def issuer() -> str | None:
        own = current_principal().federation_id
        return scope.federation(own).name if own else None

    return {"print_issuer": issuer, "printed_on": local_date(utcnow())}


# The association table has 16 columns: each user picks the ones to show (the name always),
# from a default of eight that fits a laptop's screen.
TABLE_COLUMNS = ColumnChoice(
    key="federation_table_columns",
    labels={
        "category": _l("University category"),
        "status": _l("Status"),
        "compliance": _l("Compliance"),
        **{m.code: m.label for m in DASHBOARD_METRICS},
        "health": _l("Health score"),
    },
    default=(
        "category",
        "status",
        "compliance",
        "members_individual",
        "members_group",
        "academic_events",
        "health",
    ),
    fixed=("name",),
)


def overview_category(fed: int) -> str | None:
    """The overview's category cut from `?category=` (a code or an id); unknown is ignored."""
    return categories.resolve(fed, request.args.get("category"))


@bp.get("/")
@require(Permission.VIEW_FEDERATION)
def overview():
    fed, year = federation_id(), table_choice.year()
    category = overview_category(fed)
    data = dashboards.overview(fed, year, category)
    taxonomy = categories.labels(fed)
    return render_template(
        "federation/overview.html",
        data=data,
        charts=charts.overview(data, taxonomy),
        categories=taxonomy,
        statuses=associations.status_labels(),
        open_problems=problems.of_federation(fed, open_only=True, category=category),
        rules={r.code: r.label for r in compliance.RULES},
        tasks={code: BY_CODE[code].label for code in data["activities_by_task"]},
    )


@bp.get("/associations")
@require(Permission.VIEW_FEDERATION)
def table():
    fed, year = federation_id(), table_choice.year()
    taxonomy = categories.labels(fed)
    args = table_choice.table_args(taxonomy)
    weight = dashboards.weights(fed)
    return render_template(
        "federation/table.html",
        rows=dashboards.table(fed, year, **args),
        args=args,
        year=year,
        categories=taxonomy,
        statuses=associations.status_labels(),
        compliance_statuses=compliance.STATUS_LABELS,
        metrics=DASHBOARD_METRICS,
        weights=weight,
        weight_form=weights_form(weight),
        export_args={**table_choice.filter_args(), "year": year},
        filter_args=table_choice.filter_args(),
        columns=TABLE_COLUMNS,
        shown=TABLE_COLUMNS.shown(),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    )


@bp.post("/associations/chosen")
@require(Permission.VIEW_FEDERATION)
@confirm_first
def act_on_chosen():
    """The table's bulk form: export exactly the ticked associations, or open the guidance
    form addressed to them. Every id must be an association of the caller's own federation
    (another's is a 404, before anything is read or written). With "every association of
    this filter" (after a confirmation that says how many), the filter in the form's query
    string is worked out again here and the ticked ids are not read at all."""
    if not ActionForm().validate_on_submit():
        abort(400)
    guiding = table_choice.guiding()
    every = all_matching(request.form)
    if every:
        rows = table_choice.matching_rows()
        chosen = [r.association_id for r in rows]
    else:
        chosen = [_own_association(i).id for i in chosen_ids(request.form, "association_id")]
    if not chosen:
        if every:
            flash(_("No association matches this filter."), "error")
        else:
            flash(_("Choose at least one association."), "error")
        return redirect(url_for(".table", **table_choice.filter_args()))
    if guiding:
        # The guidance form is the officer's to complete and send.
        return redirect(url_for("guidance.new", association=chosen))
    year = table_choice.year()
    if not every:
        # The table's sort and none of its filters: a ticked row is exported even if the
        # filter has moved on since the page was drawn.
        fed = federation_id()
        args = table_choice.table_args(categories.labels(fed))
        args |= {"category": None, "status": None, "finding": None}
        rows = [r for r in dashboards.table(fed, year, **args) if r.association_id in chosen]
    selection = exports.FILTERED if every else exports.CHOSEN
    return exports.logged_table([r.as_dict() for r in rows], year, selection)


@bp.post("/associations/columns")
@require(Permission.VIEW_FEDERATION)
def choose_columns():
    """Keep the user's choice of the table's columns, and show the table again as it was."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("reset"):
        TABLE_COLUMNS.reset()
    else:
        TABLE_COLUMNS.remember(request.form.getlist("column"))
    flash(_("The table shows the columns you chose."), "success")
    return redirect(url_for(".table", **table_choice.filter_args()), 303)


@bp.post("/weights")
@require(Permission.MANAGE_FEDERATION)
def set_weights():
    fed = federation_id()
    form = weights_form(dashboards.weights(fed))
    if not form.validate_on_submit():
        flash(_("Weights are whole numbers from 0 to 10."), "error")
        return redirect(url_for(".table")), 303
    dashboards.set_weights(
        fed, {m.code: getattr(form, m.code).data or 0 for m in dashboards.SCORED}
    )
    flash(_("The health score's weights are saved."), "success")
    return redirect(url_for(".table"))


@bp.get("/categories/<code>")
@require(Permission.VIEW_FEDERATION)
def category(code: str):
    fed, year = federation_id(), table_choice.year()
    taxonomy = categories.labels(fed)
    if code not in taxonomy:
        abort(404)
    view = dashboards.category_view(fed, code, year)
    metric = request.args.get("metric") if request.args.get("metric") in BY_CODE else None
    chosen = next(
        (m for m in view["metrics"] if m["code"] == (metric or "members_individual")),
        view["metrics"][0],
    )
    return render_template(
        "federation/category.html",
        view=view,
        chosen=chosen,
        chart=charts.placement(view, chosen),
        categories=taxonomy,
        metrics=DASHBOARD_METRICS,
    )


@bp.get("/trends")
@require(Permission.VIEW_FEDERATION)
def trends():
    fed = federation_id()
    metric = request.args.get("metric")
    if metric not in {m.code for m in DASHBOARD_METRICS}:
        metric = "members_individual"
    data = dashboards.trends(fed, metric)
    return render_template(
        "federation/trends.html",
        data=data,
        chart=charts.trend(data),
        metrics=DASHBOARD_METRICS,
    )


@bp.get("/associations/<int:association_id>")
@require(Permission.VIEW_FEDERATION)
def association(association_id: int):
    fed = federation_id()
    found = _own_association(association_id)
    profile = associations.access_profile(found.id)
    data = dashboards.association_page(fed, found.id)
    labels = {m.code: str(m.label) for m in DASHBOARD_METRICS}
    taxonomy = categories.labels(fed)
    return render_template(
        "federation/association.html",
        association=found,
        profile=profile,
        # Aggregates only: the contact is masked here, whatever the role.
        contact=(
            mask_name(profile.contact_name),
            mask_phone(profile.contact_phone),
            mask_email(profile.contact_email),
        ),
        data=data,
        small_charts=charts.association(data, labels),
        labels=labels,
        statuses=associations.status_labels(),
        compliance_statuses=compliance.STATUS_LABELS,
        rules={r.code: r.label for r in compliance.RULES},
        history=categories.history(found.id),
        categories=taxonomy,
        received=guidance.inbox(found.id),
        problems=[p for p in problems.of_federation(fed) if p.association_id == found.id],
        comments=comments.on_association(fed, found.id),
        category_form=CategoryChangeForm(categories=taxonomy, category=profile.category),
        comment_form=CommentForm(),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
        can_comment=current_principal().can(Permission.COMMENT_FEDERATION),
    )


def _own_association(association_id: int):
    """An association of the caller's own federation (a national token sees several)."""
    found = associations.access_association(association_id)
    if found.federation_id != federation_id():
        abort(404)
    return found


@bp.post("/associations/<int:association_id>/category")
@require(Permission.MANAGE_FEDERATION)
def change_category(association_id: int):
    found = _own_association(association_id)
    profile = associations.access_profile(found.id)
    form = CategoryChangeForm(categories=categories.labels(found.federation_id))
    if form.validate_on_submit():
        categories.change(profile, form.category.data, form.reason.data.strip(), current_actor())
        flash(_("The category is changed."), "success")
    else:
        flash(_("Choose a category and give the reason."), "error")
    return redirect(url_for(".association", association_id=found.id))


@bp.post("/associations/<int:association_id>/comments")
@require(Permission.COMMENT_FEDERATION)
def comment_on_association(association_id: int):
    found = _own_association(association_id)
    form = CommentForm()
    if form.validate_on_submit():
        comments.add(
            found.federation_id,
            form.body.data,
            current_principal().label,
            association_id=found.id,
        )
        flash(_("Your comment is added."), "success")
    else:
        flash(_("Write a comment first."), "error")
    return redirect(url_for(".association", association_id=found.id))


@bp.route("/categories", methods=["GET", "POST"])
@require(Permission.VIEW_FEDERATION)
def taxonomy():
    fed = federation_id()
    form = CategoryForm()
    if request.method == "POST":
        if not current_principal().can(Permission.MANAGE_FEDERATION):
            abort(403)
        if form.validate_on_submit():
            try:
                categories.add(fed, form.code.data, form.name.data.strip())
            except DomainError as refused:  # checked before anything is written
                blame(form, refused)
            else:
                flash(_("The category is added."), "success")
                return redirect(url_for(".taxonomy"))
    counts = associations.counts_by_category()
    status = 400 if form.errors else 200
    return render_template(
        "federation/categories.html",
        items=categories.of_federation(fed),
        counts=counts,
        form=form,
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    ), status


@bp.route("/universities", methods=["GET", "POST"])
@require(Permission.VIEW_FEDERATION)
def universities():
    fed = federation_id()
    taxonomy = categories.labels(fed)
    form = UniversityForm(categories=taxonomy)
    if request.method == "POST":
        if not current_principal().can(Permission.MANAGE_FEDERATION):
            abort(403)
        if form.validate_on_submit():
            try:
                unlisted.add(fed, form.name.data.strip(), form.category.data)
            except DomainError as refused:
                discard()  # a lost race leaves the failed insert in the session
                blame(form, refused)
            else:
                flash(_("The university is listed."), "success")
                return redirect(url_for(".universities"))
    status = 400 if form.errors else 200
    return render_template(
        "federation/universities.html",
        rows=unlisted.listed(fed),
        form=form,
        categories=taxonomy,
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    ), status


@bp.get("/exemplars")
@require(Permission.VIEW_FEDERATION)
def exemplar_page():
    """The exemplars the federation recognised, and whether their page is public."""
    fed = federation_id()
    published = exemplars.published_at(fed)
    return render_template(
        "federation/exemplars.html",
        entries=exemplars.recognised(fed),
        published_at=published,
        federation=scope.federation(fed),
        form=ExemplarPageForm(publish="0" if published else "1"),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    )


@bp.post("/exemplars/publication")
@require(Permission.MANAGE_FEDERATION)
def publish_exemplar_page():
    fed = federation_id()
    form = ExemplarPageForm()
    if not form.validate_on_submit():
        flash(_("Choose whether to publish the page."), "error")
        return redirect(url_for(".exemplar_page")), 303
    publish = form.publish.data == "1"
    exemplars.set_published(fed, publish, current_actor())
    if publish:
        flash(_("The page of exemplars is public."), "success")
    else:
        flash(_("The page of exemplars is taken down."), "success")
    return redirect(url_for(".exemplar_page"))


@bp.get("/export/<view>.xlsx")
@require(Permission.VIEW_FEDERATION)
def export(view: str):
    fed, year = federation_id(), table_choice.year()
    taxonomy = categories.labels(fed)
    if view == "overview":
        data = dashboards.overview(fed, year, overview_category(fed))
        return exports.overview(data, taxonomy)
    if view == "associations":
        rows = dashboards.table(fed, year, **table_choice.table_args(taxonomy))
        return exports.logged_table([r.as_dict() for r in rows], year, exports.FILTERED)
    if view in taxonomy:
        return exports.category(dashboards.category_view(fed, view, year))
    abort(404)
