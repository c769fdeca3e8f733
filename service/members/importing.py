"""Member import as a job: validate every row, then write all of them or none."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from rq import get_current_job

from service.audit.services import record
from service.federation import rollups
from service.members import history
from service.members.models import Member, MemberImport
from service.members.tabular import COLUMNS, ImportRefused, Limits, parse_member, read_rows
from tenants.access import find_in_scope
from tenants.db import db
from tenants.models import utcnow
from tenants.scope import system_scope

CHUNK = 1000
HEADER_OF = {c.field: c.header for c in COLUMNS}


def limits() -> Limits:
    config = current_app.config
    return Limits(config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_ROWS"])


def start_import(filename: str, content: bytes, created_by: str) -> MemberImport:
    """Record the upload; the caller commits and enqueues `run_import`."""
    upload = MemberImport(filename=filename[:200], content=content, created_by=created_by)
    db.session.add(upload)
    return upload


def validate(rows: list[tuple[int, dict]]) -> tuple[list[dict], list[dict]]:
    """All rows' member data, and every error with its row and column."""
    members, errors = [], []
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        data, problems = parse_member(row)
        errors += [{"row": number, "column": col, "message": msg} for col, msg in problems]
        for field in ("phone", "email"):
            value = data.get(field)
            if not value or any(
                e["row"] == number and e["column"] == HEADER_OF[field] for e in errors
            ):
                continue
            first = seen.setdefault((field, value), number)
            if first != number:
                errors.append(
                    {
                        "row": number,
                        "column": HEADER_OF[field],
                        "message": _("Duplicate of row %(n)d.", n=first),
                    }
                )
        members.append(data)
    errors += _duplicates_in_database(rows, members)
    return members, sorted(errors, key=lambda e: (e["row"] or 0, e["column"] or ""))


def _duplicates_in_database(rows, members) -> list[dict]:
    errors = []
    for field in ("phone", "email"):
        column = getattr(Member, field)
        wanted = {m[field] for m in members if m.get(field)}
        existing = set()
        values = sorted(wanted)
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            existing |= set(db.session.scalars(sa.select(column).where(column.in_(chunk))))
        for (number, _row), data in zip(rows, members, strict=True):
            if data.get(field) in existing:
                errors.append(
                    {
                        "row": number,
                        "column": HEADER_OF[field],
                        "message": _("An existing member has this contact."),
                    }
                )
    return errors


def run_import(import_id: int) -> str:
    """The job. Idempotent: a finished import is left alone, a re-run after a crash starts
    over (nothing was written, since rows are written in one transaction)."""
    upload = find_in_scope(MemberImport, import_id)
    if upload is None or upload.status in ("done", "failed"):
        return upload.status if upload else "missing"
    try:
        rows = read_rows(upload.filename, upload.content, limits())
    except ImportRefused as refused:
        return _finish(
            upload, "failed", errors=[{"row": None, "column": None, "message": str(refused)}]
        )
    upload.total_rows = len(rows)
    members, errors = validate(rows)
    if errors:
        return _finish(upload, "failed", errors=errors)
    for start in range(0, len(members), CHUNK):
        chunk = [{**m, "tenant_id": upload.tenant_id} for m in members[start : start + CHUNK]]
        db.session.execute(sa.insert(Member), chunk)
        _progress(start + len(chunk), len(members))
    history.record_untracked(upload.tenant_id)  # each member's joining, dated
    upload.imported_rows = len(members)
    rollups.note_write(db.session, upload.tenant_id)  # the federation's figures count them
    record(db.session, "import", "member", upload.id, upload.tenant_id, {"rows": len(members)})
    return _finish(upload, "done")


def give_up(upload: MemberImport, reason: str) -> None:
    """The job could not be queued: close the upload as failed, with the reason, so no
    import waits forever for a job that does not exist; the user uploads again later."""
    _finish(upload, "failed", errors=[{"row": None, "column": None, "message": reason}])


def gave_up(import_id: int, reason: str) -> None:
    """The import job failed for the last time: close the upload as failed (its rows were
    written in one transaction, so none are in), with the reason."""
    upload = find_in_scope(MemberImport, import_id)
    if upload is not None and upload.status == "queued":
        give_up(
            upload,
            _("The import stopped on an error; nothing was imported: %(reason)s", reason=reason),
        )


# Longer than an import's job timeout and its retries: an upload still queued after this
# was lost with its worker or process.
IMPORT_LOST_AFTER = timedelta(minutes=15)


def is_lost(upload: MemberImport) -> bool:
    return upload.status == "queued" and utcnow() - upload.created_at >= IMPORT_LOST_AFTER


def give_up_lost_imports() -> int:
    """The periodic sweep: every lost upload is closed as failed, so no page says 正在检查…
    for ever."""
    with system_scope("members: close lost imports"):
        queued = db.session.scalars(
            sa.select(MemberImport).where(MemberImport.status == "queued")
        ).all()
        lost = [upload for upload in queued if is_lost(upload)]
        for upload in lost:
            give_up(upload, lost_reason())
    return len(lost)


def lost_reason() -> str:
    return _("The import did not finish (the service restarted); nothing was imported.")


def _finish(upload: MemberImport, status: str, errors: list | None = None) -> str:
    upload.status = status
    upload.errors = errors
    upload.content = b""  # the file holds personal data; keep it no longer than needed
    upload.finished_at = utcnow()
    db.session.commit()
    return status


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = [done, total]
        job.save_meta()


def progress_of(upload: MemberImport) -> tuple[int, int] | None:
    """Rows written so far, from the worker, while the job runs."""
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
    done, total = job.meta.get("progress", [0, upload.total_rows])
    return done, total
