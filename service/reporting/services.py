"""The reporting cycle: open a period, compile (as a job), explain, submit, return or
approve (locking), reopen as a new version, roll up and lock at the federation."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from service.access import in_scope
from service.audit.services import record
from service.errors import Conflict, DomainError, NotFound, RuleBroken
from service.i18n import lazy_gettext as _l
from service.reporting import indicators, push
from service.reporting.models import (
    AnnualReport,
    FederationRollup,
    PushOutbox,
    ReportingPeriod,
    ReportStatus,
    RollupStatus,
    content_hash,
)
from service.unique_keys import claimed
from tenants.db import db
from tenants.models import Association, Federation, utcnow
from tenants.reads import Owned, TenantRead
from tenants.scope import current_scope

S = ReportStatus


PERIOD_TAKEN = {"year": _l("A reporting period for that year is open already.")}


class ReportingError(DomainError):
    """A step of the cycle that is not possible now; the message says why. A field's value
    that cannot be taken is a rule broken (422); a step the state does not allow, a
    conflict (409)."""

    @property
    def status(self) -> int:  # type: ignore[override]
        return RuleBroken.status if self.field else Conflict.status


# --- by id: NotFound for a missing row and one the scope does not see alike -------------

# What `service.access` says, for the lookups that are not by a row's own id.


def access_period(period_id: int) -> ReportingPeriod:
    """The reporting period if the scope sees it: one of its federations', or the
    association's own federation's. NotFound for a missing period and another's alike."""
    return in_scope(ReportingPeriod, period_id)


def access_report(report_id: int) -> AnnualReport:
    """The report version if the scope holds it: the association's own, or one of its
    federation's associations'. NotFound for a missing report and another's alike."""
    return in_scope(AnnualReport, report_id)


def access_rollup(rollup_id: int) -> FederationRollup:
    """The roll-up version if it is one of the scope's federations' (associations never see
    one). NotFound for a missing roll-up and another federation's alike."""
    return in_scope(FederationRollup, rollup_id)


def period_of(report: AnnualReport) -> ReportingPeriod:
    """The period a report (already in scope) was compiled for."""
    return access_period(report.period_id)


def access_report_with_period(report_id: int) -> tuple[AnnualReport, ReportingPeriod]:
    """The report version and its period in one read, if the scope sees both (a compile
    needs both; NotFound as `access_report`)."""
    row = db.session.execute(
        sa.select(AnnualReport, ReportingPeriod)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .where(AnnualReport.id == report_id)
    ).one_or_none()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def association_of(report: AnnualReport) -> Association:
    """The association whose report it is."""
    return in_scope(Association, report.tenant_id)


def period_of_rollup(rollup: FederationRollup) -> ReportingPeriod:
    """The federation's period of the roll-up's year: where its page is."""
    period = db.session.scalar(
        periods().where(
            ReportingPeriod.federation_id == rollup.federation_id,
            ReportingPeriod.year == rollup.year,
        )
    )
    if period is None:
        raise NotFound()
    return period


def federation_of(rollup: FederationRollup) -> Federation:
    """The federation that compiled the roll-up (the public directory of provinces)."""
    return db.session.scalar(sa.select(Federation).where(Federation.id == rollup.federation_id))


# --- federation-owned rows: the scope's criteria say whose (tenants.filtering) ----------


def periods():
    """The reporting periods the scope sees: its federations', or an association's own
    federation's: latest year first, then as opened (a page of the API is stable)."""
    return sa.select(ReportingPeriod).order_by(ReportingPeriod.year.desc(), ReportingPeriod.id)


def all_periods() -> list[ReportingPeriod]:
    """Every period the scope sees, latest year first."""
    return list(db.session.scalars(periods()))


def open_period(federation_id: int, year: int, deadline: date, actor: str) -> ReportingPeriod:
    exists = db.session.scalar(
        sa.select(ReportingPeriod).where(
            ReportingPeriod.federation_id == federation_id, ReportingPeriod.year == year
        )
    )
    if exists:
        raise ReportingError(PERIOD_TAKEN["year"], "year")
    if deadline.year < year:
        raise ReportingError(_l("The deadline cannot come before the year reported."), "deadline")
    period = ReportingPeriod(
        federation_id=federation_id, year=year, deadline=deadline, opened_by=actor
    )
    with claimed(ReportingPeriod, PERIOD_TAKEN):  # by another request since the check
        db.session.add(period)
    return period


