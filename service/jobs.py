"""Background jobs: queue names in one place, enqueue with the caller's scope, run in a worker.

With no REDIS_URL (the embedded default) jobs go through the same RQ code path on an
in-process fake Redis and are run by RQ's own worker class in this process: after the
request's transaction has ended (in the request's teardown, on the job's own session and
connection), or at once outside a request. Retries wait out their intervals and periodic
jobs keep their times through `EmbeddedScheduler`, a thread of the serving process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter
from flask import Flask, current_app, g, has_app_context, has_request_context
from redis.exceptions import RedisError
from rq import Queue, Retry, SimpleWorker, Worker, get_current_job
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.timeouts import TimerDeathPenalty
from werkzeug.utils import import_string

from service.errors import DomainError
from service.unit_of_work import after_commit
from tenants.db import db
from tenants.jobs import job_path, run_scoped, scoped_call
from tenants.scope import system_scope

DEFAULT, REFRESH = "default", "refresh"
# A worker takes from these in order. REFRESH holds the recomputation of derived figures
# (rollups, compliance findings) that writes queue by the hundred: a clerk's import or
# compile on DEFAULT goes ahead of them rather than waiting its turn behind them.
QUEUES = (DEFAULT, REFRESH)
# How long a queued refresh stands for later requests of the same one (see `_push`): past
# it, a refresh lost with its worker stops holding the others back.
PENDING_SECONDS = 600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job the scheduler runs on a cron schedule (UTC), with a stable id."""

    id: str
    cron: str
    func: str  # "module:function", called with no arguments under its own system scope


