"""`flask worker` (service.jobs.JobWorker): a refresh runs in the worker's own process, where
the connections of the refreshes before it stay open; any other job in a work horse the
worker forks, which opens a connection of its own and never uses the worker's. A refresh
waits a moment before a worker may take it, and the writes of that moment share it; the
requests that queue jobs share their process's connections to Redis. The worker of
production, so PostgreSQL and Redis; the app's own pool, not a test's bound connection."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from service import create_app, jobs
from tenants.db import db
from tenants.scope import peek_scope, system_scope
from tests.conftest import PG_URL, REDIS_URL

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="the production worker: PostgreSQL and Redis"
)


def where_it_ran(_label: str) -> dict:
    """A job: the process it ran in, the database session it read through, and the
    database's sessions open then."""
    alive = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    return {
        "process": os.getpid(),
        "backend": db.session.scalar(sa.text("SELECT pg_backend_pid()")),
        "alive": set(db.session.scalars(sa.text(alive))),
    }


RAN: list[str] = []


def note(label: str) -> None:
    RAN.append(label)


def _work(app, with_scheduler: bool = False) -> None:
    """A worker's turn: the scheduler's (due delayed jobs onto their queues), then the queues'."""
    queues = [jobs.queue(name, app) for name in jobs.QUEUES]
    with app.app_context():
        worker = jobs.JobWorker(queues, connection=queues[0].connection)
        worker.work(burst=True, with_scheduler=with_scheduler)


def _nothing_waiting(app) -> None:
    redis = jobs.queue(jobs.DEFAULT, app).connection
    for name in jobs.QUEUES:
        queue = jobs.queue(name, app)
        queue.empty()
        scheduled = ScheduledJobRegistry(queue=queue)
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        # A worker another test killed leaves its scheduler's lock for a minute, and a
        # burst worker's scheduler then moves nothing.
        redis.delete(RQScheduler.get_locking_key(name))
    for pending in redis.scan_iter("kexie:pending:*"):
        redis.delete(pending)


@pytest.fixture
def worker_app(app, monkeypatch):
    """The app of a worker process: the suite's database and Redis, a pool of its own."""
    keys = ("APP_ENV", "SQLALCHEMY_DATABASE_URI", "MIGRATION_DATABASE_URL", "REDIS_URL")
    worker = create_app({**{key: app.config[key] for key in keys}, "REFRESH_DELAY_SECONDS": 0})
    monkeypatch.setattr(jobs, "_worker_app", worker)  # as `flask worker` does (jobs.serve)
    _nothing_waiting(worker)
    yield worker
    _nothing_waiting(worker)
    with worker.app_context():
        db.engine.dispose()


def _queued(app, enqueue, func, label: str):
    """One job queued as a request that commits a write queues it."""
    with app.app_context(), system_scope("a test of the worker"):
        job = enqueue(func, label)
        db.session.commit()  # a job is queued once its caller's transaction commits
    return job


def _queue_and_work(app, enqueue, label: str) -> dict:
    """Queue one job as a committed request does, let a worker drain the queues, and
    return where the job ran."""
    job = _queued(app, enqueue, where_it_ran, label)
    _work(app)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    return job.return_value()


def test_a_refresh_runs_in_the_worker_and_any_other_job_in_a_horse(worker_app):
    app = worker_app
    first = _queue_and_work(app, jobs.enqueue_refresh, "a rollup refresh")
    assert first["process"] == os.getpid()

    horse = _queue_and_work(app, jobs.enqueue, "an import")
    assert horse["process"] != os.getpid()
    # The horse inherited the pool holding the refresh's connection, and used one of its own.
    assert horse["backend"] != first["backend"]

    # The worker's connection outlived the horse, which left it open on the server: the
    # next refresh reads through it again.
    second = _queue_and_work(app, jobs.enqueue_refresh, "the next refresh")
    assert second["process"] == os.getpid() and second["backend"] == first["backend"]
    assert first["backend"] in second["alive"]
    assert peek_scope() is None  # a job's scope ended with it


def test_the_writes_of_a_moment_share_one_refresh_that_waits_for_them(worker_app, monkeypatch):
    app, RAN[:] = worker_app, []
    monkeypatch.setitem(app.config, "REFRESH_DELAY_SECONDS", 2)
    for _write in range(3):  # three requests, each committing a write that asks for it
        _queued(app, jobs.enqueue_refresh, note, "rollups")
    asked = time.monotonic()  # the refresh is due 2 s after the first commit, before this
    refreshes = jobs.queue(jobs.REFRESH, app)
    assert refreshes.count == 0 and len(ScheduledJobRegistry(queue=refreshes)) == 1

    _work(app, with_scheduler=True)
    assert RAN == []  # not yet: the moment's writes may still come

    time.sleep(max(0.0, asked + 2.1 - time.monotonic()))
    _work(app, with_scheduler=True)
    assert RAN == ["rollups"]
    # It has run: the next write asks for a refresh of its own, which waits in its turn.
    _queued(app, jobs.enqueue_refresh, note, "rollups")
    assert len(ScheduledJobRegistry(queue=refreshes)) == 1


def test_requests_that_queue_jobs_share_their_processs_connections_to_redis(worker_app):
    app = worker_app
    server = jobs.queue(jobs.DEFAULT, app).connection
    opened = server.info("stats")["total_connections_received"]
    for write in range(20):  # twenty requests, each queueing a job as its write commits
        _queued(app, jobs.enqueue, note, f"import {write}")
    assert jobs.queue(jobs.DEFAULT, app).count == 20
    # A client per queue opened a connection for each (21 here before that was fixed).
    assert server.info("stats")["total_connections_received"] - opened <= 3