# --- association reports --------------------------------------------------------------


def reports(association_id: int, period_id: int):
    return (
        sa.select(AnnualReport)
        .where(AnnualReport.tenant_id == association_id, AnnualReport.period_id == period_id)
        .order_by(AnnualReport.version.desc())
    )


def current_report(association_id: int, period_id: int) -> AnnualReport | None:
    return db.session.scalars(reports(association_id, period_id).limit(1)).first()


def versions(report: AnnualReport) -> list[AnnualReport]:
    """Every version of the report's association and period, latest first."""
    return list(db.session.scalars(reports(report.tenant_id, report.period_id)))


def filing_rows(period: ReportingPeriod) -> list[tuple[int, str, AnnualReport | None]]:
    """Each association of the period's federation with the latest version of its report
    (None before its first compile), by association id: the period's page."""
    associations = db.session.execute(
        sa.select(Association.id, Association.name)
        .where(Association.federation_id == period.federation_id)
        .order_by(Association.id)
    ).all()
    latest = _latest_reports([period.id])
    return [(aid, name, latest.get((aid, period.id))) for aid, name in associations]


def listing(
    year: int | None = None, period_id: int | None = None, status: str | None = None
) -> sa.Select:
    """The report versions the scope sees, latest year first, for the API's lists."""
    query = (
        sa.select(AnnualReport)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .order_by(ReportingPeriod.year.desc(), AnnualReport.tenant_id, AnnualReport.version)
    )
    if year:
        query = query.where(ReportingPeriod.year == year)
    if period_id is not None:
        query = query.where(AnnualReport.period_id == period_id)
    if status:
        query = query.where(AnnualReport.status == status)
    return query


def start_compile(association_id: int, period: ReportingPeriod) -> AnnualReport:
    """The report to (re)compile, marked compiling (`queue_compile` queues the job).
    Submitted and approved reports are not recompiled."""
    report = current_report(association_id, period.id)
    if report is None:
        report = AnnualReport(tenant_id=association_id, period_id=period.id, version=1)
        db.session.add(report)
    elif report.status in (S.SUBMITTED, S.APPROVED):
        raise ReportingError(_l("A submitted or approved report is not recompiled."))
    report.status = S.COMPILING.value
    report.compile_started_at, report.failure_reason = utcnow(), None
    db.session.flush()
    return report


# Longer than a compile's job timeout and its retries' intervals together: a compile still
# running after this was lost with its worker or process.
COMPILE_LOST_AFTER = timedelta(minutes=15)
LOST = "lost: no result within 15 minutes (the worker or the service was restarted)"


def is_lost(report: AnnualReport) -> bool:
    """Still compiling after COMPILE_LOST_AFTER: its job died with a worker or a process.
    Pages show it as failed at once; `give_up_lost_compiles` records it."""
    started = report.compile_started_at or report.created_at
    return report.status == S.COMPILING and utcnow() - started >= COMPILE_LOST_AFTER


def was_lost(report: AnnualReport) -> bool:
    """Lost, whether or not the sweep has recorded it yet: the page says so in the same
    words before and after (the recorded reason is for the operator, in English)."""
    return is_lost(report) or (report.status == S.FAILED and report.failure_reason == LOST)


def lost_compiles() -> list[AnnualReport]:
    """The scope's reports still compiling after COMPILE_LOST_AFTER."""
    compiling = db.session.scalars(
        sa.select(AnnualReport).where(AnnualReport.status == S.COMPILING.value)
    )
    return [report for report in compiling if is_lost(report)]


def record_figures(report: AnnualReport, figures: indicators.Figures) -> None:
    """The compile's result, written at once: the figures with their hash."""
    report.figures = figures
    report.figures_hash = content_hash(figures)
    report.status = S.COMPILED.value
    report.compiled_at = utcnow()


def record_failure(report: AnnualReport, reason: str) -> None:
    """A compile that will not finish: the report says so, with the reason, and can be
    compiled again. Its figures stay as they were (a failed compile writes none)."""
    if report.status == S.COMPILING:
        report.status, report.failure_reason = S.FAILED.value, reason


def previous_figures(report: AnnualReport) -> indicators.Figures | None:
    """Last year's approved figures of the same association, if it reported then."""
    period = period_of(report)
    last = db.session.scalars(
        sa.select(AnnualReport)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .where(
            AnnualReport.tenant_id == report.tenant_id,
            ReportingPeriod.federation_id == period.federation_id,
            ReportingPeriod.year == period.year - 1,
            AnnualReport.status == S.APPROVED.value,
        )
        .order_by(AnnualReport.version.desc())
    ).first()
    return last.figures if last else None