SCHEDULES = (
    # Findings change with the date alone (a congress falls due with no write): recompute daily.
    Periodic("compliance-daily", "30 18 * * *", "service.governance.jobs:recompute_all"),
    # After the recompute, so reminders read today's findings (02:30 and 03:00 Beijing time).
    Periodic("compliance-reminders", "0 19 * * *", "service.governance.jobs:send_reminders"),
    # After the recompute, so the dashboards' rollups read today's findings.
    Periodic("federation-rollups", "30 19 * * *", "service.federation.jobs:refresh_all"),
    # Pushes to national endpoints whose backoff has passed (RQ retries them too).
    Periodic("national-push-due", "*/10 * * * *", "service.reporting.jobs:deliver_due"),
    # Compiles and imports whose job died with its worker or process are marked failed.
    Periodic("lost-compiles", "*/10 * * * *", "service.reporting.jobs:give_up_lost_compiles"),
    Periodic("lost-imports", "*/10 * * * *", "service.members.jobs:give_up_lost_imports"),
)
# Jobs queued before their bodies moved into their package's `jobs` module name the old
# place: they run the body where it is now.
MOVED = {
    f"service.{old}:{name}": f"service.{package}.jobs:{name}"
    for old, package, names in (
        ("reporting.services", "reporting", ("compile_report", "compile_gave_up")),
        ("reporting.push", "reporting", ("deliver",)),
        ("federation.rollups", "federation", ("refresh_association",)),
        ("members.importing", "members", ("run_import", "gave_up")),
    )
    for name in names
}
_worker_app: Flask | None = None
_fake_lock = threading.Lock()


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached. Nothing was queued: the caller tells the user
    to try again later, rather than failing the request."""


def is_inline(app: Flask) -> bool:
    return not app.config.get("REDIS_URL")


def _connection(app: Flask):
    ext = app.extensions.setdefault("kexie_jobs", {})
    url = app.config.get("REDIS_URL")
    if url:
        clients = ext.setdefault("redis", {})
        if url not in clients:
            from redis import Redis

            # One client per process (and URL), whose pool keeps its connections: a client
            # per queue opened a connection for every request that queued a job. Fail fast
            # when Redis is down: the request answers "try again later" in seconds.
            clients[url] = Redis.from_url(url, socket_connect_timeout=2)
        return clients[url]
    if "fake" not in ext:
        # Each FakeRedis is a server of its own: two threads' first use at once (a request
        # enqueueing as the embedded scheduler ticks) must not make two, or a job pushed to
        # the one a worker never reads is lost.
        with _fake_lock:
            if "fake" not in ext:
                from fakeredis import FakeRedis

                ext["fake"] = FakeRedis()
    return ext["fake"]


def queue(name: str = DEFAULT, app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=_connection(app))


def enqueue(
    func: Callable | str,
    *ids: Any,
    queue_name: str = DEFAULT,
    on_give_up: Callable | str | None = None,
    retry: Retry | None = None,
) -> Job:
    """Run `func(*ids)` in a worker under the caller's scope, once the caller's transaction
    has committed (a job never reads a row before it exists; a rolled-back request queues
    nothing). Arguments are ids only. The job's id is known at once, for progress pages.

    `on_give_up(*ids, reason)` runs, under the same scope and on a clean session, when the
    job has failed for the last time (no retry left), so that no record waits for ever on
    a job that will not finish. Raises `JobsUnavailable` now, before anything is committed,
    when the queue cannot be reached."""
    scope, path, args = scoped_call(func, *ids)
    give_up = job_path(on_give_up) if on_give_up else None
    app = current_app._get_current_object()
    target = queue(queue_name)
    try:
        target.connection.ping()
    except RedisError as unreachable:
        raise JobsUnavailable(str(unreachable)) from unreachable
    job = target.create_job(run_job, args=[scope, path, list(args), give_up], retry=retry)
    after_commit(lambda: _push(app, target, job))
    return job


def enqueue_refresh(func: Callable | str, *ids: Any) -> Job:
    """`enqueue` on REFRESH: an idempotent recomputation of what the records imply, which
    reads them when it runs. Asked for again while the same one (function, ids, scope)
    waits unstarted, it is not queued twice: the one waiting will read this commit too."""
    return enqueue(func, *ids, queue_name=REFRESH)


def _pending_key(scope: dict, path: str, args: list) -> str:
    return "kexie:pending:" + json.dumps([path, list(args), scope], sort_keys=True)


def _push(app: Flask, target: Queue, job: Job) -> None:
    """Put a created job on its queue (after the commit it waited for); inline, have it run."""
    pending = _pending_key(*job.args[:3]) if target.name == REFRESH else None
    delay = app.config["REFRESH_DELAY_SECONDS"] if pending and not is_inline(app) else 0
    try:
        if pending and not target.connection.set(pending, job.id, nx=True, ex=PENDING_SECONDS):
            return  # the same refresh waits unstarted: it reads this commit when it runs
        if delay:
            # The writes of the next moments share it: an integration writing ten times a
            # second costs a refresh every few seconds, not ten a second.
            target.schedule_job(job, datetime.now(UTC) + timedelta(seconds=delay))
        else:
            target.enqueue_job(job)
    except RedisError:
        # The commit stands; the periodic sweeps (lost compiles and imports, the nightly
        # recompute and refresh, due pushes) pick the work up again.
        log.warning("job %s could not be queued after its commit", job.id)
        _forget_pending(target, pending)
        return
    if is_inline(app):
        _run_inline_soon(app)


def _forget_pending(target: Queue, pending: str | None) -> None:
    """A refresh that was not queued must not stand for the next request of it."""
    if pending:
        with contextlib.suppress(RedisError):  # else it expires after PENDING_SECONDS
            target.connection.delete(pending)


def run_job(scope: dict, func_path: str, args: list, give_up_path: str | None = None) -> Any:
    """What the worker executes: a fresh app context (and so a fresh session), the scope
    restored, then the function; its writes are committed when it returns (the job's unit of
    work), rolled back when it raises."""
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    _started(scope, func_path, args)
    func_path = MOVED.get(func_path, func_path)
    give_up_path = MOVED.get(give_up_path, give_up_path) if give_up_path else None
    with app.app_context():
        try:
            return run_scoped(scope, func_path, args, then=db.session.commit)
        except Exception as error:
            db.session.rollback()
            if give_up_path and _last_attempt():
                run_scoped(scope, give_up_path, [*args, _reason(error)], then=db.session.commit)
            raise


def _started(scope: dict, func_path: str, args: list) -> None:
    """A refresh starting stops standing for later requests of it, before it reads: a
    commit from now on queues the next one, which reads what this one may not."""
    job = get_current_job()
    if job is not None and job.origin == REFRESH:
        job.connection.delete(_pending_key(scope, func_path, args))


def _last_attempt() -> bool:
    job = get_current_job()
    return job is None or not job.retries_left


def _reason(error: Exception) -> str:
    if isinstance(error, DomainError):  # a refusal worded for the user (a key taken meanwhile)
        return str(error)[:500]
    return f"{type(error).__name__}: {error}"[:500]


def run_periodic(periodic_id: str) -> Any:
    """What the cron scheduler enqueues: one of SCHEDULES, in a fresh app context. The
    function opens its own system scope (it crosses every tenant on purpose)."""
    periodic = next(p for p in SCHEDULES if p.id == periodic_id)
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context(), system_scope(f"periodic job {periodic.id}"):
        # The function opens its own system scope; the commit after it needs one too, for
        # what the commit sets off (a rollup refresh queued on commit).
        result = import_string(periodic.func.replace(":", "."))()
        db.session.commit()
        return result


def cron_scheduler(connection) -> CronScheduler:
    """RQ's cron scheduler with every entry of SCHEDULES registered under its stable id."""
    scheduler = CronScheduler(connection=connection, name="kexie")
    for periodic in SCHEDULES:
        scheduler.register(
            run_periodic, DEFAULT, args=(periodic.id,), cron=periodic.cron, name=periodic.id
        )
    return scheduler


