"""The embedded default's jobs behave as queued ones: they run after the request, on their
own session; a failed one is retried after its interval; the last failure runs the give-up
hook; periodic jobs come round at their cron times. (Through a running server process, the
workflows themselves are proven in tests/live/.)"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g
from rq import Retry
from rq.job import JobStatus

from service import jobs
from service.members.models import Member
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.skipif(bool(REDIS_URL), reason="inline jobs only run without Redis")

CALLS: list[str] = []
REQUEST_SESSION: dict = {}


def note(label: str) -> str:
    """A job: remember that it ran, on which session, and whether the request's
    transaction was still open then."""
    request_session = REQUEST_SESSION["session"]
    own = db.session() is not request_session
    ended = not request_session.in_transaction()
    CALLS.append(f"{label}: own session {own}, request transaction ended {ended}")
    return label


def fail_first(label: str) -> str:
    """A job that fails on its first attempt only."""
    CALLS.append(label)
    if CALLS.count(label) == 1:
        raise RuntimeError("first attempt fails")
    return "second attempt"


def always_fail(label: str) -> str:
    CALLS.append(label)
    raise RuntimeError("never works")


def gave_up(label: str, reason: str) -> None:
    CALLS.append(f"gave up {label}: {reason}")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _tick(app, seconds_later: float) -> None:
    scheduler = jobs.EmbeddedScheduler(app)
    scheduler.last_tick = datetime.now(UTC)
    scheduler.tick(datetime.now(UTC) + timedelta(seconds=seconds_later))


def _end_request(app, status: int) -> None:
    """What Flask does once the view has answered: the unit of work's boundary."""
    app.process_response(app.response_class(status=status))


def test_a_job_enqueued_in_a_request_runs_after_the_request_has_ended(app, world):
    with app.test_request_context(), use_scope(Scope.association(world.a.first.association.id)):
        db.session.execute(sa.select(Member.id)).all()  # the request reads: a transaction
        REQUEST_SESSION["session"] = db.session()
        job = jobs.enqueue(note, "compile")
        assert job.id not in jobs.queue().job_ids, "queued before the request's commit"
        _end_request(app, 200)
        assert job.id in jobs.queue().job_ids
        assert CALLS == [], "the job ran inside the request"
        assert g.inline_jobs_waiting
    assert CALLS == ["compile: own session True, request transaction ended True"]
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_refused_request_queues_nothing(app, world):
    with app.test_request_context(), use_scope(Scope.association(world.a.first.association.id)):
        db.session.execute(sa.select(Member.id)).all()
        REQUEST_SESSION["session"] = db.session()
        job = jobs.enqueue(note, "compile")
        _end_request(app, 409)
        assert not g.get("inline_jobs_waiting")
    assert CALLS == []
    assert job.id not in jobs.queue().job_ids


def add_member(name: str) -> None:
    """A job that writes and leaves the flush to its commit."""
    db.session.add(Member(name=name, phone="13700009999", title="intermediate"))


def test_a_job_s_writes_are_committed_under_its_scope(app, world):
    association = world.a.first.association
    with app.test_request_context(), use_scope(Scope.association(association.id)):
        job = jobs.enqueue(add_member, "作业写入")
        _end_request(app, 200)
    assert job.get_status(refresh=True) == JobStatus.FINISHED, job.exc_info
    with use_scope(Scope.association(association.id)):
        added = db.session.scalars(sa.select(Member).where(Member.name == "作业写入")).all()
    assert [m.tenant_id for m in added] == [association.id]


def test_a_failed_job_is_retried_after_its_interval_not_before(app, world):
    with app.test_request_context(), use_scope(Scope.association(world.a.first.association.id)):
        job = jobs.enqueue(fail_first, "push", retry=Retry(max=1, interval=[30]))
    assert CALLS == ["push"]
    assert job.get_status(refresh=True) == JobStatus.SCHEDULED
    _tick(app, 5)
    assert CALLS == ["push"], "retried before its interval had passed"
    _tick(app, 31)
    assert CALLS == ["push", "push"]
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_the_give_up_hook_runs_once_after_the_last_attempt(app, world):
    with app.test_request_context(), use_scope(Scope.association(world.a.first.association.id)):
        job = jobs.enqueue(
            always_fail, "compile", retry=Retry(max=1, interval=[1]), on_give_up=gave_up
        )
    assert CALLS == ["compile"], "gave up with a retry left"
    _tick(app, 2)
    assert CALLS == ["compile", "compile", "gave up compile: RuntimeError: never works"]
    assert job.get_status(refresh=True) == JobStatus.FAILED


def test_periodic_jobs_are_enqueued_when_their_time_comes(app, monkeypatch):
    monkeypatch.setattr(
        jobs, "SCHEDULES", (jobs.Periodic("note", "*/10 * * * *", f"{__name__}:periodic_note"),)
    )
    scheduler = jobs.EmbeddedScheduler(app)
    scheduler.last_tick = datetime(2026, 11, 29, 18, 1, tzinfo=UTC)
    scheduler.tick(datetime(2026, 11, 29, 18, 9, tzinfo=UTC))
    assert CALLS == []
    scheduler.tick(datetime(2026, 11, 29, 18, 10, 5, tzinfo=UTC))
    assert CALLS == ["periodic"]


def periodic_note() -> None:
    CALLS.append("periodic")


def test_threads_using_the_queue_first_at_once_share_one_queue(app):
    """A request enqueueing as the embedded scheduler's first tick reads the queue: both
    must reach the same in-process Redis, or the job goes where no worker looks."""
    app.extensions.pop("kexie_jobs", None)
    start = threading.Barrier(8)
    seen: list[int] = []

    def first_use() -> None:
        start.wait()
        seen.append(id(jobs.queue(app=app).connection))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1, f"{len(set(seen))} separate queues"
