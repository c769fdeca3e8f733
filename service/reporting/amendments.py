"""Changes under a locked year: amendments after lock, and requests to reopen.

The rule: the records behind an approved report stay editable (an activity held late, a
member's date corrected), but nothing changes silently. Every write of a record that the
locked figures counted is noted as an amendment of that report, in the write's own
transaction, whichever code path made it (a session listener, as the audit log is). The
report page sets the locked figures against the figures recomputed now, and the
association may ask the federation to reopen; only a reopened version changes figures.

Which records a year's report counts: those dated in the year (activities by their start,
meetings, consulting reports, transfers, nominations, exemplars), and for the figures
counted at the year's end (members, group members, congresses, committees) those dated in
or before it. Suggestions are not noted: an anonymous one leaves no trace but its own row
(SECURITY.md), not even a place in another table's sequence; a change to their figures
still shows when the figures now are set against the locked ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.activities import statistics as activities_statistics
from service.errors import Conflict
from service.governance import statistics as governance_statistics
from service.i18n import lazy_gettext as _l
from service.members import statistics as members_statistics
from service.reporting import indicators
from service.reporting.models import AnnualReport, ReportingPeriod, ReportStatus
from tenants.db import db
from tenants.models import TenantOwned, tenant_fk, utcnow
from tenants.scope import Scope, use_scope


class ReportAmendment(TenantOwned, db.Model):
    """A record the locked report counted was written after the lock. Kept per write; the
    page counts records, not writes. The day only: an anonymous suggestion's answer must
    not be matched to a sign-in by its time (see the audit log's concealed events)."""

    __tablename__ = "report_amendment"
    __tenant_table_args__ = (
        tenant_fk("report_id", "annual_report"),
        sa.Index("ix_report_amendment_tenant_report", "tenant_id", "report_id"),
    )

    report_id: Mapped[int]
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(10))
    occurred_on: Mapped[date]


class ReopenStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


REOPEN_STATUS_LABELS = {
    ReopenStatus.PENDING: _l("Awaiting the federation"),
    ReopenStatus.GRANTED: _l("Reopened"),
    ReopenStatus.DECLINED: _l("Declined"),
}


class ReopenRequest(TenantOwned, db.Model):
    """The association asks the federation to reopen its approved report, with a reason;
    the federation reopens it (a new version) or declines, with a reason."""

    __tablename__ = "reopen_request"
    __tenant_table_args__ = (
        tenant_fk("report_id", "annual_report"),
        sa.Index("ix_reopen_request_tenant_report", "tenant_id", "report_id"),
    )

    report_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=ReopenStatus.PENDING.value)
    requested_by: Mapped[str] = mapped_column(sa.String(120))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def status_label(self) -> str:
        return str(REOPEN_STATUS_LABELS[ReopenStatus(self.status)])


# --- which records a locked year counts --------------------------------------------------


@dataclass(frozen=True)
class Dated:
    """How a kind of record is dated, and whether a year's figures count it when dated in
    the year (`in_year`) or in or before it (counted at the year's end)."""

    label: object  # lazy text: the kind of record, as the page names it
    dates: Callable[[object], Iterable[object]]
    in_year: bool


def _column(name: str) -> Callable[[object], list[object]]:
    """The column's value now and before this flush: moving a record from one year to
    another changes both years."""

    def dates(obj: object) -> list[object]:
        return list(inspect(obj).attrs[name].load_history().sum())

    return dates


# Each package says which of its records a year's figures count, and how they are dated.
TRACKED: dict[type, Dated] = {
    model: Dated(label, _column(dates) if isinstance(dates, str) else dates, in_year)
    for model, label, dates, in_year in (
        *activities_statistics.COUNTED_RECORDS,
        *governance_statistics.COUNTED_RECORDS,
        *members_statistics.COUNTED_RECORDS,
    )
}
LABELS = {cls.__tablename__: dated.label for cls, dated in TRACKED.items()}


def _year_of(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, date):  # datetime too
        return value.year
    return None


def years_of(obj: object) -> set[int]:
    """The years a record is dated in, before and after the write being flushed."""
    return {y for y in map(_year_of, TRACKED[type(obj)].dates(obj)) if y is not None}


def counted_in(years: set[int], locked_years: Iterable[int], *, in_year: bool) -> set[int]:
    """The locked years whose figures count a record dated in `years`."""
    if in_year:
        return years & set(locked_years)
    return {locked for locked in locked_years if any(y <= locked for y in years)}


def locked_reports(association_id: int) -> dict[int, int]:
    """Year -> id of the association's report for that year, where its latest version is
    approved and locked (a reopened year is being reworked, so it has none)."""
    rows = db.session.execute(
        sa.select(ReportingPeriod.year, AnnualReport.id, AnnualReport.locked_hash)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .where(AnnualReport.tenant_id == association_id)
        .order_by(AnnualReport.period_id, AnnualReport.version)
    )
    latest = {year: (report_id, locked) for year, report_id, locked in rows}
    return {year: rid for year, (rid, locked) in latest.items() if locked is not None}


def is_latest_locked(report: AnnualReport) -> bool:
    """Whether this is the latest version of its report and locked."""
    return locked_reports(report.tenant_id).get(report.year) == report.id


# --- noting the writes -------------------------------------------------------------------


def _writes(session: Session) -> Iterable[tuple[str, object]]:
    for action, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if type(obj) not in TRACKED or obj.tenant_id is None:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            yield action, obj


def _before_flush(session: Session, flush_context, instances) -> None:
    """Before the flush, while a deleted row can still be read: which years each written
    record is dated in, before and after the write."""
    # Anew for each flush: a flush that failed half-way leaves nothing to a later one.
    pending = session.info["amendments_pending"] = []
    with session.no_autoflush:
        for action, obj in _writes(session):
            pending.append((action, obj, obj.tenant_id, years_of(obj)))


