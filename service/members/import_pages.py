"""The pages of an import, for every kind: the upload, the status and review page, the
re-check or commit, the problem report and the rejected rows. Each kind's routes (members
and group members here, activities in its own package) call these with where its pages are,
so one review page and one job serve them all."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from rq import Retry

from service.auth.principal import current_principal
from service.imports.writing import neutralise, to_csv
from service.jobs import JobsUnavailable, enqueue
from service.members import import_review, importing
from service.members.forms import ImportForm, ImportReviewForm
from service.members.models import MemberImport
from service.members.tabular import to_xlsx
from service.web.downloads import CSV, XLSX, download
from tenants.access import find_in_scope
from tenants.db import db


@dataclass(frozen=True)
class Pages:
    """Where one kind's import pages are (endpoint names) and which kinds they serve."""

    kind: str  # what the upload page makes
    kinds: tuple[str, ...]  # what the status pages show (404 for any other)
    upload: str
    status: str
    review: str
    errors: str
    rejected: str
    template: str
    back: str  # the list the imported rows land in
    id_name: str = "import_id"  # the status pages' URL parameter

    def url(self, endpoint: str, upload_id: int, **values) -> str:
        return url_for(endpoint, **{self.id_name: upload_id}, **values)


def access_import(import_id: int, pages: Pages) -> MemberImport:
    """The upload if the current scope sees it and it is of a kind these pages serve; 404
    for missing, not yours and another kind's alike."""
    upload = find_in_scope(MemberImport, import_id)
    if upload is None or (upload.kind or "members") not in pages.kinds:
        abort(404)
    return upload


def _recent(kind: str) -> list[MemberImport]:
    return db.session.scalars(
        db.select(MemberImport)
        .where(MemberImport.kind == kind)
        .order_by(MemberImport.created_at.desc())
        .limit(20)
    ).all()


def _unavailable() -> str:
    return _("Imports cannot start right now. Nothing was imported; try again in a few minutes.")


def _enqueue(import_id: int, pages: Pages) -> bool:
    """Queue the job (idempotent, so a job whose worker died is run again by the next
    worker); if it cannot be queued, the upload is closed as failed and the user told."""
    try:
        job = enqueue(
            importing.run_import, import_id, retry=Retry(max=2), on_give_up=importing.gave_up
        )
    except JobsUnavailable:
        importing.give_up(access_import(import_id, pages), _unavailable())
        flash(_unavailable(), "error")
        return False
    access_import(import_id, pages).job_id = job.id  # where the status page reads progress
    db.session.commit()
    return True


def upload_page(pages: Pages, form_label: object | None = None):
    """The upload form and the recent uploads of the kind; a valid upload is recorded,
    queued, and shown on its status page."""
    form = ImportForm()
    if form_label is not None:
        form.file.label.text = str(form_label)
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(importing.limits().max_bytes + 1)
        started = importing.start_import(
            upload.filename or "upload", content, current_principal().audit_label, pages.kind
        )
        db.session.commit()
        import_id = started.id
        if not _enqueue(import_id, pages):
            return redirect(url_for(pages.upload))
        return redirect(pages.url(pages.status, import_id))
    status = 400 if form.errors else 200
    return render_template(
        "members/imports.html", form=form, imports=_recent(pages.kind), pages=pages
    ), status


def status_page(import_id: int, pages: Pages):
    upload = access_import(import_id, pages)
    sheet = importing.find_sheet(upload)
    spec = importing.spec_of(upload)
    form = ImportReviewForm(
        mode=sheet.mode if sheet else "all", on_match=sheet.on_match if sheet else "skip"
    )
    return render_template(
        "members/import_status.html",
        upload=upload,
        sheet=sheet,
        review=import_review.view_of(sheet.report) if sheet and sheet.report else None,
        fields=import_review.field_choices(spec.fields),
        form=form,
        progress=importing.progress_of(upload),
        lost=importing.is_lost(upload),
        lost_reason=importing.lost_reason(),
        pages=pages,
    )


def review_post(import_id: int, pages: Pages):
    """Re-check with the secretary's mapping, fixes and exclusions, or import."""
    upload = access_import(import_id, pages)
    form = ImportReviewForm()
    if upload.status != "review" or not form.validate_on_submit():
        abort(400)
    sheet = importing.sheet_of(upload)
    spec = importing.spec_of(upload)
    try:
        import_review.apply(sheet, request.form, form.mode.data, form.on_match.data, spec.fields)
    except import_review.ReviewRefused as refused:
        flash(str(refused), "error")
        return redirect(pages.url(pages.status, import_id))
    sheet.stage = "commit" if request.form.get("action") == "commit" else "check"
    upload.status = "queued"
    db.session.commit()
    _enqueue(import_id, pages)
    return redirect(pages.url(pages.status, import_id))


def errors_download(import_id: int, fmt: str, pages: Pages):
    upload = access_import(import_id, pages)
    if fmt not in ("xlsx", "csv") or not upload.errors:
        abort(404)
    header = [_("Row"), _("Column"), _("Value as written"), _("Problem")]
    rows = [
        [e["row"] or "", e["column"] or "", neutralise(e.get("value", "")), e["message"]]
        for e in upload.errors
    ]
    if fmt == "xlsx":
        return download(to_xlsx(header, rows), f"import-{upload.id}-errors.xlsx", XLSX)
    return download(to_csv(header, rows), f"import-{upload.id}-errors.csv", CSV)


def rejected_download(import_id: int, fmt: str, pages: Pages):
    """The rows with problems, in the file's own layout, to fix and upload again."""
    upload = access_import(import_id, pages)
    sheet = importing.find_sheet(upload)
    report = sheet.report if sheet else None
    if fmt not in ("xlsx", "csv") or not report:
        abort(404)
    header, rows = import_review.rejected(report)
    rows = [[neutralise(v) for v in r] for r in rows]
    if fmt == "xlsx":
        return download(to_xlsx(header, rows), f"import-{upload.id}-rejected.xlsx", XLSX)
    return download(to_csv(header, rows), f"import-{upload.id}-rejected.csv", CSV)


MEMBERS = Pages(
    kind="members",
    kinds=("members", "groups"),
    upload="members.imports",
    status="members.import_status",
    review="members.import_review_post",
    errors="members.import_errors",
    rejected="members.import_rejected",
    template="members.template",
    back="members.index",
)
GROUPS = Pages(
    kind="groups",
    kinds=("members", "groups"),
    upload="members.group_imports",
    status="members.import_status",
    review="members.import_review_post",
    errors="members.import_errors",
    rejected="members.import_rejected",
    template="members.group_template",
    back="members.groups",
)
