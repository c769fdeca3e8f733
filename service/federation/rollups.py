"""The rollup table: every metric per association per year, kept by jobs (`jobs`).

Refreshed for one association after a write that a metric reads (`install` notices the
write and queues the job once the transaction commits) and for every association at night.
The dashboards read only these rows.
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.activities import statistics as activities_statistics
from service.associations import statistics as associations_statistics
from service.federation.metrics import METRICS, compute_all
from service.federation.models import MetricRollup
from service.governance import statistics as governance_statistics
from service.members import statistics as members_statistics
from service.sql import one_of
from tenants.db import db
from tenants.models import Association, utcnow

log = logging.getLogger(__name__)

# Writes to these change a metric (each package names its own); the rollup's own writes
# are not among them.
WATCHED = (
    *members_statistics.DASHBOARD_RECORDS,
    *governance_statistics.DASHBOARD_RECORDS,
    *associations_statistics.DASHBOARD_RECORDS,
    *activities_statistics.DASHBOARD_RECORDS,
)


def store(ids: list[int], year: int, today: date | None = None) -> None:
    """Write the live values of every metric as the rollups of `ids` for `year`."""
    live = compute_all(ids, year, today)
    existing = {
        (row.tenant_id, row.metric): row
        for row in db.session.scalars(
            sa.select(MetricRollup).where(
                one_of(MetricRollup.tenant_id, ids), MetricRollup.year == year
            )
        )
    }
    now = utcnow()
    for association_id, values in live.items():
        for code, value in values.items():
            row = existing.get((association_id, code))
            if row is None:
                db.session.add(
                    MetricRollup(
                        tenant_id=association_id,
                        year=year,
                        metric=code,
                        value=value,
                        computed_at=now,
                    )
                )
            elif row.value != value:
                row.value = value
                row.computed_at = now
    db.session.flush()


def association_ids() -> list[int]:
    """Every association the scope sees, by id."""
    return list(db.session.scalars(sa.select(Association.id).order_by(Association.id)))


def exists(association_id: int) -> bool:
    """Whether the association is in the scope (and the database) still."""
    found = db.session.scalar(sa.select(Association.id).where(Association.id == association_id))
    return found is not None


def federation_of(association_id: int) -> int:
    """The federation of an association in the scope."""
    return db.session.scalar(
        sa.select(Association.federation_id).where(Association.id == association_id)
    )


def federation_ids() -> list[int]:
    """Every federation with an association the scope sees."""
    return list(
        db.session.scalars(
            sa.select(Association.federation_id).distinct().order_by(Association.federation_id)
        )
    )


def read(ids: list[int], year: int) -> dict[int, dict[str, float]]:
    """The stored rollups: association -> metric -> value (0 where none is stored)."""
    out = {a: {m.code: 0.0 for m in METRICS} for a in ids}
    rows = db.session.execute(
        sa.select(MetricRollup.tenant_id, MetricRollup.metric, MetricRollup.value).where(
            one_of(MetricRollup.tenant_id, ids), MetricRollup.year == year
        )
    )
    for tenant, metric, value in rows:
        if tenant in out:
            out[tenant][metric] = value
    return out


def highest(ids: list[int], year: int) -> dict[str, float]:
    """Each metric's highest stored value among `ids` (metrics never go below 0, so a
    missing row, which reads as 0, never changes it)."""
    rows = db.session.execute(
        sa.select(MetricRollup.metric, sa.func.max(MetricRollup.value))
        .where(one_of(MetricRollup.tenant_id, ids), MetricRollup.year == year)
        .group_by(MetricRollup.metric)
    )
    return {metric: float(value) for metric, value in rows}


def series(ids: list[int], metric: str) -> dict[int, dict[int, float]]:
    """Year -> association -> value of one metric, over every stored year."""
    out: dict[int, dict[int, float]] = {}
    rows = db.session.execute(
        sa.select(MetricRollup.year, MetricRollup.tenant_id, MetricRollup.value).where(
            one_of(MetricRollup.tenant_id, ids), MetricRollup.metric == metric
        )
    )
    for year, tenant, value in rows:
        out.setdefault(year, {})[tenant] = value
    return dict(sorted(out.items()))


# --- incremental refresh after writes -------------------------------------------------


def _note_writes(session: Session, flush_context, instances) -> None:
    touched = session.info.setdefault("rollup_tenants", set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED) and obj.tenant_id is not None:
            touched.add(obj.tenant_id)
        elif isinstance(obj, Association) and obj.id is not None:  # its status changed
            touched.add(obj.id)


def _queue_refresh(session: Session) -> None:
    touched = session.info.pop("rollup_tenants", set())
    if not touched:
        return
    from service.jobs import JobsUnavailable, enqueue_refresh

    refresh_association = "service.federation.jobs:refresh_association"  # jobs imports us

    for association_id in sorted(touched):
        try:
            enqueue_refresh(refresh_association, association_id)
        except JobsUnavailable:
            # The write stands; the nightly run brings the rollups back in line.
            log.warning("rollup refresh of association %s not queued", association_id)


def note_write(session: Session, association_id: int) -> None:
    """A write the flush does not see (a bulk INSERT of many rows): refresh the association's
    rollups when the transaction commits, as after any other write."""
    session.info.setdefault("rollup_tenants", set()).add(association_id)


def _forget(session: Session) -> None:
    session.info.pop("rollup_tenants", None)


def install(session_class: type[Session]) -> None:
    """Queue a refresh of every association whose watched rows a committed transaction
    wrote (not before the commit: a rolled-back write changes nothing)."""
    if not event.contains(session_class, "before_flush", _note_writes):
        event.listen(session_class, "before_flush", _note_writes)
        event.listen(session_class, "after_commit", _queue_refresh)
        event.listen(session_class, "after_rollback", _forget)
