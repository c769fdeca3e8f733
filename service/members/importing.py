"""Imports as a job, on the import engine: find the table in the secretariat's own file,
map its columns, normalise and check every row in one pass; then, once the secretary has
confirmed (or at once for a file in the template's or the association's own known layout
with nothing to decide), write the rows: all or nothing, or the valid ones.

The pipeline serves every kind of upload (`MemberImport.kind`): individual members (the
spec below), group members (`group_import`) and activities (`activities.importing`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from blinker import signal
from flask import current_app
from rq import get_current_job
from sqlalchemy.exc import IntegrityError

from service.access import in_scope
from service.audit.services import record
from service.errors import Conflict, NotFound
from service.federation import rollups
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.imports import services as imports
from service.imports.engine import Context, Row, check_rows, display
from service.imports.fields import Column, Field, header_key, suggest
from service.imports.kinds import ImportKind, kind_spec
from service.imports.reading import ROWS_FILENAME, ImportRefused, Limits, read_table
from service.imports.societies import CAST_SOCIETIES
from service.imports.table import Located, given, locate
from service.imports.titles import title_table
from service.members import history
from service.members.eligibility import Eligibility, eligibility
from service.members.models import KEYS_TAKEN, Member, MemberImport, ProfessionalTitle
from service.unique_keys import claimed
from service.validation import PHONE_PATTERN
from tenants.db import db, insert_rows, one_of, refresh_statistics
from tenants.models import utcnow

if TYPE_CHECKING:  # a hint only: the engine's sheets are read and kept through its services
    from service.imports.models import ImportSheet

KIND = "members"
CHUNK = 1000
MATCH_CHUNK = 5000  # values in one IN (…): within SQLite's 32,766 and PostgreSQL's 65,535
MEMBER_FIELDS = (
    Field("name", "姓名", "name", ("名字", "会员姓名", "教师姓名", "职工姓名"), 50, True),
    Field("staff_number", "工号", "text", ("职工号", "教工号", "人事编号", "职工编号"), 30),
    Field("gender", "性别", "gender", (), 10),
    Field(
        "birth_year",
        "出生年份",
        "year",
        ("出生年月", "出生日期", "出生年", "出生时间", "生日", "出生年月日"),
    ),
    Field(
        "department",
        "院系",
        "text",
        (
            "所在学院（部门）",
            "所在学院",
            "所在部门",
            "学院",
            "部门",
            "单位",
            "所在单位",
            "工作单位",
            "二级单位",
            "院系（部门）",
        ),
    ),
    Field("discipline", "学科", "text", ("专业", "学科专业", "所属学科", "一级学科", "研究方向")),
    Field(
        "title",
        "职称",
        "title",
        ("专业技术职务", "专业技术职称", "技术职称", "职称（专业技术职务）", "职称级别"),
        20,
    ),
    Field("position", "职务", "text", ("行政职务", "党政职务", "现任职务")),
    Field(
        "phone",
        "手机",
        "phone",
        ("手机号码", "手机号", "联系电话", "电话", "移动电话", "联系方式"),
        30,
    ),
    Field("email", "电子邮箱", "email", ("邮箱", "电子邮件", "E-mail", "Email", "邮件"), 120),
    Field(
        "societies",
        "所属学会",
        "text",
        ("学会", "参加学会", "学会任职", "所在学会", "学会会员"),
        500,
    ),
    Field(
        "in_cast_society",
        "中国科协所属学会会员",
        "flag",
        ("是否中国科协所属学会会员", "科协所属学会会员"),
    ),
    Field("exception_reason", "例外理由", "text", (), 500),
    Field("joined_on", "入会日期", "date", ("入会时间", "加入日期", "入会年月")),
)
FIELDS = {f.name: f for f in MEMBER_FIELDS}
HEADER_OF = {f.name: f.header for f in MEMBER_FIELDS}
PHONE = re.compile(PHONE_PATTERN)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What a matched member's row may change in "update" mode: everything the file maps.
UPDATABLE = tuple(f.name for f in MEMBER_FIELDS)
# A sheet's stage for a dry run (the API's): checked and reported, never written by the job.
DRY_RUN = "dry"
# A sheet's mapping given by heading (the API's), not by column: {"headings": {heading: field}}.
BY_HEADING = "headings"
# Sent as the job reports its progress (import_id, done, total, state): what a status page
# would show at that moment.
progressed = signal("kexie.member-import-progress")


def limits() -> Limits:
    config = current_app.config
    return Limits(config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_ROWS"])


class KeyTaken(Conflict):
    """Another import was recorded under the same idempotency key at the same moment."""


def access_import(import_id: int, kinds: Collection[str] | None = None) -> MemberImport:
    """The upload with `import_id` if the current scope holds it and it is of one of
    `kinds` (any kind when None): NotFound for a missing id, another association's upload
    and another kind's alike."""
    upload = in_scope(MemberImport, import_id)
    if kinds is not None and (upload.kind or KIND) not in kinds:
        raise NotFound()
    return upload


