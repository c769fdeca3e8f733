"""API: member imports for HR and personnel systems. The web page's import engine and job,
driven by a file or by rows as JSON: a dry run reports every problem and writes nothing; a
commit writes all or nothing (or the valid rows), once per `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.i18n import gettext as _
from service.imports.reading import ROWS_FILENAME, ImportRefused, check_file, rows_content
from service.members import importing, jobs
from service.members.import_schemas import (
    FIELD_NAMES,
    IdempotencyHeaderSchema,
    ImportProblemSchema,
    MappingSchema,
    MemberImportFormSchema,
    MemberImportRowsSchema,
    MemberImportSchema,
    MemberImportUploadSchema,
)
from service.members.models import MemberImport
from service.privacy import mask_email, mask_phone
from service.rest import Blueprint

if TYPE_CHECKING:  # a hint only: the engine's sheets are read and kept through its services
    from service.imports.models import ImportSheet

blp = Blueprint(
    "member_imports_api",
    __name__,
    url_prefix="/api/v1",
    description="Member imports from HR and personnel systems (人事系统): a file or rows,"
    " checked as on the web page, then written all or nothing, or the valid rows.",
)

# Problems in the status itself; every one is listed, page by page, under …/problems.
PROBLEMS_SHOWN = 100
REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": MemberImportUploadSchema},
        "application/json": {"schema": MemberImportRowsSchema},
    },
}


class Refused(ValueError):
    """The request is refused as it is (422), with the message for the caller."""


@blp.route("/member-imports/")
class MemberImports(MethodView):
    @blp.requires(Permission.EDIT_MEMBERS, write=True)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(
        202,
        MemberImportSchema,
        description="Queued: poll the import at `Location` until its status is `review`,"
        " `done` or `failed`.",
        headers={"Location": {"description": "The import", "schema": {"type": "string"}}},
    )
    @blp.alt_response(
        200, schema=MemberImportSchema, description="The first import under this key, again."
    )
    @blp.alt_response(
        409, response="DEFAULT_ERROR", description="The key was used with another request."
    )
    @blp.alt_response(413, response="DEFAULT_ERROR", description="The body is too large.")
    @blp.alt_response(415, response="DEFAULT_ERROR", description="Neither a file nor JSON.")
    @blp.alt_response(
        422, response="DEFAULT_ERROR", description="Refused as it is; nothing written."
    )
    @blp.alt_response(503, response="DEFAULT_ERROR", description="The job queue is down.")
    def post(self, headers):
        """Import members from a file or from rows (or check them only, with dry_run)"""
        principal = current_principal()
        if principal.association_id is None:  # a federation's token imports into no association
            abort(403, message=_("Only an association's token may import its members."))
        filename, content, choices = _request_import()
        key = headers.get("idempotency_key")
        digest = _digest(filename, content, choices)
        earlier = _earlier(key, digest)
        if earlier is not None:
            return earlier, 200
        try:
            upload = _start(filename, content, choices, key, digest)
        except importing.KeyTaken:  # the same key at the same moment: the other request won
            earlier = _earlier(key, digest)
            if earlier is None:
                raise
            return earlier, 200
        # With the queue down, JobsUnavailable: 503, and nothing of the request is kept.
        jobs.queue_import(upload)
        location = url_for("member_imports_api.MemberImportById", import_id=upload.id)
        return _status(upload), 202, {"Location": location}


@blp.route("/member-imports/<int:import_id>")
class MemberImportById(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.response(200, MemberImportSchema)
    def get(self, import_id):
        """Read an import: its status, progress, counts, columns and first problems"""
        return _status(importing.access_import(import_id))


@blp.route("/member-imports/<int:import_id>/problems")
class MemberImportProblems(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.response(200, ImportProblemSchema(many=True))
    @blp.paginate()
    def get(self, import_id, pagination_parameters):
        """List every problem of an import: row, column, value as written, what is expected"""
        upload = importing.access_import(import_id)
        sheet = importing.find_sheet(upload)
        problems = _problems(upload, (sheet.report if sheet else None) or {})
        pagination_parameters.item_count = len(problems)
        start = pagination_parameters.first_item
        return problems[start : start + pagination_parameters.page_size]


def _start(
    filename: str, content: bytes, choices: dict, key: str | None, digest: str
) -> MemberImport:
    """Record the upload with the request's choices, as the web page does."""
    return importing.start_import(
        filename,
        content,
        current_principal().audit_label,
        stage=importing.DRY_RUN if choices["dry_run"] else "commit",
        mode=choices["mode"],
        on_match=choices["on_match"],
        mapping={importing.BY_HEADING: choices["mapping"]} if choices["mapping"] else None,
        idempotency_key=key,
        request_digest=digest,
    )


# --- the request ------------------------------------------------------------------------


def _request_import() -> tuple[str, bytes, dict]:
    """(filename, content, choices) from a multipart upload or from JSON rows; 422 with
    the message when they are refused."""
    try:
        if request.mimetype == "multipart/form-data":
            return _from_upload()
        if request.mimetype == "application/json":
            return _from_rows()
    except Refused as refused:
        abort(422, message=str(refused))
    abort(415, message=_("Send a file as multipart/form-data, or rows as application/json."))