def unexplained(report: AnnualReport) -> list[str]:
    """Codes of figures that moved more than 30% from last year with no explanation yet."""
    previous = previous_figures(report) or {}
    return [
        code
        for code, value in (report.figures or {}).items()
        if indicators.moved_a_lot(value, previous.get(code))
        and not (report.explanations or {}).get(code)
    ]


def explain(report: AnnualReport, code: str, text: str) -> None:
    if report.status not in (S.COMPILED, S.RETURNED):
        raise ReportingError(_l("Only a compiled or returned report can be explained."))
    if code not in indicators.BY_CODE:
        raise ReportingError(_l("There is no such indicator."), "code")
    report.explanations = {**(report.explanations or {}), code: text.strip()}


def submit(report: AnnualReport) -> None:
    if report.status not in (S.COMPILED, S.RETURNED):
        raise ReportingError(_l("Only a compiled or returned report can be submitted."))
    missing = unexplained(report)
    if missing:
        # In words: the indicators' names, as the report page shows them, never codes alone.
        raise ReportingError(
            _l(
                "%(n)d figures moved more than 30 per cent from last year and need an "
                "explanation before the report can be submitted: %(names)s.",
                n=len(missing),
                names=indicators.names_of(missing),
            )
        )
    report.status = S.SUBMITTED.value
    report.submitted_at = utcnow()


def return_report(report: AnnualReport, comments: dict[str, str], actor: str) -> None:
    comments = {c: t.strip() for c, t in comments.items() if t and t.strip()}
    if report.status != S.SUBMITTED:
        raise ReportingError(_l("Only a submitted report can be returned."))
    if not comments:
        raise ReportingError(_l("Say what to fix: comment on at least one figure."))
    if set(comments) - set(indicators.BY_CODE):
        raise ReportingError(_l("There is no such indicator."))
    report.review_comments = comments
    report.status = S.RETURNED.value
    report.decided_by, report.decided_at = actor, utcnow()


def approve(report: AnnualReport, actor: str) -> None:
    """Approve and lock: the figures as they are now are the snapshot, with its hash."""
    if report.status != S.SUBMITTED:
        raise ReportingError(_l("Only a submitted report can be approved."))
    report.status = S.APPROVED.value
    report.review_comments = {}
    report.decided_by, report.decided_at = actor, utcnow()
    report.locked_hash = content_hash(report.figures)


def reopen(report: AnnualReport, reason: str, actor: str) -> AnnualReport:
    """A new version to work on; the approved one is kept as it was."""
    if report.status != S.APPROVED:
        raise ReportingError(_l("Only an approved report can be reopened."))
    if not reason or not reason.strip():
        raise ReportingError(_l("Give the reason for reopening."), "reason")
    newer = AnnualReport(
        tenant_id=report.tenant_id,
        period_id=report.period_id,
        version=report.version + 1,
        status=S.COMPILED.value,
        figures=dict(report.figures),
        figures_hash=report.figures_hash,
        explanations=dict(report.explanations or {}),
        reopen_reason=reason.strip(),
        compiled_at=report.compiled_at,
    )
    db.session.add(newer)
    db.session.flush()
    record(
        db.session,
        "reopen",
        "annual_report",
        report.id,
        report.tenant_id,
        {"reason": reason.strip(), "by": actor, "new_version": newer.version},
    )
    return newer


# --- the federation's roll-up -----------------------------------------------------------


def rollups(federation_id: int, year: int):
    return (
        sa.select(FederationRollup)
        .where(FederationRollup.federation_id == federation_id, FederationRollup.year == year)
        .order_by(FederationRollup.version.desc())
    )


REPORTS, PERIODS, ASSOCIATIONS = (
    AnnualReport.__table__,
    ReportingPeriod.__table__,
    Association.__table__,
)


def _approved_figures(owned: Owned) -> sa.Select:
    """What a roll-up sums of each approved version of the year's reports, latest last."""
    return (
        sa.select(REPORTS.c.tenant_id, REPORTS.c.version, REPORTS.c.locked_hash, REPORTS.c.figures)
        .join_from(REPORTS, PERIODS, PERIODS.c.id == REPORTS.c.period_id)
        .where(
            owned(REPORTS),
            owned(PERIODS),
            PERIODS.c.federation_id == sa.bindparam("federation_id"),
            PERIODS.c.year == sa.bindparam("year"),
            REPORTS.c.status == S.APPROVED.value,
        )
        .order_by(REPORTS.c.tenant_id, REPORTS.c.version)
    )


