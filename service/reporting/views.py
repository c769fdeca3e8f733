"""Web pages of the reporting cycle: the federation's periods and review, the association's
report with the records behind each figure, the roll-up, exports and the print page."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from service.auth.principal import current_principal, require
from service.auth.roles import Level, Permission
from service.errors import DomainError, blame, flash_refusal
from service.federation import comments
from service.i18n import gettext as _
from service.reporting import amendments, exports, indicators, jobs, national_forms, push, services
from service.reporting.forms import (
    ActionForm,
    DeclineReopenForm,
    EndpointForm,
    ExplanationForm,
    PeriodForm,
    ReopenForm,
)
from service.reporting.models import AnnualReport
from service.unit_of_work import discard
from service.web.confirmations import confirm_first
from service.web.downloads import CSV, XLSX, download

bp = Blueprint("reporting", __name__, url_prefix="/reporting")
P = Permission


def _is_federation() -> bool:
    return current_principal().level is Level.FEDERATION


@bp.get("/")
@require(P.VIEW_REPORTS)
def index():
    form = PeriodForm()
    return _index_page(form)


def _index_page(form: PeriodForm, status: int = 200):
    periods = services.all_periods()
    principal = current_principal()
    own = {}
    if principal.association_id:
        for period in periods:
            own[period.id] = services.current_report(principal.association_id, period.id)
    return render_template(
        "reporting/index.html",
        periods=periods,
        own=own,
        form=form,
        can_open=principal.can(P.REVIEW_REPORTS),
    ), status


@bp.post("/periods")
@require(P.REVIEW_REPORTS)
def open_period():
    form = PeriodForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    principal = current_principal()
    try:
        period = services.open_period(
            principal.federation_id, form.year.data, form.deadline.data, principal.audit_label
        )
    except DomainError as error:  # checked first; a Conflict when opened at the same moment
        getattr(form, error.field or "year").errors = [str(error.message)]
        return _index_page(form, 400)
    flash(_("The reporting period is open."), "success")
    return redirect(url_for(".period", period_id=period.id))


@bp.get("/periods/<int:period_id>")
@require(P.VIEW_REPORTS)
def period(period_id: int):
    period = services.access_period(period_id)
    principal = current_principal()
    if principal.association_id:
        report = services.current_report(principal.association_id, period.id)
        if report is not None:
            return redirect(url_for(".report", report_id=report.id))
        return render_template(
            "reporting/not_compiled.html",
            period=period,
            form=ActionForm(),
            can_prepare=principal.can(P.PREPARE_REPORTS),
        )
    rows = services.filing_rows(period)
    amended, asked = amendments.flags(r.id for _aid, _name, r in rows if r and r.locked)
    return render_template(
        "reporting/period.html",
        period=period,
        rows=rows,
        amended=amended,
        asked=asked,
        missing=[
            name for _aid, name, report in rows if report is None or report.status != "approved"
        ],
    )


@bp.post("/periods/<int:period_id>/compile")
@require(P.PREPARE_REPORTS)
def compile_own(period_id: int):
    period = services.access_period(period_id)
    principal = current_principal()
    try:
        report = services.queue_compile(principal.association_id, period)
    except services.ReportingError as error:
        return flash_refusal(error, url_for(".period", period_id=period.id))
    return redirect(url_for(".report", report_id=report.id))


def _report_context(report: AnnualReport) -> dict:
    period = services.period_of(report)
    association = services.association_of(report)
    previous = services.previous_figures(report) or {}
    figures = report.figures or {}
    lines = []
    for indicator in indicators.CATALOGUE:
        value = figures.get(indicator.code, 0)
        last = previous.get(indicator.code)
        lines.append(
            {
                "indicator": indicator,
                "value": value,
                "previous": last,
                "moved": indicators.moved_a_lot(value, last),
                "explanation": (report.explanations or {}).get(indicator.code),
                "comment": (report.review_comments or {}).get(indicator.code),
                "records": _records_url(indicator, report.tenant_id, period.year),
            }
        )
    return {
        "report": report,
        "period": period,
        "association": association,
        "lines": lines,
        "versions": services.versions(report),
        "sheets": national_forms.sheets(figures, national_forms.headers_for(period.year)),
        "filed_on": national_forms.format_date(_filed_on(report)),
    }


def _filed_on(report: AnnualReport) -> date | None:
    """报出日期: the day the report went to the federation (or, failing that, was locked)."""
    moment = report.submitted_at or report.decided_at
    return moment.date() if moment else None


def _records_url(indicator: indicators.Indicator, association_id: int, year: int) -> str | None:
    """The record list behind a figure, for those who may see it."""
    if indicator.records is None or not current_principal().association_id:
        return None
    records = indicator.records
    args = dict(records.filters)
    if records.by_association:
        args["association_id"] = association_id
    if records.by_year:
        args["year"] = year
    return url_for(records.endpoint, **args)


@bp.get("/reports/<int:report_id>")
@require(P.VIEW_REPORTS)
def report(report_id: int):
    report = services.access_report(report_id)
    principal = current_principal()
    latest = services.current_report(report.tenant_id, report.period_id)
    context = _report_context(report)
    unexplained = services.unexplained(report) if report.figures else []
    return render_template(
        "reporting/report.html",
        **context,
        **_working_surface(report, context["lines"], unexplained),
        progress=jobs.compile_progress(report),
        lost=services.was_lost(report),
        is_latest=latest.id == report.id,
        can_prepare=principal.can(P.PREPARE_REPORTS),
        can_review=principal.can(P.REVIEW_REPORTS),
        **_supervision(report, context["versions"]),
        action_form=ActionForm(),
        explanation_form=ExplanationForm(),
        reopen_form=ReopenForm(),
        **_after_lock(report),
    )


def _working_surface(report: AnnualReport, lines: list[dict], unexplained: list[str]) -> dict:
    """The report as one page to work on: what still needs an explanation and the
    federation's comments (the summary at the top, each with a link to its row), and the
    figures in the catalogue's sections, those needing attention open."""
    by_code = {line["indicator"].code: line for line in lines}
    sections = []
    for section, members in indicators.sections():
        rows = [by_code[i.code] for i in members]
        attention = sum(1 for r in rows if r["indicator"].code in unexplained or r["comment"])
        sections.append(
            {
                "section": section,
                "lines": rows,
                "attention": attention,
                "moved": sum(1 for r in rows if r["moved"]),
            }
        )
    # Every section is open where nothing at all asks for attention (a report to read).
    nothing_asks = not any(s["attention"] or s["moved"] for s in sections)
    for entry in sections:
        entry["open"] = nothing_asks or bool(entry["attention"] or entry["moved"])
    return {
        "sections": sections,
        "unexplained": [(code, indicators.name_of(code)) for code in unexplained],
        "to_explain": set(unexplained),
        "review_comments": [
            (line["indicator"].code, indicators.name_of(line["indicator"].code), line["comment"])
            for line in lines
            if line["comment"]
        ],
    }