def _from_upload() -> tuple[str, bytes, dict]:
    extra = [name for name in request.files if name != "file"]
    if extra or len(request.files.getlist("file")) > 1:
        raise Refused(_("Send one file, in the part named file."))
    upload = request.files.get("file")
    if upload is None:
        raise Refused(_("Send the file in the part named file."))
    choices = _loaded(MemberImportFormSchema(), request.form.to_dict(flat=False), single=True)
    choices["mapping"] = _form_mapping(choices.get("mapping"))
    content = upload.read(importing.limits().max_bytes + 1)
    filename = upload.filename or ""
    try:
        check_file(filename, content, importing.limits())
    except ImportRefused as refused:
        raise Refused(str(refused)) from refused
    return filename[:200], content, choices


def _form_mapping(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as error:
        raise Refused(_("The mapping is not a JSON object of headings and fields.")) from error
    return _loaded(MappingSchema(), {"mapping": value})["mapping"] or None


def _from_rows() -> tuple[str, bytes, dict]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused(_("The body is not a JSON object."))
    data = _loaded(MemberImportRowsSchema(), body)
    rows = data.pop("rows")
    if len(rows) > importing.limits().max_rows:
        raise Refused(_("More than %(n)d rows.", n=importing.limits().max_rows))
    headers: dict[str, None] = {}
    for row in rows:
        headers.update(dict.fromkeys(row))
    # A key that is a field's name goes to that field, unless the mapping says otherwise.
    given = data.get("mapping") or {}
    named = {h: h for h in headers if h in FIELD_NAMES and h not in given.values()}
    mapping = named | given
    data["mapping"] = mapping or None
    cells = [[row.get(h) for h in headers] for row in rows]
    return ROWS_FILENAME, rows_content(list(headers), cells), data


def _loaded(schema, data: dict, single: bool = False) -> dict:
    """`data` through `schema`; invalid input is a 422 with each field's message."""
    if single:
        if any(len(values) > 1 for values in data.values()):
            abort(422, message=_("Give each form field once."))
        data = {name: values[0] for name, values in data.items()}
    try:
        return schema.load(data)
    except ValidationError as invalid:
        abort(422, message=_error_message(), errors={"json": invalid.messages})


def _error_message() -> str:
    return _("Some of the values are not valid. Correct them and try again.")


def _digest(filename: str, content: bytes, choices: dict) -> str:
    """What makes two requests the same: the file or rows, and every choice."""
    described = {
        "filename": filename,
        "content": hashlib.sha256(content).hexdigest(),
        **{k: choices.get(k) for k in ("mode", "on_match", "dry_run", "mapping")},
    }
    canonical = json.dumps(described, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _earlier(key: str | None, digest: str) -> dict | None:
    """The import first made under `key` (the same request again), or 409 (another one)."""
    if not key:
        return None
    sheet = importing.sheet_under_key(key)
    if sheet is None:
        return None
    if sheet.request_digest != digest:
        abort(
            409,
            message=_(
                "This Idempotency-Key was used for another import request; use a new key"
                " for a new request."
            ),
        )
    return _status(importing.access_import(sheet.member_import_id))


# --- the status -------------------------------------------------------------------------


def _status(upload: MemberImport) -> dict:
    sheet = importing.find_sheet(upload)
    report = (sheet.report if sheet else None) or {}
    problems = _problems(upload, report)
    return {
        "id": upload.id,
        "status": upload.status,
        "dry_run": bool(sheet and sheet.stage == importing.DRY_RUN),
        "mode": sheet.mode if sheet else "all",
        "on_match": sheet.on_match if sheet else "skip",
        "filename": upload.filename,
        "created_at": upload.created_at,
        "finished_at": upload.finished_at,
        "progress": _progress(upload, sheet, report),
        "counts": _counts(upload, report),
        "columns": [
            {"header": c["header"], "field": c["field"] or None, "how": c["how"]}
            for c in report.get("columns", [])
        ],
        "unmapped": report.get("unmapped", []),
        "problem_count": len(problems),
        "problems": problems[:PROBLEMS_SHOWN],
    }


def _progress(upload: MemberImport, sheet: ImportSheet | None, report: dict) -> dict | None:
    """While the job runs, from its own record: rows checked, then rows written, of the
    total. Afterwards, what it did."""
    running = importing.job_progress(upload)
    if running is not None:
        done, total, state = running
        checked = done if state == "checking" else total
        return {
            "state": state,
            "checked": checked,
            "written": done if state == "importing" else 0,
            "total": total,
        }
    if upload.status == "queued" or sheet is None:
        return None
    return {
        "state": upload.status,
        "checked": sheet.checked_rows,
        "written": upload.imported_rows + report.get("updated", 0),
        "total": upload.total_rows,
    }


def _counts(upload: MemberImport, report: dict) -> dict | None:
    counts = report.get("counts")
    if counts is None:
        return None
    return {
        **counts,
        "imported": upload.imported_rows,
        "updated": report.get("updated", 0),
    }


def _mask_email(value: str) -> str:
    return mask_email(value) if "@" in value else "*" * len(value)


def _problems(upload: MemberImport, report: dict) -> list[dict]:
    """Every problem; the values of phone and e-mail columns masked for a token that may
    not change members (as its member records are)."""
    problems = [  # imports made before values were reported have none
        {
            "row": p.get("row"),
            "column": p.get("column"),
            "value": p.get("value") or "",
            "message": p.get("message") or "",
        }
        for p in upload.errors or []
    ]
    if current_principal().can(Permission.EDIT_MEMBERS):
        return problems
    columns = report.get("columns", [])
    masks = {"phone": mask_phone, "email": _mask_email}
    masked = {c["header"]: masks[c["field"]] for c in columns if c["field"] in masks}
    return [
        {**p, "value": masked[p["column"]](p["value"]) if p["column"] in masked else p["value"]}
        for p in problems
    ]
