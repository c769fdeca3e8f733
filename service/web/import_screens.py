"""The pages of an import, for every kind: the upload, the status and review page, the
re-check or commit, the problem report and the rejected rows. A package puts them on its
blueprint with `add_routes` and says where its own pages are (`Pages`), so one review page
and one job serve members, group members and activities alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import flash_refusal
from service.i18n import gettext as _
from service.imports.writing import neutralise, to_csv
from service.jobs import JobsUnavailable
from service.members import import_review, importing, jobs
from service.members.forms import ImportForm, ImportReviewForm
from service.members.tabular import to_xlsx
from service.unit_of_work import discard
from service.web.downloads import CSV, XLSX, download

if TYPE_CHECKING:  # a hint only: uploads are read through the members' import services
    from service.members.models import MemberImport


@dataclass(frozen=True)
class Pages:
    """One kind's import pages on its package's blueprint: where its upload page is, its
    template and the list its rows land in. The status pages (`add_routes`) are the
    blueprint's, shared by every kind it serves."""

    blueprint: str
    kind: str  # what the upload page makes
    template: str  # endpoint of the template download
    back: str  # endpoint of the list the imported rows land in
    label: object | None = None  # the file field's label, when not the members' own
    upload_rule: str = "/imports"
    upload_endpoint: str = "imports"
    id_name: str = "import_id"  # the status pages' URL parameter

    @property
    def upload(self) -> str:
        return f"{self.blueprint}.{self.upload_endpoint}"

    @property
    def status(self) -> str:
        return f"{self.blueprint}.import_status"

    @property
    def review(self) -> str:
        return f"{self.blueprint}.import_review_post"

    @property
    def errors(self) -> str:
        return f"{self.blueprint}.import_errors"

    @property
    def rejected(self) -> str:
        return f"{self.blueprint}.import_rejected"

    def url(self, endpoint: str, upload_id: int, **values) -> str:
        return url_for(endpoint, **{self.id_name: upload_id}, **values)


def add_routes(bp: Blueprint, permission: Permission, *served: Pages) -> None:
    """Put on `bp`, under `permission`, the upload page of each of `served`, and one set of
    status pages (status and review, re-check or commit, problem report, rejected rows)
    for every upload they make, each shown with its own kind's links. An upload of any
    other kind is not found there."""
    id_name = served[0].id_name
    rule = f"/imports/<int:{id_name}>"

    def found(values: dict) -> tuple[MemberImport, Pages]:
        upload = importing.access_import(values[id_name], kinds=[p.kind for p in served])
        return upload, next(p for p in served if p.kind == (upload.kind or importing.KIND))

    def status(**values):
        return status_page(*found(values))

    def review(**values):
        """Re-check with the secretary's mapping, fixes and exclusions, or import."""
        return review_post(*found(values))

    def errors(fmt: str, **values):
        return errors_download(found(values)[0], fmt)

    def rejected(fmt: str, **values):
        """The rows with problems, in the file's own layout, to fix and upload again."""
        return rejected_download(found(values)[0], fmt)

    for pages in served:
        bp.add_url_rule(
            pages.upload_rule,
            pages.upload_endpoint,
            require(permission)(_upload_view(pages)),
            methods=["GET", "POST"],
        )
    bp.add_url_rule(rule, "import_status", require(permission)(status), methods=["GET"])
    bp.add_url_rule(
        f"{rule}/review", "import_review_post", require(permission)(review), methods=["POST"]
    )
    bp.add_url_rule(f"{rule}/errors.<fmt>", "import_errors", require(permission)(errors))
    bp.add_url_rule(f"{rule}/rejected.<fmt>", "import_rejected", require(permission)(rejected))


def _upload_view(pages: Pages):
    def upload():
        """Upload a file: recorded, its job queued, and shown on its status page."""
        return upload_page(pages)

    return upload


def _unavailable() -> str:
    return _("Imports cannot start right now. Nothing was imported; try again in a few minutes.")


def upload_page(pages: Pages):
    """The upload form and the recent uploads of the kind; a valid upload is recorded,
    queued, and shown on its status page. With the queue down, nothing is kept."""
    form = ImportForm()
    if pages.label is not None:
        form.file.label.text = str(pages.label)
    if form.validate_on_submit():
        file = form.file.data
        content = file.read(importing.limits().max_bytes + 1)
        upload = importing.start_import(
            file.filename or "upload", content, current_principal().audit_label, pages.kind
        )
        try:
            jobs.queue_import(upload)
        except JobsUnavailable:
            discard()
            flash(_unavailable(), "error")
            return redirect(url_for(pages.upload))
        return redirect(pages.url(pages.status, upload.id))
    status = 400 if form.errors else 200
    return render_template(
        "members/imports.html", form=form, imports=importing.recent_uploads(pages.kind), pages=pages
    ), status


def status_page(upload: MemberImport, pages: Pages):
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


def review_post(upload: MemberImport, pages: Pages):
    """Re-check with the secretary's mapping, fixes and exclusions, or import. With the
    queue down, the import stays in review as it was."""
    form = ImportReviewForm()
    if upload.status != "review" or not form.validate_on_submit():
        abort(400)
    back = pages.url(pages.status, upload.id)
    try:
        import_review.resubmit(
            upload, request.form, form.mode.data, form.on_match.data, request.form.get("action")
        )
    except import_review.ReviewRefused as refused:
        return flash_refusal(refused, back)
    try:
        jobs.queue_import(upload)
    except JobsUnavailable:
        discard()
        flash(_unavailable(), "error")
    return redirect(back)


def errors_download(upload: MemberImport, fmt: str):
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


def rejected_download(upload: MemberImport, fmt: str):
    """The rows with problems, in the file's own layout, to fix and upload again."""
    sheet = importing.find_sheet(upload)
    report = sheet.report if sheet else None
    if fmt not in ("xlsx", "csv") or not report:
        abort(404)
    header, rows = import_review.rejected(report)
    rows = [[neutralise(v) for v in r] for r in rows]
    if fmt == "xlsx":
        return download(to_xlsx(header, rows), f"import-{upload.id}-rejected.xlsx", XLSX)
    return download(to_csv(header, rows), f"import-{upload.id}-rejected.csv", CSV)
