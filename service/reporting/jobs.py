"""Background work for reporting: compiling a report (and giving up on it), delivering
locked roll-ups to national endpoints, and the periodic sweeps that close lost compiles and
retry due pushes.

Each job's writes are committed when it returns (`service.jobs.run_job`), after the scope
it ran under is restored to none; so each body flushes its writes while its scope is in
force. A scope-crossing sweep opens its own `system_scope`.
"""

from __future__ import annotations

from rq import get_current_job

from service.errors import NotFound
from service.reporting import indicators, push, services
from service.reporting.models import AnnualReport, PushStatus, ReportStatus
from tenants.db import db
from tenants.scope import system_scope

S = ReportStatus


# --- compiling a report ------------------------------------------------------------------


def compile_report(report_id: int) -> str:
    """The job. Computes every figure, then writes them at once: a worker killed on the
    way leaves the report as it was, and the retried job writes the same figures. One
    statement reads the report with its period, one per table family computes the figures
    (`indicators.compute`), and the job's one commit writes them (`service.jobs.run_job`)."""
    try:
        report, period = services.access_report_with_period(report_id)
    except NotFound:
        return "missing"
    if report.status != S.COMPILING:
        return report.status
    figures = indicators.compute([report.tenant_id], period.year, progress=_progress)
    services.record_figures(report, figures[report.tenant_id])
    db.session.flush()
    return report.status


def compile_gave_up(report_id: int, reason: str) -> None:
    """The compile job failed for the last time: the report says so, with the reason."""
    try:
        services.record_failure(services.access_report(report_id), reason)
    except NotFound:
        return
    db.session.flush()


def give_up_lost_compiles() -> int:
    """The periodic sweep: every lost compile is marked failed, so nothing says 生成中 for
    ever and the API tells integrators the same as the page."""
    with system_scope("reporting: mark lost compiles failed"):
        lost = services.lost_compiles()
        for report in lost:
            services.record_failure(report, services.LOST)
        db.session.flush()
    return len(lost)


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = [done, total]
        job.save_meta()


def compile_progress(report: AnnualReport) -> tuple[int, int] | None:
    """How far the report's compile job is (families done, of all), while it compiles;
    None when it is not compiling or the queue has forgotten the job."""
    if report.status != S.COMPILING or not report.job_id:
        return None
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from service import jobs

    try:
        job = Job.fetch(report.job_id, connection=jobs.queue().connection)
    except (NoSuchJobError, RedisError):
        return None
    return tuple(job.meta.get("progress", [0, len(indicators.FAMILIES)]))


# --- delivering locked roll-ups ----------------------------------------------------------


def deliver(outbox_id: int) -> str:
    """One attempt. A delivered push is never sent again; an attempt is recorded whatever
    happens, so the federation sees every one."""
    try:
        outbox = push.access_outbox(outbox_id)
    except NotFound:
        return "missing"
    if outbox.status != PushStatus.PENDING:
        return outbox.status
    rollup = services.access_rollup(outbox.rollup_id)
    endpoint = push.endpoint_of(outbox.federation_id)
    status, error = push.send(endpoint, outbox.idempotency_key, services.snapshot(rollup))
    push.record_attempt(outbox, status, error)
    # A checkpoint, not the job's end: the attempt is kept although the job raises below for
    # RQ to retry it (run_job would roll it back), and the endpoint page shows it at once.
    db.session.commit()
    if outbox.status == PushStatus.PENDING:
        raise push.PushFailed(error or f"HTTP {status}")
    return outbox.status


def deliver_due() -> int:
    """The periodic sweep: every pending push whose backoff has passed, once more."""
    with system_scope("reporting: deliver due national pushes"):
        due = push.due()
        for outbox_id in due:
            try:
                deliver(outbox_id)
            except push.PushFailed:
                continue
    return len(due)