def _supervision(report: AnnualReport, versions: list[AnnualReport]) -> dict:
    """The supervisors' comments on this version of the report, those on its earlier
    versions (labelled with their version), and whether this reader may add one (officers
    and education supervisors of its federation; the association never sees them)."""
    principal = current_principal()
    if principal.level is not Level.FEDERATION:
        return {"supervisor_comments": [], "earlier_comments": [], "can_comment": False}
    earlier = {v.id: v.version for v in versions if v.version < report.version}
    found = comments.on_reports(principal.federation_id, [report.id, *earlier])
    return {
        "supervisor_comments": [c for c in found if c.report_id == report.id],
        "earlier_comments": [(earlier[c.report_id], c) for c in found if c.report_id in earlier],
        "can_comment": principal.can(P.COMMENT_FEDERATION),
        "comment_limit": comments.MAX_LENGTH,
    }


@bp.post("/reports/<int:report_id>/comments")
@require(P.COMMENT_FEDERATION)
def comment(report_id: int):
    """Comment on this version of a report as a supervisor (also a note on the association)."""
    report = services.access_report(report_id)
    target = url_for(".report", report_id=report.id, _anchor="supervisor-comments")
    principal = current_principal()
    if not ActionForm().validate_on_submit() or principal.level is not Level.FEDERATION:
        abort(400)
    try:
        comments.add(
            principal.federation_id,
            request.form.get("body", ""),
            principal.label,
            association_id=report.tenant_id,
            report_id=report.id,
        )
    except comments.CommentError:
        flash(_("Write a comment of at most %(n)d characters.", n=comments.MAX_LENGTH), "error")
        return redirect(target)
    flash(_("Your comment is added."), "success")
    return redirect(target)


def _after_lock(report: AnnualReport) -> dict:
    """What changed since the report was locked, and the requests to reopen it."""
    if report.locked_hash is None:
        return {"drift": None, "reopen_requests": [], "pending_request": None}
    requests = amendments.requests_for(report)
    return {
        "drift": amendments.drift(report),
        "reopen_requests": requests,
        "pending_request": next(
            (r for r in requests if r.status == amendments.ReopenStatus.PENDING), None
        ),
        "decline_form": DeclineReopenForm(),
    }


