"""Background work for governance: recompute compliance findings, and remind associations
of them.

The recompute is enqueued with the association's id after every write that a rule reads
(it follows that write's commit), for a whole province when its thresholds change, and
daily for every association (findings change with the date alone: a congress falls due
without any write). The reminders run daily after it. Each job's writes are committed when
it returns (`service.jobs.run_job`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.errors import NotFound
from service.governance import compliance, reminders
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope


def recompute_findings(association_id: int, today: str | None = None) -> str:
    """Evaluate and store one association's findings; idempotent. `today` is ISO, for tests.
    A job for an association gone from the scope (or the database) does nothing: it was
    queued by a write, and the association was removed before the job ran."""
    day = date.fromisoformat(today) if today else date.today()
    try:
        findings = compliance.evaluate(association_id, day)
    except NotFound:
        return ""
    compliance.store(association_id, findings, day)
    return compliance.worst(f.status for f in findings).value


def recompute_federation(federation_id: int, today: str | None = None) -> int:
    """Every association of a province, after its thresholds changed."""
    ids = list(
        db.session.scalars(
            sa.select(Association.id)
            .where(Association.federation_id == federation_id)
            .order_by(Association.id)
        )
    )
    for association_id in ids:
        recompute_findings(association_id, today)
    return len(ids)


def recompute_all(today: str | None = None) -> int:
    """The daily run over every association of the platform."""
    with system_scope("daily compliance recompute"):
        ids = list(db.session.scalars(sa.select(Association.id).order_by(Association.id)))
        for association_id in ids:
            recompute_findings(association_id, today)
    return len(ids)


def send_reminders(today: str | None = None) -> int:
    """The daily run: remind every association of what changed state; idempotent."""
    day = date.fromisoformat(today) if today else date.today()
    with system_scope("daily compliance reminders"):
        due = db.session.scalars(reminders.due()).all()
        for row in due:
            reminders.remind(row, day)
        db.session.flush()  # written under the scope that may write them
    return len(due)