def _active_associations(owned: Owned) -> sa.Select:
    return (
        sa.select(ASSOCIATIONS.c.id, ASSOCIATIONS.c.name)
        .where(
            owned(ASSOCIATIONS),
            ASSOCIATIONS.c.federation_id == sa.bindparam("federation_id"),
            ASSOCIATIONS.c.status == "active",
        )
        .order_by(ASSOCIATIONS.c.id)
    )


# A province's roll-up reads every association's figures: built once (`tenants.reads`).
APPROVED_FIGURES = TenantRead(_approved_figures)
ACTIVE_ASSOCIATIONS = TenantRead(_active_associations)


def compile_rollup(federation_id: int, year: int) -> FederationRollup:
    """Sum the approved reports into the draft roll-up (a new version after a lock).
    Reads the four columns the sum needs, not whole reports. Everything is read before
    the roll-up is written, so a new version is written once, whole (one INSERT and its
    audit row, not an empty row first and its figures after)."""
    latest = db.session.scalars(rollups(federation_id, year).limit(1)).first()
    of_year = {"federation_id": federation_id, "year": year}
    rows = APPROVED_FIGURES.rows(db.session, of_year)
    approved = {row.tenant_id: row for row in rows}  # the latest version of each
    associations = ACTIVE_ASSOCIATIONS.rows(db.session, of_year)
    if latest is None or latest.locked:
        latest = FederationRollup(
            federation_id=federation_id, year=year, version=(latest.version + 1) if latest else 1
        )
        db.session.add(latest)
    latest.figures = indicators.total([r.figures for r in approved.values()])
    latest.included = [
        {"association_id": r.tenant_id, "report_version": r.version, "hash": r.locked_hash}
        for r in sorted(approved.values(), key=lambda r: r.tenant_id)
    ]
    latest.missing = [
        {"association_id": a, "name": n} for a, n in associations if a not in approved
    ]
    latest.compiled_at = utcnow()
    db.session.flush()
    return latest


def snapshot(rollup: FederationRollup) -> dict:
    """What is locked, published and pushed: the roll-up as data, without personal data."""
    return {
        "federation": federation_of(rollup).code,
        "year": rollup.year,
        "version": rollup.version,
        "figures": rollup.figures,
        "included": rollup.included,
        "missing": [m["association_id"] for m in rollup.missing],
    }


def lock_rollup(rollup: FederationRollup, actor: str) -> PushOutbox | None:
    """Lock the roll-up; when the federation has a national endpoint, put the push in the
    outbox in the same transaction (the caller queues its delivery: `push.queue_delivery`)."""
    if rollup.locked:
        raise ReportingError(_l("This roll-up is locked already."))
    rollup.locked_hash = content_hash(snapshot(rollup))
    rollup.status = RollupStatus.LOCKED.value
    rollup.locked_by, rollup.locked_at = actor, utcnow()
    if push.endpoint_of(rollup.federation_id) is None:
        return None
    outbox = PushOutbox(
        federation_id=rollup.federation_id, rollup_id=rollup.id, idempotency_key=rollup.locked_hash
    )
    db.session.add(outbox)
    db.session.flush()
    return outbox


def rollup_versions(period: ReportingPeriod) -> list[FederationRollup]:
    """The federation's roll-up versions for the period's year, latest first."""
    return list(db.session.scalars(rollups(period.federation_id, period.year)))


# --- the national API: the federations a national token was granted -------------------


def granted_federations() -> sa.Select:
    """The federations of the national scope, by id."""
    granted = sorted(current_scope().federation_ids)
    return sa.select(Federation).where(Federation.id.in_(granted)).order_by(Federation.id)


def access_granted_federation(federation_id: int) -> Federation:
    """A federation the national scope was granted; NotFound for any other, missing alike."""
    federation = None
    if federation_id in current_scope().federation_ids:
        federation = db.session.scalar(granted_federations().where(Federation.id == federation_id))
    if federation is None:
        raise NotFound()
    return federation