@bp.post("/reports/<int:report_id>/explain")
@require(P.PREPARE_REPORTS)
def explain(report_id: int):
    """Save one figure's explanation. A form posted by the page without script goes back to
    its row; the page's script (report.js) asks for JSON and stays where it is."""
    report = services.access_report(report_id)
    form = ExplanationForm()
    code = form.code.data or ""
    target = url_for(".report", report_id=report.id, _anchor=f"figure-{code}")
    if not form.validate_on_submit():
        refusal = services.ReportingError(
            _("Write the explanation (at most 1000 characters)."), "text"
        )
        return _explain_refused(refusal, target)
    try:
        services.explain(report, code, form.text.data)
    except services.ReportingError as error:
        return _explain_refused(error, target)
    if _wants_json():
        still = services.unexplained(report)
        return jsonify(
            saved=True,
            code=code,
            unexplained=[{"code": c, "name": indicators.name_of(c)} for c in still],
        )
    flash(_("The explanation is saved."), "success")
    return redirect(target)


def _wants_json() -> bool:
    """Whether the caller asked for JSON (the page's script) rather than a page."""
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json"


def _explain_refused(error: services.ReportingError, target: str):
    if _wants_json():
        discard()
        return jsonify(saved=False, message=str(error)), error.status
    return flash_refusal(error, target)