def start_import(
    filename: str, content: bytes, created_by: str, kind: str = KIND, **choices
) -> MemberImport:
    """Record the upload and its sheet (with the API's `choices`: stage, mode, on_match,
    mapping, idempotency key), flushed; the caller queues its job (`jobs.queue_import`).
    A key taken by another import at the same moment is KeyTaken, and nothing of this one
    is kept."""
    kind_spec(kind)  # a kind that does not exist is refused here, not in the job
    try:
        with db.session.begin_nested():
            upload = MemberImport(
                filename=filename[:200], content=content, created_by=created_by, kind=kind
            )
            db.session.add(upload)
            db.session.flush()
            imports.new_sheet(upload.id, **{"stage": "check", **choices})
    except IntegrityError as taken:
        raise KeyTaken(
            _l(
                "This Idempotency-Key was used for another import request; use a new key"
                " for a new request."
            )
        ) from taken
    return upload


def sheet_under_key(key: str) -> ImportSheet | None:
    """The sheet of the import first made under this idempotency key, if any."""
    return imports.sheet_under_key(key)


def recent_uploads(kind: str) -> list[MemberImport]:
    """The association's last twenty uploads of `kind`, newest first."""
    return list(
        db.session.scalars(
            sa.select(MemberImport)
            .where(MemberImport.kind == kind)
            .order_by(MemberImport.created_at.desc())
            .limit(20)
        )
    )


def find_sheet(upload: MemberImport) -> ImportSheet | None:
    return imports.sheet_of_import(upload.id)


def sheet_of(upload: MemberImport) -> ImportSheet:
    sheet = find_sheet(upload)
    if sheet is None:  # an upload made before the engine: checked like a new one
        sheet = imports.new_sheet(upload.id, stage="check")
    return sheet


# --- what the job does (service.members.jobs) ------------------------------------------


def process(upload: MemberImport) -> str:
    """Read and check the upload, then hold it for review or write its rows; its status
    after. Nothing is committed here: the job's unit of work commits it all at once."""
    sheet = sheet_of(upload)
    spec = spec_of(upload)
    try:
        table = read_table(upload.filename, upload.content, limits())
    except ImportRefused as refused:
        return _finish(upload, "failed", errors=[_file_problem(str(refused))])
    as_given = upload.filename == ROWS_FILENAME  # the API's rows: no title or footer
    located = given(table) if as_given else locate(table, spec.fields)
    columns = columns_for(located, sheet, spec)
    if not any(c.field == spec.required for c in columns):
        sheet.report = _report(located, columns, [], sheet)
        upload.errors = [_file_problem(_no_column(spec))]
        return _hold(upload, sheet)
    upload.total_rows = len(located.body)
    report_progress(upload.id, 0, upload.total_rows, "checking")
    rows = check(located, columns, sheet, upload)
    report = _report(located, columns, rows, sheet)
    upload.errors = problems_of(rows)
    if sheet.stage == "commit" or (sheet.stage == "check" and _nothing_to_decide(columns, rows)):
        return _commit(upload, sheet, rows, columns, spec, report)
    sheet.report = report
    return _hold(upload, sheet)


