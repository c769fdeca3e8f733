"""The reporting cycle: open a period, compile (as a job), explain, submit, return or
approve (locking), reopen as a new version, roll up and lock at the federation."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from rq import get_current_job

from service.audit.services import record
from service.errors import Conflict, DomainError, RuleBroken
from service.reporting import indicators
from service.reporting.models import (
    AnnualReport,
    FederationRollup,
    NationalEndpoint,
    PushOutbox,
    ReportingPeriod,
    ReportStatus,
    RollupStatus,
    content_hash,
)
from tenants.access import find_in_scope
from tenants.db import db
from tenants.models import Association, Federation, utcnow
from tenants.scope import system_scope

S = ReportStatus


class ReportingError(DomainError):
    """A step of the cycle that is not possible now; the message says why. A field's value
    that cannot be taken is a rule broken (422); a step the state does not allow, a
    conflict (409)."""

    @property
    def status(self) -> int:  # type: ignore[override]
        return RuleBroken.status if self.field else Conflict.status


# --- federation-owned rows: the scope's criteria say whose (tenants.filtering) ----------


def periods():
    """The reporting periods the scope sees: its federations', or an association's own
    federation's."""
    return sa.select(ReportingPeriod).order_by(ReportingPeriod.year.desc())


def open_period(federation_id: int, year: int, deadline: date, actor: str) -> ReportingPeriod:
    exists = db.session.scalar(
        sa.select(ReportingPeriod).where(
            ReportingPeriod.federation_id == federation_id, ReportingPeriod.year == year
        )
    )
    if exists:
        raise ReportingError(_l("A reporting period for that year is open already."), "year")
    if deadline.year < year:
        raise ReportingError(_l("The deadline cannot come before the year reported."), "deadline")
    period = ReportingPeriod(
        federation_id=federation_id, year=year, deadline=deadline, opened_by=actor
    )
    db.session.add(period)
    db.session.flush()
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


def start_compile(association_id: int, period: ReportingPeriod) -> AnnualReport:
    """The report to (re)compile, marked compiling; the caller commits and enqueues
    `compile_report`. Submitted and approved reports are not recompiled."""
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


def compile_gave_up(report_id: int, reason: str) -> None:
    """The compile job failed for the last time: the report says so, with the reason, and
    can be compiled again. Its figures stay as they were (a failed compile writes none)."""
    report = find_in_scope(AnnualReport, report_id)
    if report is not None and report.status == S.COMPILING:
        report.status, report.failure_reason = S.FAILED.value, reason
        db.session.commit()


def is_lost(report: AnnualReport) -> bool:
    """Still compiling after COMPILE_LOST_AFTER: its job died with a worker or a process.
    Pages show it as failed at once; `give_up_lost_compiles` records it."""
    started = report.compile_started_at or report.created_at
    return report.status == S.COMPILING and utcnow() - started >= COMPILE_LOST_AFTER


def was_lost(report: AnnualReport) -> bool:
    """Lost, whether or not the sweep has recorded it yet: the page says so in the same
    words before and after (the recorded reason is for the operator, in English)."""
    return is_lost(report) or (report.status == S.FAILED and report.failure_reason == LOST)


def give_up_lost_compiles() -> int:
    """The periodic sweep: every lost compile is marked failed, so nothing says 生成中 for
    ever and the API tells integrators the same as the page."""
    with system_scope("reporting: mark lost compiles failed"):
        compiling = db.session.scalars(
            sa.select(AnnualReport).where(AnnualReport.status == S.COMPILING.value)
        ).all()
        lost = [report for report in compiling if is_lost(report)]
        for report in lost:
            report.status, report.failure_reason = S.FAILED.value, LOST
        db.session.commit()
    return len(lost)


def compile_report(report_id: int) -> str:
    """The job. Computes every figure, then writes them in one commit: a worker killed on
    the way leaves the report as it was, and the retried job writes the same figures."""
    report = find_in_scope(AnnualReport, report_id)
    if report is None or report.status != S.COMPILING:
        return report.status if report else "missing"
    period = db.session.get(ReportingPeriod, report.period_id)
    figures = indicators.compute([report.tenant_id], period.year, progress=_progress)[
        report.tenant_id
    ]
    report.figures = figures
    report.figures_hash = content_hash(figures)
    report.status = S.COMPILED.value
    report.compiled_at = utcnow()
    db.session.commit()
    return S.COMPILED.value  # not report.status: reading it after the commit reloads the row


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = [done, total]
        job.save_meta()


