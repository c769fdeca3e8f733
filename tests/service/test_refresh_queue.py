"""Refreshes of derived figures (rollups, compliance findings) wait on a queue of their own,
behind a clerk's import or compile; one asked for again before it has started is queued
once. Inline (SQLite) and with a real Redis alike: the worker here is the in-process one
that drains every queue in order, as `flask worker` does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service import jobs
from service.members.models import Member
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import REDIS_URL

RAN: list[str] = []


def note(label: str) -> str:
    RAN.append(label)
    return label


def _request_queueing(app, association_id: int, *calls, work: bool = True) -> None:
    """One request that reads, queues `calls` ((enqueue function, label) pairs) and commits;
    then a worker's turn (inline, the jobs have run in the request's teardown already)."""
    with app.test_request_context(), use_scope(Scope.association(association_id)):
        db.session.execute(sa.select(Member.id)).all()
        for enqueue, label in calls:
            enqueue(note, label)
        app.process_response(app.response_class(status=200))
    if REDIS_URL and work:
        jobs.run_inline(app)


def test_a_clerks_job_goes_before_the_refreshes_queued_ahead_of_it(app, world):
    RAN.clear()
    _request_queueing(
        app,
        world.a.first.association.id,
        (jobs.enqueue_refresh, "rollups of 1"),
        (jobs.enqueue_refresh, "rollups of 2"),
        (jobs.enqueue, "member import"),
    )
    assert RAN == ["member import", "rollups of 1", "rollups of 2"]


def test_a_refresh_asked_for_again_before_it_starts_runs_once(app, world):
    RAN.clear()
    association_id = world.a.first.association.id
    _request_queueing(
        app,
        association_id,
        (jobs.enqueue_refresh, "rollups"),
        (jobs.enqueue_refresh, "rollups"),
        (jobs.enqueue_refresh, "findings"),
        (jobs.enqueue_refresh, "rollups"),
    )
    assert RAN == ["rollups", "findings"]
    # Once it has started, a later write queues it again: it reads what the first may not.
    _request_queueing(app, association_id, (jobs.enqueue_refresh, "rollups"))
    assert RAN == ["rollups", "findings", "rollups"]


@pytest.mark.skipif(not REDIS_URL, reason="inline, each request's jobs run as it ends")
def test_requests_before_the_worker_comes_share_the_refresh_of_their_scope(app, world):
    RAN.clear()
    first, second = world.a.first.association.id, world.a.second.association.id
    for association_id in (first, first, second, first):
        _request_queueing(app, association_id, (jobs.enqueue_refresh, "rollups"), work=False)
    jobs.run_inline(app)
    assert RAN == ["rollups", "rollups"]  # the first association's, then the second's


def test_a_refresh_that_could_not_be_queued_does_not_stand_for_the_next(app, world, monkeypatch):
    """Redis failing between the mark and the push: the commit stands, nothing is queued,
    and the next write's refresh is queued rather than skipped for the mark's ten minutes."""
    from redis.exceptions import RedisError
    from rq import Queue

    RAN.clear()
    association_id = world.a.first.association.id
    push = Queue.enqueue_job

    def fails(self, job, *args, **kwargs):
        raise RedisError("connection reset")

    monkeypatch.setattr(Queue, "enqueue_job", fails)
    _request_queueing(app, association_id, (jobs.enqueue_refresh, "rollups"))
    assert RAN == []
    monkeypatch.setattr(Queue, "enqueue_job", push)
    _request_queueing(app, association_id, (jobs.enqueue_refresh, "rollups"))
    assert RAN == ["rollups"]
