"""Web pages of the association's work: the list with its filters, a form per task, the
detail page with evidence, the month calendar, the figures, the xlsx export, and the
consulting reports and technology transfers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.activities import aggregates, services, statistics
from service.activities import importing as activity_importing
from service.activities.forms import (
    ActionForm,
    ConsultingReportForm,
    EvidenceForm,
    TechTransferForm,
    activity_form,
    bulk_choice,
    list_filters,
    new_activity_form,
    parse_int,
)
from service.activities.models import (
    ACTIVITY_STATUS_LABELS,
    AUDIENCE_GROUP_LABELS,
    FIGURE_LABELS,
    FIGURES,
    NEXT_STATUS,
    RECIPIENT_LEVEL_LABELS,
    SPEAKER_KIND_LABELS,
    STATUS_FILTER_LABELS,
    SUBTYPES,
    TASK_LABELS,
    TRANSFER_MODE_LABELS,
    ActivityStatus,
    Task,
)
from service.activities.services import ActivityError
from service.associations import services as associations
from service.auth.principal import current_principal, require
from service.auth.roles import Level, Permission
from service.errors import blame, flash_refusal
from service.files.checks import EVIDENCE_KINDS, UploadRejected, accepted
from service.files.services import file_response
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.web import import_screens
from service.web.confirmations import confirm_first
from service.web.downloads import XLSX, download
from service.web.pagination import page_of

bp = Blueprint("activities", __name__, url_prefix="/activities")

WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


def _task(value: str) -> Task:
    try:
        return Task(value)
    except ValueError:
        abort(404)


def _int(value: str | None, low: int, high: int) -> int | None:
    return parse_int(value, low, high)


def _filters() -> dict:
    """The list's filters from the query string; anything malformed is ignored."""
    return list_filters(request.args)


def _above_association() -> bool:
    return current_principal().level is Level.FEDERATION


@bp.get("/")
@require(Permission.VIEW_ACTIVITIES)
def index():
    filters = _filters()
    page = page_of(services.activities_query(**filters))
    query_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "activities/index.html",
        page=page,
        filters=filters,
        query_args=query_args,
        tasks=TASK_LABELS,
        subtypes=SUBTYPES,
        statuses=STATUS_FILTER_LABELS,
        organisers=services.organiser_names(),
        associations=associations.names_in_scope() if _above_association() else {},
        years=range(date.today().year + 1, 2019, -1),
    )


def _organisers_for_form() -> dict[int, str]:
    return services.organiser_names()


