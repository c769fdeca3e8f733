"""Jobs carry ids and the caller's scope; the worker restores that scope. Inline (fake
Redis) by default, a real Redis and a real RQ worker when TEST_REDIS_URL is set."""

import threading

import pytest
import sqlalchemy as sa

from service import jobs
from service.associations.models import AssociationProfile
from tenants.db import db
from tenants.scope import Scope, current_scope, use_scope
from tests.conftest import REDIS_URL, run_queued_jobs


def visible_profiles(label: str) -> dict:
    """A job: what the worker's scope sees."""
    tenants = sorted(db.session.scalars(sa.select(AssociationProfile.tenant_id)))
    return {"label": label, "scope": current_scope().kind.value, "tenants": tenants}


def _run(job):
    run_queued_jobs()  # a real worker loop, in burst mode, when there is a real Redis
    if REDIS_URL:
        job.refresh()
    return job.return_value()


def test_the_worker_restores_the_callers_scope(app, world):
    own = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(own)):
        job = jobs.enqueue(visible_profiles, "first")
    assert _run(job) == {"label": "first", "scope": "association", "tenants": [own]}


def test_a_federation_job_sees_the_federation(app, world):
    with app.test_request_context(), use_scope(Scope.federation(world.b.federation.id)):
        job = jobs.enqueue(visible_profiles, "fed")
    expected = sorted([world.b.first.association.id, world.b.second.association.id])
    assert _run(job)["tenants"] == expected


def test_job_arguments_must_be_ids(app, world):
    scope = Scope.association(world.a.first.association.id)
    with app.test_request_context(), use_scope(scope), pytest.raises(TypeError, match="ids"):
        jobs.enqueue(visible_profiles, world.a.first.association)


def test_enqueue_needs_a_scope(app, world):
    from tenants.scope import NoScope

    with app.test_request_context(), pytest.raises(NoScope):
        jobs.enqueue(visible_profiles, "none")


def test_every_schedule_is_registered_with_its_cron_and_id(app):
    from fakeredis import FakeRedis

    registered = {(job.name, job.cron) for job in jobs.cron_scheduler(FakeRedis()).get_jobs()}
    assert registered == {(p.id, p.cron) for p in jobs.SCHEDULES}


def test_a_scheduled_job_runs_its_function_over_every_association(app, world):
    assert jobs.run_periodic("compliance-daily") >= 4  # the world's four associations


def enqueues_another(label: str) -> str:
    """A job that queues a job when it commits, as a compliance recompute queues a rollup
    refresh: the id of the job it queued."""
    return jobs.enqueue(visible_profiles, label).id


@pytest.mark.skipif(bool(REDIS_URL), reason="the in-process worker of the embedded default")
def test_a_job_that_queues_a_job_outside_a_request_runs_both(app, world):
    """The embedded scheduler and `flask jobs run` work the queue outside a request. A job
    queued by a running job waits for the worker that runs it, which must not wait for
    itself (it did: the daily recompute hung the scheduler and then every request)."""
    from rq.job import Job

    own = world.a.first.association.id
    outcome = {}

    def scheduler_thread():
        with app.app_context(), use_scope(Scope.association(own)):
            outcome["outer"] = jobs.enqueue(enqueues_another, "inner")

    thread = threading.Thread(target=scheduler_thread, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the in-process worker waits for itself"
    inner = Job.fetch(outcome["outer"].return_value(), connection=jobs.queue(app=app).connection)
    assert inner.return_value() == {"label": "inner", "scope": "association", "tenants": [own]}