def previous_figures(report: AnnualReport) -> indicators.Figures | None:
    """Last year's approved figures of the same association, if it reported then."""
    period = db.session.get(ReportingPeriod, report.period_id)
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
        raise ReportingError(
            _l(
                "Explain the figures that moved a lot from last year: %(codes)s",
                codes=", ".join(missing),
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


def approved_reports(federation_id: int, year: int) -> list[AnnualReport]:
    """The latest approved version of each association's report for the year."""
    rows = db.session.scalars(
        sa.select(AnnualReport)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .where(
            ReportingPeriod.federation_id == federation_id,
            ReportingPeriod.year == year,
            AnnualReport.status == S.APPROVED.value,
        )
        .order_by(AnnualReport.tenant_id, AnnualReport.version)
    )
    return list({r.tenant_id: r for r in rows}.values())


def rollups(federation_id: int, year: int):
    return (
        sa.select(FederationRollup)
        .where(FederationRollup.federation_id == federation_id, FederationRollup.year == year)
        .order_by(FederationRollup.version.desc())
    )


def compile_rollup(federation_id: int, year: int) -> FederationRollup:
    """Sum the approved reports into the draft roll-up (a new version after a lock)."""
    latest = db.session.scalars(rollups(federation_id, year).limit(1)).first()
    if latest is None or latest.locked:
        latest = FederationRollup(
            federation_id=federation_id, year=year, version=(latest.version + 1) if latest else 1
        )
        db.session.add(latest)
    approved = approved_reports(federation_id, year)
    associations = db.session.execute(
        sa.select(Association.id, Association.name)
        .where(Association.federation_id == federation_id, Association.status == "active")
        .order_by(Association.id)
    ).all()
    done = {r.tenant_id for r in approved}
    latest.figures = indicators.total([r.figures for r in approved])
    latest.included = [
        {"association_id": r.tenant_id, "report_version": r.version, "hash": r.locked_hash}
        for r in sorted(approved, key=lambda r: r.tenant_id)
    ]
    latest.missing = [{"association_id": a, "name": n} for a, n in associations if a not in done]
    latest.compiled_at = utcnow()
    db.session.flush()
    return latest


def snapshot(rollup: FederationRollup) -> dict:
    """What is locked, published and pushed: the roll-up as data, without personal data."""
    federation = db.session.get(Federation, rollup.federation_id)
    return {
        "federation": federation.code,
        "year": rollup.year,
        "version": rollup.version,
        "figures": rollup.figures,
        "included": rollup.included,
        "missing": [m["association_id"] for m in rollup.missing],
    }


def lock_rollup(rollup: FederationRollup, actor: str) -> PushOutbox | None:
    """Lock the roll-up; when the federation has a national endpoint, put the push in the
    outbox in the same transaction (the caller commits, then enqueues the delivery)."""
    if rollup.locked:
        raise ReportingError(_l("This roll-up is locked already."))
    rollup.locked_hash = content_hash(snapshot(rollup))
    rollup.status = RollupStatus.LOCKED.value
    rollup.locked_by, rollup.locked_at = actor, utcnow()
    endpoint = db.session.scalar(
        sa.select(NationalEndpoint).where(NationalEndpoint.federation_id == rollup.federation_id)
    )
    if endpoint is None:
        return None
    outbox = PushOutbox(
        federation_id=rollup.federation_id, rollup_id=rollup.id, idempotency_key=rollup.locked_hash
    )
    db.session.add(outbox)
    db.session.flush()
    return outbox


# --- where filing stands, for the to-do lists -------------------------------------------


def filing_status(association_id: int) -> list[tuple[ReportingPeriod, AnnualReport | None]]:
    """Each period of the association's federation whose report is not approved yet, with
    the report's latest version (None before the first compile), oldest period first."""
    periods_seen = db.session.scalars(periods()).all()
    latest = _latest_reports([p.id for p in periods_seen], association_id)
    return [
        (period, latest.get((association_id, period.id)))
        for period in reversed(periods_seen)
        if (report := latest.get((association_id, period.id))) is None
        or report.status != S.APPROVED
    ]


def federation_filing_status(
    federation_id: int,
) -> list[tuple[ReportingPeriod, dict[int, AnnualReport]]]:
    """Each of the federation's periods whose roll-up is not locked yet, with the latest
    report of each association that has one."""
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
    latest = _latest_reports([p.id for p in open_periods])
    return [(p, {aid: r for (aid, pid), r in latest.items() if pid == p.id}) for p in open_periods]


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
    """Start compiling the association's report for the period: marked compiling and
    committed, then the job queued (inline without Redis) and its id kept for progress.
    The web page and the API both come here, so both compile the same way."""
    from rq import Retry

    from service import jobs

    report = start_compile(association_id, period)
    db.session.commit()
    job = jobs.enqueue(
        compile_report, report.id, retry=Retry(max=2, interval=[10, 60]), on_give_up=compile_gave_up
    )
    report = find_in_scope(AnnualReport, report.id)
    if report.status == S.COMPILING:
        report.job_id = job.id
        db.session.commit()
    return report