def _app_for_worker() -> Flask:
    """The app a worker runs jobs in: `flask worker` (or `flask scheduler`) has it."""
    if _worker_app is None:
        raise RuntimeError("jobs run under `flask worker`, which provides the app")
    return _worker_app


def serve(app: Flask) -> None:
    """Make `app` the one this process's worker runs its jobs in (`flask worker`): RQ's work
    horse may run a job outside the command's app context."""
    global _worker_app
    _worker_app = app


# --- `flask worker`: refreshes in the worker's process, other jobs in a work horse ---------


class JobWorker(Worker):
    """RQ's worker, which runs each job in a work horse it forks, except the refreshes: those
    it runs in its own process. A horse starts cold, with SQLAlchemy's compiled statements,
    psycopg's prepared ones and the pool's connections of no job before it: a refresh of an
    association's rollups took 0.35 s cold (the first in a process) against 0.03 s warm, and
    a write queues one: under the proof's load the horses took a quarter of the machine (16
    of 60 CPU seconds).
    A refresh is small and idempotent; the other jobs (an import, a compile, a push, the
    nightly sweeps) keep a horse of their own: their memory goes back when they end, and a
    hard timeout ends them.

    A horse never uses the connections the worker's pool keeps open for the refreshes: it
    starts with the pool forgotten (not closed: closing them would end the worker's
    sessions on the server; psycopg leaves a connection another process opened alone)."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        if queue.name == REFRESH:
            SimpleWorker.execute_job(self, job, queue)
        else:
            super().execute_job(job, queue)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # A job in this process lets the worker send no heartbeat until it ends.
        if job.origin == REFRESH:
            return SimpleWorker.get_heartbeat_ttl(self, job, working_time)
        return super().get_heartbeat_ttl(job, working_time)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        with _app_for_worker().app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        super().main_work_horse(job, queue)


# --- the embedded default: RQ's worker in this process ------------------------------------


class InlineWorker(SimpleWorker):
    """RQ's in-process worker, usable from any thread: a request thread may not install
    signal handlers, so timeouts use a timer and stop requests come from the caller."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