def _hold(upload: MemberImport, sheet: ImportSheet) -> str:
    """Checked, nothing written: the import waits in review (a dry run stays one)."""
    if sheet.stage != DRY_RUN:
        sheet.stage = "review"
    upload.status = "review"
    return upload.status


def spec_of(upload: MemberImport) -> ImportKind:
    """The spec of the upload's kind (members for an upload made before kinds)."""
    return kind_spec(upload.kind or KIND)


def _no_column(spec: ImportKind) -> str:
    if spec.name == KIND:
        return _("No column is mapped to 姓名 (name); choose it below.")
    return _(
        "No column is mapped to %(header)s; choose it below.",
        header=spec.by_name[spec.required].header,
    )


def _file_problem(message: str) -> dict:
    return {"row": None, "column": None, "value": "", "message": message}


def columns_for(
    located: Located, sheet: ImportSheet, spec: ImportKind | None = None
) -> list[Column]:
    """The secretary's mapping for this upload if given, else the suggestion (with the
    association's saved headings first)."""
    spec = spec or kind_spec(KIND)
    headers = located.headers
    if sheet.mapping is not None and BY_HEADING not in sheet.mapping:
        chosen = {int(i): f for i, f in sheet.mapping.items()}
        return [
            Column(i, h, chosen.get(i) or None, "chosen" if chosen.get(i) else "ignored")
            for i, h in enumerate(headers)
        ]
    saved = imports.saved_mapping(spec.name)
    if sheet.mapping is not None:  # the API's mapping by heading, over the saved one
        saved |= {header_key(h): f or "" for h, f in sheet.mapping[BY_HEADING].items()}
    samples = [cells for _n, cells in located.body[:50]]
    return suggest(headers, samples, spec.fields, saved)


def _nothing_to_decide(columns: list[Column], rows: list[Row]) -> bool:
    """A file in a layout the service knows (the template's headings or the association's
    saved ones) with every row fine and no existing member to change: imported at once."""
    return (
        all(c.known for c in columns if c.header)
        and not any(r.problems for r in rows)
        and not any(r.diff for r in rows)
    )


def context(spec: ImportKind | None = None) -> Context:
    words = imports.title_words()
    choices = spec.choices() if spec is not None else {}
    return Context(titles=title_table(words), societies=CAST_SOCIETIES, choices=choices)


# --- checking ---------------------------------------------------------------------------


def check(
    located: Located, columns: list[Column], sheet: ImportSheet, upload: MemberImport
) -> list[Row]:
    """Every row read and checked by the kind's rules; duplicates within the file, and the
    existing records the rows match (with what would change)."""
    spec = spec_of(upload)
    ctx = context(spec)

    def progress(done: int, total: int) -> None:
        report_progress(upload.id, done, total, "checking")

    rows = check_rows(
        located.body,
        columns,
        spec.fields,
        ctx,
        edits=sheet.edits,
        excluded=set(sheet.excluded or ()),
        progress=progress,
    )
    sheet.checked_rows = len(rows)
    progress(len(rows), len(rows))
    spec.check(rows, ctx)
    return rows


def _check_members(rows: list[Row], ctx: Context) -> None:
    for row in rows:
        _member_rules(row, ctx)
    live = [r for r in rows if not r.excluded]
    _duplicates_in_file(live)
    _match_existing(live)
    for row in live:  # every problem in one pass: eligibility too, beside the others
        if row.member is None and not _failed(row, "title") and not _failed(row, "in_cast_society"):
            _eligible(row)


