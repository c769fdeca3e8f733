"""Background work for imports (members, group members, activities): queueing an upload's
job, the job itself, closing the upload when the job gives up, and the periodic sweep that
closes imports whose job died. The engine they drive is `importing`.

Each runs in its own unit of work (`service.jobs.run_job`, `run_periodic`): what it writes is
committed when it returns, and nothing of it when it raises.
"""

from __future__ import annotations

from rq import Retry

from service.i18n import gettext as _
from service.imports.engine import collection_paused
from service.jobs import enqueue
from service.members import importing
from service.members.models import MemberImport
from tenants.access import find_in_scope
from tenants.db import db
from tenants.scope import system_scope


def queue_import(upload: MemberImport) -> None:
    """Queue the upload's job, to run once the caller's transaction commits, and keep the
    job's id where the status pages read its progress. Retried twice: the job is
    idempotent, so a job whose worker died is run again by the next worker. Raises
    `JobsUnavailable` at once, before anything is committed, when the queue is down."""
    job = enqueue(run_import, upload.id, retry=Retry(max=2), on_give_up=gave_up)
    upload.job_id = job.id


def run_import(import_id: int) -> str:
    """The job. Idempotent: a finished import is left alone, a re-run after a crash starts
    over (nothing was written, since its rows are committed with the job, all at once)."""
    upload = find_in_scope(MemberImport, import_id)  # gone (its association erased): done
    if upload is None or upload.status != "queued":
        return upload.status if upload else "missing"
    with collection_paused():
        return importing.process(upload)


def gave_up(import_id: int, reason: str) -> None:
    """The import job failed for the last time: close the upload as failed (its rows were
    to be written in one transaction, so none are in), with the reason."""
    upload = find_in_scope(MemberImport, import_id)
    if upload is not None and upload.status == "queued":
        importing.give_up(
            upload,
            _("The import stopped on an error; nothing was imported: %(reason)s", reason=reason),
        )


def give_up_lost_imports() -> int:
    """The periodic sweep: every lost upload is closed as failed, so no page says 正在检查…
    for ever; and an upload abandoned in review gives up its file. How many were lost."""
    with system_scope("members: close lost imports"):
        waiting = importing.waiting_uploads()
        lost = [upload for upload in waiting if importing.is_lost(upload)]
        for upload in lost:
            importing.give_up(upload, importing.lost_reason())
        for upload in waiting:
            if importing.is_abandoned(upload):
                importing.give_up(
                    upload, _("The import was left unconfirmed; nothing was imported.")
                )
        # Written under the scope they were made in: the commit comes after the block.
        db.session.flush()
    return len(lost)