def _after_flush(session: Session, flush_context) -> None:
    """After it (new rows have their ids), note each write of a record that a locked
    report counted. Core insert, like the audit log: no second flush, and the write itself
    is in the audit log already."""
    pending = session.info.pop("amendments_pending", [])
    if not pending:
        return
    today = date.today()
    rows = []
    with session.no_autoflush:
        locked = {tenant: locked_reports(tenant) for tenant in {p[2] for p in pending}}
        for action, obj, tenant_id, years in pending:
            in_year = TRACKED[type(obj)].in_year
            for year in sorted(counted_in(years, locked[tenant_id], in_year=in_year)):
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "report_id": locked[tenant_id][year],
                        "entity": obj.__table__.name,
                        "entity_id": str(inspect(obj).mapper.primary_key_from_instance(obj)[0]),
                        "action": action,
                        "occurred_on": today,
                    }
                )
    if rows:
        session.connection().execute(sa.insert(ReportAmendment.__table__), rows)


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)


# --- what the report page shows -------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A locked report against the records now."""

    records: int  # records written after the lock (each counted once)
    by_kind: list[tuple[str, int]]  # (kind of record, how many)
    figures: list[tuple[indicators.Indicator, object, object]]  # (indicator, locked, now)

    @property
    def any(self) -> bool:
        return bool(self.records or self.figures)


def drift(report: AnnualReport) -> Drift | None:
    """For the latest, locked version of a report: the records changed since the lock and
    each figure whose value now differs from the locked one. None for any other version."""
    if report.locked_hash is None or not is_latest_locked(report):
        return None
    written = db.session.execute(
        sa.select(ReportAmendment.entity, ReportAmendment.entity_id)
        .where(
            ReportAmendment.tenant_id == report.tenant_id,
            ReportAmendment.report_id == report.id,
        )
        .distinct()
    ).all()
    kinds = Counter(entity for entity, _id in written)
    now = figures_now(report.tenant_id, report.year)
    locked = report.figures or {}
    changed = [
        (indicator, locked.get(indicator.code, 0), now.get(indicator.code, 0))
        for indicator in indicators.CATALOGUE
        if locked.get(indicator.code, 0) != now.get(indicator.code, 0)
    ]
    by_kind = [(str(LABELS.get(entity, entity)), n) for entity, n in sorted(kinds.items())]
    return Drift(len(written), by_kind, changed)


def figures_now(association_id: int, year: int) -> indicators.Figures:
    """The figures the records give now, unsaved. Under the association's own scope, as
    its compile ran: a federation's view of some records (suggestions) is narrower, and
    must not show as a change. The caller has already found the report in its scope."""
    with use_scope(Scope.association(association_id)):
        return indicators.compute([association_id], year)[association_id]


def flags(report_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Of these reports: those amended after their lock, and those asked to be reopened
    (for the period's list; two queries whatever the number of reports)."""
    ids = list(report_ids)
    if not ids:
        return set(), set()
    amended = db.session.scalars(
        sa.select(ReportAmendment.report_id).where(ReportAmendment.report_id.in_(ids)).distinct()
    )
    asked = db.session.scalars(
        sa.select(ReopenRequest.report_id)
        .where(ReopenRequest.report_id.in_(ids), ReopenRequest.status == ReopenStatus.PENDING)
        .distinct()
    )
    return set(amended), set(asked)


# --- reopen requests -------------------------------------------------------------------


class ReopenRequestError(Conflict):
    """A request that cannot be made or decided now; the message says why."""


def requests_for(report: AnnualReport) -> list[ReopenRequest]:
    return list(
        db.session.scalars(
            sa.select(ReopenRequest)
            .where(ReopenRequest.tenant_id == report.tenant_id)
            .where(ReopenRequest.report_id == report.id)
            .order_by(ReopenRequest.requested_at.desc(), ReopenRequest.id.desc())
        )
    )


def pending_request(report: AnnualReport) -> ReopenRequest | None:
    return next((r for r in requests_for(report) if r.status == ReopenStatus.PENDING), None)


def request_reopen(report: AnnualReport, reason: str, actor: str) -> ReopenRequest:
    """The association asks to reopen its latest approved report (audited as a write)."""
    if report.status != ReportStatus.APPROVED or not is_latest_locked(report):
        raise ReopenRequestError(_l("Only the latest approved report can be reopened."))
    if not reason or not reason.strip():
        raise ReopenRequestError(_l("Give the reason for reopening."))
    if pending_request(report) is not None:
        raise ReopenRequestError(_l("A request to reopen this report awaits the federation."))
    request = ReopenRequest(
        tenant_id=report.tenant_id, report_id=report.id, reason=reason.strip(), requested_by=actor
    )
    db.session.add(request)
    db.session.flush()
    return request


def decline(report: AnnualReport, reason: str, actor: str) -> ReopenRequest:
    """The federation declines the pending request, saying why."""
    request = pending_request(report)
    if request is None:
        raise ReopenRequestError(_l("There is no request to reopen this report."))
    if not reason or not reason.strip():
        raise ReopenRequestError(_l("Say why the request is declined."))
    request.status = ReopenStatus.DECLINED.value
    request.decided_by, request.decided_at = actor, utcnow()
    request.decision_reason = reason.strip()
    return request


def granted(report: AnnualReport, reason: str, actor: str) -> None:
    """The federation reopened the report: a pending request is answered by it."""
    request = pending_request(report)
    if request is not None:
        request.status = ReopenStatus.GRANTED.value
        request.decided_by, request.decided_at = actor, utcnow()
        request.decision_reason = reason.strip()