@bp.post("/reports/<int:report_id>/submit")
@require(P.PREPARE_REPORTS)
@confirm_first
def submit(report_id: int):
    report = services.access_report(report_id)
    target = url_for(".report", report_id=report.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.submit(report)
    except services.ReportingError as error:
        # Back to the summary, which links each figure still to explain to its row.
        return flash_refusal(error, url_for(".report", report_id=report.id, _anchor="summary"))
    flash(_("The report is submitted to the federation."), "success")
    return redirect(target)


@bp.post("/reports/<int:report_id>/review")
@require(P.REVIEW_REPORTS)
@confirm_first
def review(report_id: int):
    report = services.access_report(report_id)
    target = url_for(".report", report_id=report.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    actor = current_principal().audit_label
    try:
        if request.form.get("decision") == "approve":
            services.approve(report, actor)
            message = _("The report is approved and locked.")
        else:
            comments = {
                i.code: request.form.get(f"comment_{i.code}", "")[:1000]
                for i in indicators.CATALOGUE
            }
            services.return_report(report, comments, actor)
            message = _("The report is returned with your comments.")
    except services.ReportingError as error:
        return flash_refusal(error, target)
    flash(message, "success")
    return redirect(target)


@bp.post("/reports/<int:report_id>/reopen")
@require(P.REVIEW_REPORTS)
def reopen(report_id: int):
    report = services.access_report(report_id)
    form = ReopenForm()
    target = url_for(".report", report_id=report.id)
    if not form.validate_on_submit():
        flash(_("Give the reason for reopening."), "error")
        return redirect(target)
    actor = current_principal().audit_label
    try:
        amendments.granted(report, form.reason.data, actor)
        newer = services.reopen(report, form.reason.data, actor)
    except services.ReportingError as error:
        return flash_refusal(error, target)
    flash(_("The report is reopened as version %(n)d.", n=newer.version), "success")
    return redirect(url_for(".report", report_id=newer.id))


@bp.post("/reports/<int:report_id>/reopen-request")
@require(P.PREPARE_REPORTS)
def request_reopen(report_id: int):
    """The association asks the federation to reopen its approved report."""
    return _reopen_step(
        report_id,
        ReopenForm(),
        amendments.request_reopen,
        _("Give the reason for reopening."),
        _("The federation is asked to reopen the report."),
    )


@bp.post("/reports/<int:report_id>/reopen-request/decline")
@require(P.REVIEW_REPORTS)
def decline_reopen(report_id: int):
    """The federation declines the association's request to reopen."""
    return _reopen_step(
        report_id,
        DeclineReopenForm(),
        amendments.decline,
        _("Say why the request is declined."),
        _("The request to reopen is declined."),
    )


def _reopen_step(report_id: int, form, step, no_reason: str, done: str):
    """One step of a reopen request, with the reason from `form`; back to the report."""
    report = services.access_report(report_id)
    target = url_for(".report", report_id=report.id)
    if not form.validate_on_submit():
        flash(no_reason, "error")
        return redirect(target)
    try:
        step(report, form.reason.data, current_principal().audit_label)
    except amendments.ReopenRequestError as error:
        return flash_refusal(error, target)
    flash(done, "success")
    return redirect(target)


@bp.get("/reports/<int:report_id>/print")
@require(P.VIEW_REPORTS)
def print_report(report_id: int):
    report = services.access_report(report_id)
    return render_template("reporting/print.html", **_report_context(report))


@bp.get("/reports/<int:report_id>/export.<any(xlsx, csv, json):fmt>")
@require(P.VIEW_REPORTS)
def export(report_id: int, fmt: str):
    report = services.access_report(report_id)
    if not report.figures:
        abort(404)
    period = services.period_of(report)
    association = services.association_of(report)
    name = f"report-{association.id}-{period.year}-v{report.version}.{fmt}"
    filing = exports.Filing(
        association.name,
        period.year,
        report.version,
        report.locked_hash,
        _filed_on(report),
        national_forms.headers_for(period.year),
    )
    return _download(
        fmt,
        name,
        filing,
        report.figures,
        {
            "association_id": association.id,
            "unit": association.name,
            "year": period.year,
            "version": report.version,
            "status": report.status,
            "hash": report.locked_hash,
            "figures": report.figures,
        },
    )


def _download(fmt, filename, filing, figures, document) -> Response:
    if fmt == "xlsx":
        body = exports.to_xlsx(filing, figures)
        mimetype = XLSX
    elif fmt == "csv":
        body, mimetype = exports.to_csv(figures), CSV
    else:
        body, mimetype = exports.to_json(document), "application/json"
    return download(body, filename, mimetype)


# --- the federation's roll-up -------------------------------------------------------------


@bp.get("/periods/<int:period_id>/rollup")
@require(P.REVIEW_REPORTS)
def rollup(period_id: int):
    period = services.access_period(period_id)
    return render_template(
        "reporting/rollup.html",
        period=period,
        versions=services.rollup_versions(period),
        outbox=push.outbox_by_rollup(period.federation_id),
        forms=national_forms.FORMS,
        lines=national_forms.lines,
        form=ActionForm(),
    )


@bp.post("/periods/<int:period_id>/rollup")
@require(P.REVIEW_REPORTS)
def compile_rollup(period_id: int):
    period = services.access_period(period_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.compile_rollup(period.federation_id, period.year)
    flash(_("The roll-up is compiled from the approved reports."), "success")
    return redirect(url_for(".rollup", period_id=period.id))


@bp.post("/rollups/<int:rollup_id>/lock")
@require(P.REVIEW_REPORTS)
@confirm_first
def lock_rollup(rollup_id: int):
    rollup = services.access_rollup(rollup_id)
    target = url_for(".rollup", period_id=services.period_of_rollup(rollup).id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outbox = services.lock_rollup(rollup, current_principal().audit_label)
    except services.ReportingError as error:
        return flash_refusal(error, target)
    if outbox is not None:
        push.queue_delivery(outbox.id)
    flash(_("The roll-up is locked."), "success")
    return redirect(target)


@bp.get("/rollups/<int:rollup_id>/export.<any(xlsx, csv, json):fmt>")
@require(P.REVIEW_REPORTS)
def export_rollup(rollup_id: int, fmt: str):
    rollup = services.access_rollup(rollup_id)
    document = {**services.snapshot(rollup), "hash": rollup.locked_hash}
    filing = exports.Filing(
        services.federation_of(rollup).name,
        rollup.year,
        rollup.version,
        rollup.locked_hash,
        rollup.locked_at.date() if rollup.locked_at else None,
        national_forms.headers_for(rollup.year),
    )
    name = f"rollup-{rollup.federation_id}-{rollup.year}-v{rollup.version}.{fmt}"
    return _download(fmt, name, filing, rollup.figures, document)


@bp.route("/endpoint", methods=["GET", "POST"])
@require(P.REVIEW_REPORTS)
def endpoint():
    federation_id = current_principal().federation_id
    form = EndpointForm(obj=push.endpoint_of(federation_id))
    if form.validate_on_submit():
        try:
            push.save_endpoint(federation_id, form.url.data, form.secret.data)
        except DomainError as error:  # checked before anything is written
            blame(form, error)
        else:
            flash(_("The national endpoint is saved."), "success")
            return redirect(url_for(".endpoint"))
    form.secret.data = ""
    status = 400 if form.errors else 200
    outbox = push.outbox_of(federation_id)
    return render_template("reporting/endpoint.html", form=form, outbox=outbox), status