# One worker at a time per process: the queue is this process's, and on SQLite one writer.
_drain_lock = threading.Lock()
# Set while this thread's worker drains the queue: a job that enqueues another (a compliance
# recompute queues a rollup refresh on commit) must not wait for the lock it holds itself.
_draining = threading.local()


def run_inline(app: Flask) -> None:
    """Work every queued job to the end, as a burst worker would."""
    connection = _connection(app)
    with _drain_lock, app.app_context():
        _draining.active = True
        try:
            queues = [queue(name, app) for name in QUEUES]
            InlineWorker(queues, connection=connection).work(burst=True, logging_level="WARNING")
        finally:
            _draining.active = False


def _run_inline_soon(app: Flask) -> None:
    """In a request, after its transaction has ended (see `install`); else now. A job
    enqueued by a running job waits in the queue, where this burst worker takes it next."""
    if getattr(_draining, "active", False):
        return
    if has_request_context():
        g.inline_jobs_waiting = True
    else:
        run_inline(app)


def install(app: Flask) -> None:
    """Run the request's inline jobs in its teardown, once its session is closed. Registered
    before the scope hooks, so it runs after them (teardowns run in reverse): the job sees
    only the scope and actor it carries, as in a worker."""
    if not is_inline(app):
        return

    @app.teardown_request
    def _run_waiting_jobs(_exc: BaseException | None) -> None:
        if not g.pop("inline_jobs_waiting", False):
            return
        db.session.remove()  # ends the request's transaction: the job writes on its own
        try:
            run_inline(app)
        except Exception:  # the worker records job failures; this is the worker itself
            log.exception("inline jobs could not run")

    # Not in tests: a thread that wakes every few seconds would run periodic jobs against
    # whatever database a test left behind.
    testing = app.testing or app.config.get("APP_ENV") == "testing"
    if app.config.get("EMBEDDED_SCHEDULER") and not testing:
        app.before_request(lambda: EmbeddedScheduler.start_once(app))


class EmbeddedScheduler(threading.Thread):
    """What `flask scheduler` and the worker's scheduler do in production, for the embedded
    default: each tick, enqueue the periodic jobs that fell due and the retries whose
    interval has passed, then work the queue."""

    _started: EmbeddedScheduler | None = None
    _start_lock = threading.Lock()

    def __init__(self, app: Flask) -> None:
        super().__init__(name="kexie-embedded-scheduler", daemon=True)
        self.app = app
        self.last_tick = datetime.now(UTC)

    @classmethod
    def start_once(cls, app: Flask) -> None:
        with cls._start_lock:
            if cls._started is None:
                cls._started = cls(app)
                cls._started.start()

    def run(self) -> None:
        while True:
            time.sleep(self.app.config.get("EMBEDDED_SCHEDULER_TICK", 15.0))
            try:
                self.tick(datetime.now(UTC))
            except Exception:
                log.exception("embedded scheduler tick failed")

    def tick(self, now: datetime) -> None:
        due = [p for p in SCHEDULES if croniter(p.cron, self.last_tick).get_next(datetime) <= now]
        self.last_tick = now
        with self.app.app_context():
            q = queue(app=self.app)
            for periodic in due:
                q.enqueue(run_periodic, periodic.id)
            enqueue_due_retries(q, now)
        run_inline(self.app)


def enqueue_due_retries(q: Queue, now: datetime) -> int:
    """Move the jobs whose retry interval has passed from RQ's scheduled registry back to
    the queue (what RQ's scheduler does in a worker)."""
    registry = ScheduledJobRegistry(queue=q)
    job_ids = registry.get_jobs_to_schedule(int(now.timestamp()))
    for job in Job.fetch_many(job_ids, connection=q.connection):
        if job is not None:
            registry.remove(job)
            q.enqueue_job(job)
    return len(job_ids)


def failed_count(app: Flask | None = None) -> int:
    """Jobs that failed for good, on every queue: each is a piece of work that did not happen."""
    return sum(queue(name, app).failed_job_registry.count for name in QUEUES)