def latest_locked_rollup(federation: Federation, year: int) -> FederationRollup:
    """The federation's roll-up for the year as last locked; NotFound before the first lock."""
    rollup = db.session.scalars(
        rollups(federation.id, year).where(FederationRollup.status == RollupStatus.LOCKED.value)
    ).first()
    if rollup is None:
        raise NotFound(_l("No locked roll-up for that year."))
    return rollup


def approved_listing(federation: Federation, year: int | None) -> sa.Select:
    """The approved (locked) report versions of the federation's associations."""
    return listing(year).where(
        ReportingPeriod.federation_id == federation.id,
        AnnualReport.status == S.APPROVED.value,
    )


# --- where filing stands, for the to-do lists -------------------------------------------


def filing_status(association_id: int) -> list[tuple[ReportingPeriod, AnnualReport | None]]:
    """Each period of the association's federation whose report is not approved yet, with
    the report's latest version (None before the first compile), oldest period first."""
    periods_seen = all_periods()
    latest = _latest_reports([p.id for p in periods_seen], association_id)
    return [
        (period, latest.get((association_id, period.id)))
        for period in reversed(periods_seen)
        if (report := latest.get((association_id, period.id))) is None
        or report.status != S.APPROVED
    ]


def federation_filing_counts(
    federation_id: int,
) -> list[tuple[ReportingPeriod, Counter[str]]]:
    """Each of the federation's periods whose roll-up is not locked yet, with how many of
    its associations' reports stand at each status, counting each association's latest
    version only. Counted by the database: a home page needs the numbers, not the reports."""
    locked_years = sa.select(FederationRollup.year).where(
        FederationRollup.federation_id == federation_id,
        FederationRollup.status == RollupStatus.LOCKED.value,
    )
    open_periods = db.session.scalars(
        periods().where(
            ReportingPeriod.federation_id == federation_id,
            ReportingPeriod.year.not_in(locked_years),
        )
    ).all()
    counts: dict[int, Counter[str]] = {p.id: Counter() for p in open_periods}
    if counts:
        statuses = db.session.execute(_LATEST_STATUS_COUNTS, {"period_ids": list(counts)})
        for period_id, status, n in statuses:
            counts[period_id][status] = n
    return [(p, counts[p.id]) for p in open_periods]


def _latest_status_counts() -> sa.Select:
    """(period, status, associations) of the latest report versions in the periods
    `period_ids`: built once, as an alias costs more to build than the query to run."""
    newer = aliased(AnnualReport)
    superseded = (
        sa.select(newer.id)
        .where(
            newer.tenant_id == AnnualReport.tenant_id,
            newer.period_id == AnnualReport.period_id,
            newer.version > AnnualReport.version,
        )
        .exists()
    )
    return (
        sa.select(AnnualReport.period_id, AnnualReport.status, sa.func.count())
        .where(AnnualReport.period_id.in_(sa.bindparam("period_ids", expanding=True)))
        .where(~superseded)
        .group_by(AnnualReport.period_id, AnnualReport.status)
    )


_LATEST_STATUS_COUNTS = _latest_status_counts()


def filing_associations_count(federation_id: int) -> int:
    """The federation's associations that file a report: the active ones."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Association.federation_id == federation_id, Association.status == "active"
        )
    )


def _latest_reports(
    period_ids: list[int], association_id: int | None = None
) -> dict[tuple[int, int], AnnualReport]:
    query = sa.select(AnnualReport).where(AnnualReport.period_id.in_(period_ids))
    if association_id is not None:
        query = query.where(AnnualReport.tenant_id == association_id)
    rows = db.session.scalars(query.order_by(AnnualReport.version))
    return {(r.tenant_id, r.period_id): r for r in rows}  # in version order: the latest stays


def queue_compile(association_id: int, period: ReportingPeriod) -> AnnualReport:
    """Start compiling the association's report for the period: marked compiling, the job
    queued to run once that is committed (inline without Redis), and its id kept for the
    progress bar. The web page and the API both come here, so both compile the same way.
    Raises `JobsUnavailable`, nothing kept, when the queue cannot be reached."""
    from rq import Retry

    from service import jobs

    report = start_compile(association_id, period)
    job = jobs.enqueue(
        "service.reporting.jobs:compile_report",  # by path: the jobs module imports this one
        report.id,
        retry=Retry(max=2, interval=[10, 60]),
        on_give_up="service.reporting.jobs:compile_gave_up",
    )
    report.job_id = job.id
    return report