def _member_rules(row: Row, ctx: Context) -> None:
    values = row.values
    if not values.get("name") and not _failed(row, "name"):
        row.fail(HEADER_OF["name"], "", _("The name is required."))
    phone, email = values.get("phone"), values.get("email")
    if phone and not PHONE.match(phone):
        row.fail(
            _column(row, "phone"), _written(row, "phone"), _("Not a mobile or landline number.")
        )
        values["phone"] = None
    if email and (not EMAIL.match(email) or len(email) > 120):
        row.fail(_column(row, "email"), _written(row, "email"), _("Not an e-mail address."))
        values["email"] = None
    if not phone and not email and not _failed(row, "phone") and not _failed(row, "email"):
        row.fail(HEADER_OF["phone"], "", _("Give a phone number or an e-mail address."))
    year = values.get("birth_year")
    if year is not None and not 1930 <= year <= utcnow().year - 16:
        row.fail(
            _column(row, "birth_year"), _written(row, "birth_year"), _("Give a year of birth.")
        )
    if values.get("title") is None:
        values["title"] = ProfessionalTitle.NONE.value
    if values.get("in_cast_society") is None:
        societies = values.get("societies")
        values["in_cast_society"] = bool(societies and _known_society(societies, ctx.societies))
        if values["in_cast_society"]:
            row.changes.append((HEADER_OF["in_cast_society"], "", "是"))
    if values.get("joined_on") is None:
        values.pop("joined_on", None)


@functools.cache
def _society_pattern(names: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(n) for n in names))


def _known_society(text: str, names: tuple[str, ...]) -> bool:
    """Whether the text names one of the CAST societies."""
    return bool(names) and _society_pattern(names).search(text) is not None


def _eligible(row: Row) -> None:
    values = row.values
    status = eligibility(values["in_cast_society"], values["title"], values.get("exception_reason"))
    if status is Eligibility.NOT_ELIGIBLE:
        row.fail(
            HEADER_OF["exception_reason"],
            values.get("exception_reason") or "",
            _("Not eligible: give the reason for an exception."),
        )


def _column(row: Row, field: str) -> str:
    return row.column_headers.get(field, HEADER_OF[field])


def _written(row: Row, field: str) -> str:
    index = row.column_index.get(field)
    return row.cells[index] if index is not None else ""


def _failed(row: Row, field: str) -> bool:
    return any(p[0] == _column(row, field) for p in row.problems)


KEYS = ("staff_number", "phone", "email")  # what identifies a member, in the order matched