@bp.route("/new/<task>", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def new(task: str):
    task = _task(task)
    form = new_activity_form(task)(organisers=_organisers_for_form())
    if form.validate_on_submit():
        try:
            activity = services.create_activity(
                form.activity_data(), current_principal().audit_label, status=form.status.data
            )
        except ActivityError as refused:
            blame(form, refused)  # refused before anything was written
        else:
            flash(_("The activity is recorded."), "success")
            return redirect(url_for(".detail", activity_id=activity.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "activities/form.html", form=form, task_label=TASK_LABELS[task], activity=None
    ), status


@bp.get("/<int:activity_id>")
@require(Permission.VIEW_ACTIVITIES)
def detail(activity_id: int):
    activity = services.access_activity(activity_id)
    following = NEXT_STATUS.get(ActivityStatus(activity.status))
    return render_template(
        "activities/detail.html",
        activity=activity,
        figures=FIGURES[Task(activity.task)],
        figure_labels=FIGURE_LABELS,
        speaker_kinds=SPEAKER_KIND_LABELS,
        audience_groups=AUDIENCE_GROUP_LABELS,
        organisers=services.organiser_names(),
        evidence=services.evidence_of(activity),
        evidence_form=EvidenceForm(),
        action_form=ActionForm(),
        next_status=ACTIVITY_STATUS_LABELS[following] if following else None,
        allowed=accepted(EVIDENCE_KINDS),
        association=associations.name_of(activity.tenant_id),
    )


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def edit(activity_id: int):
    activity = services.access_activity(activity_id)
    task = Task(activity.task)
    form = activity_form(task)(obj=activity, organisers=_organisers_for_form())
    if request.method == "GET":
        form.fill_from(activity)
    if form.validate_on_submit():
        try:
            services.update_activity(activity, form.activity_data())
        except ActivityError as refused:
            blame(form, refused)  # refused before anything was changed
        else:
            flash(_("The activity is saved."), "success")
            return redirect(url_for(".detail", activity_id=activity.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "activities/form.html", form=form, task_label=TASK_LABELS[task], activity=activity
    ), status


@bp.post("/<int:activity_id>/advance")
@require(Permission.RECORD_ACTIVITIES)
@confirm_first
def advance(activity_id: int):
    activity = services.access_activity(activity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for(".detail", activity_id=activity_id)
    try:
        services.advance(activity)
    except ActivityError as refused:
        return flash_refusal(refused, back)
    flash(_("The activity is now: %(status)s.", status=activity.status_label), "success")
    return redirect(back)


@bp.post("/<int:activity_id>/evidence")
@require(Permission.RECORD_ACTIVITIES)
def upload_evidence(activity_id: int):
    activity = services.access_activity(activity_id)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for(".detail", activity_id=activity_id))
    try:
        services.add_evidence(activity, form.file.data, current_principal().id)
    except (UploadRejected, ActivityError) as refused:
        # Both are refused before the file is stored: nothing to take back.
        flash(str(refused), "error")
    else:
        flash(_("The file is kept with the activity."), "success")
    return redirect(url_for(".detail", activity_id=activity_id))


@bp.get("/evidence/<int:evidence_id>")
@require(Permission.VIEW_ACTIVITIES)
def download_evidence(evidence_id: int):
    return file_response(services.access_evidence(evidence_id).file)


def chosen_activities() -> list:
    """The activities a bulk form chose, read in the caller's scope."""
    return services.selected_activities(*bulk_choice(request.form, request.args))


def _list_page() -> str:
    """The list as the clerk left it: the filter travels in the query string."""
    return url_for(".index", **{k: v for k, v in request.args.items() if k != "page" and v})


@bp.post("/reported")
@require(Permission.RECORD_ACTIVITIES)
@confirm_first
def report_many():
    """Mark the chosen activities 已上报 in one step, all or none (after the confirmation,
    which is asked only when every chosen one can be marked)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        marked = services.mark_reported(chosen_activities())
    except ActivityError as refused:
        return flash_refusal(refused, _list_page())
    flash(_("%(n)d activities are marked as reported.", n=marked), "success")
    return redirect(_list_page())


@bp.post("/evidence/<int:evidence_id>/delete")
@require(Permission.RECORD_ACTIVITIES)
def delete_evidence(evidence_id: int):
    item = services.access_evidence(evidence_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.remove_evidence(item)
    flash(_("The file is removed."), "success")
    return redirect(url_for(".detail", activity_id=item.activity_id))


# --- calendar, figures, export ---------------------------------------------------------


def _month() -> tuple[int, int]:
    value = request.args.get("month", "")
    try:
        year, month = (int(p) for p in value.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = date.today()
    return today.year, today.month


@bp.get("/calendar")
@require(Permission.VIEW_ACTIVITIES)
def calendar():
    """The association's own calendar; above it, the public events of the associations."""
    year, month = _month()
    public_only = _above_association()
    days = services.calendar_month(year, month, public_only=public_only)
    first = date(year, month, 1)
    weeks, week = [], [None] * first.weekday()
    for day, items in days.items():
        week.append((day, items))
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return render_template(
        "activities/calendar.html",
        weeks=weeks,
        weekdays=WEEKDAYS,
        year=year,
        month=month,
        previous="{:04d}-{:02d}".format(*previous),
        following="{:04d}-{:02d}".format(*following),
        public_only=public_only,
        associations=associations.names_in_scope() if public_only else {},
        today=date.today(),
    )


@bp.get("/figures")
@require(Permission.VIEW_ACTIVITIES)
def figures():
    """The year's figures: the association's against last year, or every association's."""
    year = _int(request.args.get("year"), 2000, 2100) or date.today().year
    above = _above_association()
    names = associations.names_in_scope()
    # Both years' figures at once (one statement for the work), where last year's is shown.
    years = (year,) if above else (year, year - 1)
    every_year = statistics.all_figures(list(names), years)
    current = every_year[year]
    context = {
        "year": year,
        "years": range(date.today().year, 2019, -1),
        "labels": aggregates.FIGURE_LABELS,
        "by_task": aggregates.FIGURES_BY_TASK,
        "suggestion_keys": aggregates.SUGGESTION_FIGURES,
        "tasks": TASK_LABELS,
        "above": above,
        "names": names,
        "figures": current,
    }
    if above:
        task = request.args.get("task") if request.args.get("task") in TASK_LABELS else "academic"
        context |= {"task": task, "totals": aggregates.totals(current)}
    else:
        context["previous"] = every_year[year - 1]
    return render_template("activities/figures.html", **context)


@bp.get("/export.xlsx")
@require(Permission.VIEW_ACTIVITIES)
def export():
    """The filtered list as a spreadsheet with Chinese headers."""
    content = services.export_xlsx(
        _filters(),
        by_association=_above_association(),
        tenant_id=current_principal().association_id,
    )
    return download(content, "activities.xlsx", XLSX)


# --- consulting reports and technology transfers ------------------------------------------


@bp.get("/outcomes")
@require(Permission.VIEW_ACTIVITIES)
def outcomes():
    year = _int(request.args.get("year"), 2000, 2100)
    return render_template(
        "activities/outcomes.html",
        reports=services.consulting_reports(year),
        transfers=services.tech_transfers(year),
        levels=RECIPIENT_LEVEL_LABELS,
        modes=TRANSFER_MODE_LABELS,
        year=year,
        years=range(date.today().year, 2019, -1),
        associations=associations.names_in_scope() if _above_association() else {},
    )


def _outcome_page(form, title: str, saver, existing=None):
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k != "csrf_token"}
        try:
            saver(existing, data)
        except ActivityError as refused:
            blame(form, refused)  # refused before anything was written
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".outcomes"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "simple_form.html", form=form, title=title, cancel=url_for(".outcomes")
    ), status


@bp.route("/outcomes/reports/new", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def new_consulting_report():
    return _outcome_page(
        ConsultingReportForm(), _("Record a consulting report"), services.save_consulting_report
    )


@bp.route("/outcomes/reports/<int:consulting_report_id>", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def edit_consulting_report(consulting_report_id: int):
    report = services.access_consulting_report(consulting_report_id)
    return _outcome_page(
        ConsultingReportForm(obj=report),
        _("Consulting report"),
        services.save_consulting_report,
        report,
    )


@bp.route("/outcomes/transfers/new", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def new_tech_transfer():
    return _outcome_page(
        TechTransferForm(), _("Record a technology transfer"), services.save_tech_transfer
    )


@bp.route("/outcomes/transfers/<int:tech_transfer_id>", methods=["GET", "POST"])
@require(Permission.RECORD_ACTIVITIES)
def edit_tech_transfer(tech_transfer_id: int):
    transfer = services.access_tech_transfer(tech_transfer_id)
    return _outcome_page(
        TechTransferForm(obj=transfer),
        _("Technology transfer"),
        services.save_tech_transfer,
        transfer,
    )


# --- imports of past years' activities -----------------------------------------------------

IMPORTS = import_screens.Pages(
    blueprint="activities",
    kind="activities",
    template="activities.template",
    back="activities.index",
    label=_l("Activity file (.xlsx or .csv)"),
    id_name="activity_import_id",
)
# Past years' activities are uploaded on the members' import engine, pages and job.
import_screens.add_routes(bp, Permission.RECORD_ACTIVITIES, IMPORTS)


@bp.get("/template.xlsx")
@require(Permission.RECORD_ACTIVITIES)
def template():
    return download(activity_importing.template_xlsx(), "activity-template.xlsx", XLSX)
