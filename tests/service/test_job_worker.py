"""`flask worker` (service.jobs.JobWorker): a refresh runs in the worker's own process, where
the connections of the refreshes before it stay open; any other job in a work horse the
worker forks, which opens a connection of its own and never uses the worker's. The worker of
production, so PostgreSQL and Redis; the app's own pool, not a test's bound connection."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from service import jobs
from tenants.db import db
from tenants.scope import peek_scope, system_scope
from tests.conftest import PG_URL, REDIS_URL

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="the production worker: PostgreSQL and Redis"
)


def where_it_ran(_label: str) -> dict:
    """A job: the process it ran in and the database session it read through."""
    return {
        "process": os.getpid(),
        "backend": db.session.scalar(sa.text("SELECT pg_backend_pid()")),
    }


def _queue_and_work(app, enqueue, label: str) -> dict:
    """Queue one job as a committed request does, let a worker drain the queues, and
    return where the job ran."""
    with app.app_context(), system_scope("a test of the worker"):
        job = enqueue(where_it_ran, label)
        db.session.commit()  # a job is queued once its caller's transaction commits
    queues = [jobs.queue(name, app) for name in jobs.QUEUES]
    with app.app_context():
        jobs.JobWorker(queues, connection=queues[0].connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    return job.return_value()


def test_a_refresh_runs_in_the_worker_and_any_other_job_in_a_horse(app, monkeypatch):
    monkeypatch.setattr(jobs, "_worker_app", app)  # as `flask worker` does (jobs.serve)
    for name in jobs.QUEUES:
        jobs.queue(name, app).empty()

    first = _queue_and_work(app, jobs.enqueue_refresh, "a rollup refresh")
    assert first["process"] == os.getpid()

    horse = _queue_and_work(app, jobs.enqueue, "an import")
    assert horse["process"] != os.getpid()
    # The horse inherited the pool holding the refresh's connection, and used one of its own.
    assert horse["backend"] != first["backend"]

    # The worker's connection outlived the horse: the next refresh reads through it again.
    second = _queue_and_work(app, jobs.enqueue_refresh, "the next refresh")
    assert second == first
    assert peek_scope() is None  # a job's scope ended with it