def _duplicates_in_file(rows: list[Row]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        for field in KEYS:
            value = row.values.get(field)
            if not value:
                continue
            first = seen.setdefault((field, value), row.number)
            if first != row.number:
                row.fail(
                    _column(row, field), _written(row, field), _("Duplicate of row %(n)d.", n=first)
                )


def _match_existing(rows: list[Row]) -> None:
    """Each row's existing member (by staff number, then phone or e-mail), and the fields
    that differ. A staff number names the person: a row whose staff number is a member's
    is that member even where the phone changed."""
    found: dict[tuple[str, str], Member] = {}
    for field in KEYS:
        column = getattr(Member, field)
        values = sorted({r.values[field] for r in rows if r.values.get(field)})
        for start in range(0, len(values), MATCH_CHUNK):
            chunk = values[start : start + MATCH_CHUNK]
            for member in db.session.scalars(sa.select(Member).where(one_of(column, chunk))):
                found[(field, getattr(member, field))] = member
    if not found:
        return
    for row in rows:
        matches = {
            found[(f, row.values[f])].id: found[(f, row.values[f])]
            for f in KEYS
            if row.values.get(f) and (f, row.values[f]) in found
        }
        if len(matches) > 1:
            by_staff = (
                row.values.get("staff_number")
                and ("staff_number", row.values["staff_number"]) in found
            )
            row.fail(
                _column(row, "staff_number" if by_staff else "email"),
                _written(row, "staff_number" if by_staff else "email"),
                _("The staff number, the phone and the e-mail belong to different members.")
                if by_staff
                else _("The phone and the e-mail belong to two different members."),
            )
        elif matches:
            member = next(iter(matches.values()))
            if row.values.get("staff_number") and member.staff_number not in (
                None,
                row.values["staff_number"],
            ):
                row.fail(
                    _column(row, "staff_number"),
                    _written(row, "staff_number"),
                    _(
                        "The phone or e-mail is a member's with another staff number (%(n)s).",
                        n=member.staff_number,
                    ),
                )
                continue
            row.member = member.id
            row.diff = _diff(row, member)


def _diff(row: Row, member: Member) -> list[tuple[str, str, str]]:
    changed = []
    for field, value in row.values.items():
        if field not in row.column_index or value is None:
            continue
        old = getattr(member, field)
        if old != value:
            spec = FIELDS[field]
            changed.append((_column(row, field), display(spec, old), display(spec, value)))
    return changed


def problems_of(rows: list[Row]) -> list[dict]:
    return [
        {"row": r.number, "column": column, "value": value, "message": message}
        for r in rows
        if not r.excluded
        for column, value, message in r.problems
    ]


# --- the report -------------------------------------------------------------------------


def state_of(row: Row) -> str:
    if row.excluded:
        return "excluded"
    if row.problems:
        return "bad"
    if row.member is None:
        return "new"
    return "changed" if row.diff else "same"


def _report(located: Located, columns: list[Column], rows: list[Row], sheet: ImportSheet) -> dict:
    states = [state_of(r) for r in rows]
    counts = {s: states.count(s) for s in ("bad", "excluded", "new", "same", "changed")}
    return {
        "header_row": located.header_row,
        "above": located.above,
        "footer": located.footer,
        "after_footer": located.after_footer,
        "columns": [
            {"index": c.index, "header": c.header, "field": c.field or "", "how": c.how}
            for c in columns
        ],
        "unmapped": [c.header for c in columns if c.header and not c.field],
        "rows": [
            {
                "n": r.number,
                "cells": r.cells,
                "state": state,
                "problems": r.problems,
                "changes": r.changes,
                "diff": r.diff,
                "member": r.member,
            }
            for r, state in zip(rows, states, strict=True)
        ],
        "counts": {**counts, "total": len(rows)},
    }


# --- writing ----------------------------------------------------------------------------


def _commit(
    upload: MemberImport,
    sheet: ImportSheet,
    rows: list[Row],
    columns,
    spec: ImportKind,
    report: dict,
) -> str:
    live = [r for r in rows if not r.excluded]
    bad = [r for r in live if r.problems]
    if bad and sheet.mode != "valid":
        sheet.report = report
        sheet.stage = "review"
        upload.status = "review"
        return upload.status
    new = [r for r in live if not r.problems and r.member is None]
    changed = [r for r in live if not r.problems and r.member is not None and r.diff]
    updated = spec.write(upload, new, changed if sheet.on_match == "update" else [])
    upload.imported_rows = len(new)
    _remember_mapping(columns, spec.name)
    if new or updated:
        rollups.note_write(db.session, upload.tenant_id)  # the federation's figures count them
    record(
        db.session,
        "import",
        spec.entity,
        upload.id,
        upload.tenant_id,
        {
            "rows": len(new),
            "updated": updated,
            "unchanged": len(live) - len(new) - len(bad) - updated,
            "rejected": len(bad),
            "excluded": len(rows) - len(live),
            "mode": sheet.mode,
            "kind": spec.name,
            # The job runs as the system; who asked for the import is the upload's.
            "requested_by": upload.created_by,
        },
    )
    # The imported rows are in the tables now: the report keeps only the rows left out (to
    # fix and upload again), not a second copy of everyone's personal data.
    left_out = [r for r in report["rows"] if r["state"] in ("bad", "excluded")]
    sheet.report = {**report, "rows": left_out, "updated": updated}
    sheet.stage = "done"
    return _finish(upload, "done", errors=upload.errors or None)


def _write_members(upload: MemberImport, new: list[Row], changed: list[Row]) -> int:
    total = len(new) + len(changed)
    # Every row with the same keys, its empty fields as NULL: one statement a chunk.
    blank = {field: None for field in FIELDS} | {"joined_on": utcnow().date()}
    # A member saved through a form since the rows were checked may hold a key of a row:
    # the import stops with the key named, and its job's retry checks the rows again.
    with claimed(Member, KEYS_TAKEN):
        for start in range(0, len(new), CHUNK):
            chunk = [
                {**blank, **r.values, "tenant_id": upload.tenant_id}
                for r in new[start : start + CHUNK]
            ]
            insert_rows(db.session, Member, chunk)
            report_progress(upload.id, start + len(chunk), total, "importing")
        refresh_statistics(db.session, "member", len(new))  # before its history's key checks
        history.record_untracked(upload.tenant_id)  # each new member's joining, dated
    return _update(changed) if changed else 0


def _update(rows: list[Row]) -> int:
    members = {
        m.id: m
        for m in db.session.scalars(
            sa.select(Member).where(Member.id.in_([r.member for r in rows]))
        )
    }
    for row in rows:
        member = members[row.member]
        joined_on = member.joined_on
        for field, value in row.values.items():
            if field in row.column_index and value is not None:
                setattr(member, field, value)
        if member.joined_on != joined_on:
            history.joining_moved(member)
    with claimed(Member, KEYS_TAKEN):
        db.session.flush()
    return len(rows)


def _remember_mapping(columns: list[Column], kind: str = KIND) -> None:
    """The headings of this file and their fields, offered the next time."""
    fields = {header_key(c.header)[:100]: c.field or "" for c in columns}
    imports.remember_mapping(kind, {key: field for key, field in fields.items() if key})


# --- what the pages ask -----------------------------------------------------------------


def give_up(upload: MemberImport, reason: str) -> None:
    """Close the upload as failed, with the reason, and drop its file: no import waits for
    ever on a job that will not finish; the user uploads again."""
    _finish(upload, "failed", errors=[_file_problem(reason)])


# Longer than an import's job timeout and its retries: an upload still queued after this
# was lost with its worker or process.
IMPORT_LOST_AFTER = timedelta(minutes=15)
# An upload left in review this long is closed and its file dropped (it holds personal data).
REVIEW_ABANDONED_AFTER = timedelta(days=7)


def is_lost(upload: MemberImport) -> bool:
    return upload.status == "queued" and utcnow() - upload.created_at >= IMPORT_LOST_AFTER


def is_abandoned(upload: MemberImport) -> bool:
    return upload.status == "review" and utcnow() - upload.created_at >= REVIEW_ABANDONED_AFTER


def waiting_uploads() -> list[MemberImport]:
    """Uploads in the scope that wait on a job or on the secretary (queued or in review)."""
    return list(
        db.session.scalars(
            sa.select(MemberImport).where(MemberImport.status.in_(("queued", "review")))
        )
    )


def lost_reason() -> str:
    return _("The import did not finish (the service restarted); nothing was imported.")


def _finish(upload: MemberImport, status: str, errors: list | None = None) -> str:
    upload.status = status
    upload.errors = errors
    upload.content = b""  # the file holds personal data; keep it no longer than needed
    upload.finished_at = utcnow()
    return status


def report_progress(import_id: int, done: int, total: int, state: str) -> None:
    """Rows done out of rows total, where the status page and the API read them while the
    job runs."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = [done, total]
        job.meta["state"] = state
        job.save_meta()
    progressed.send(import_id, done=done, total=total, state=state)


def progress_of(upload: MemberImport) -> tuple[int, int] | None:
    """Rows checked (or written) so far, while the job runs, from the job's own record (in
    Redis, or the embedded default's in-process one)."""
    found = job_progress(upload)
    return found[:2] if found else None


def job_progress(upload: MemberImport) -> tuple[int, int, str] | None:
    """Rows done and total, and the step ("checking" or "importing"), while the job runs."""
    if upload.status != "queued" or not upload.job_id:
        return None
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from service.jobs import queue

    try:
        job = Job.fetch(upload.job_id, connection=queue().connection)
    except (NoSuchJobError, RedisError):  # with Redis down, the page shows no progress bar
        return None
    if "progress" not in job.meta:
        return None
    done, total = job.meta["progress"]
    return done, total, job.meta.get("state", "checking")


SPEC = ImportKind(
    name=KIND,
    fields=MEMBER_FIELDS,
    required="name",
    check=_check_members,
    write=_write_members,
    entity="member",
)
