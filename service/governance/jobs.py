"""Background work for governance: recompute compliance findings.

Enqueued with the association's id after every write that a rule reads, and daily for every
association (findings change with the date alone: a congress falls due without any write).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.governance import compliance
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope


def recompute_findings(association_id: int, today: str | None = None) -> str:
    """Evaluate and store one association's findings; idempotent. `today` is ISO, for tests."""
    day = date.fromisoformat(today) if today else date.today()
    findings = compliance.evaluate(association_id, day)
    compliance.store(association_id, findings, day)
    db.session.commit()
    return compliance.worst(f.status for f in findings).value


def recompute_all(today: str | None = None) -> int:
    """The daily run over every association of the platform."""
    with system_scope("daily compliance recompute"):
        ids = list(db.session.scalars(sa.select(Association.id).order_by(Association.id)))
        for association_id in ids:
            recompute_findings(association_id, today)
    return len(ids)
