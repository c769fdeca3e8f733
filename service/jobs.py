"""Background jobs: queue names in one place, enqueue with the caller's scope, run in a worker.

With no REDIS_URL (the embedded default) jobs run inline, through the same RQ code path
(serialised arguments, scope restored), on an in-process fake Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job
from werkzeug.utils import import_string

from tenants.jobs import run_scoped, scoped_call

QUEUES = ("default",)


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
    Periodic("compliance-reminders", "0 19 * * *", "service.governance.reminders:send_reminders"),
    # After the recompute, so the dashboards' rollups read today's findings.
    Periodic("federation-rollups", "30 19 * * *", "service.federation.rollups:refresh_all"),
    # Pushes to national endpoints whose backoff has passed (RQ retries them too).
    Periodic("national-push-due", "*/10 * * * *", "service.reporting.push:deliver_due"),
)
_worker_app: Flask | None = None


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached. Nothing was queued: the caller tells the user
    to try again later, rather than failing the request."""


def _connection(app: Flask):
    url = app.config.get("REDIS_URL")
    if url:
        from redis import Redis

        # Fail fast when Redis is down: the request answers "try again later" in seconds.
        return Redis.from_url(url, socket_connect_timeout=2)
    ext = app.extensions.setdefault("kexie_jobs", {})
    if "fake" not in ext:
        from fakeredis import FakeRedis

        ext["fake"] = FakeRedis()
    return ext["fake"]


def queue(name: str = "default", app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    inline = not app.config.get("REDIS_URL") or app.config.get("JOBS_INLINE", False)
    return Queue(name, connection=_connection(app), is_async=not inline)


def enqueue(func: Callable, *ids: Any, queue_name: str = "default", **job_options: Any) -> Job:
    """Run `func(*ids)` in a worker under the caller's scope. Arguments are ids only."""
    scope, path, args = scoped_call(func, *ids)
    try:
        return queue(queue_name).enqueue(run_job, scope, path, list(args), **job_options)
    except RedisError as unreachable:
        raise JobsUnavailable(str(unreachable)) from unreachable


def run_job(scope: dict, func_path: str, args: list) -> Any:
    """What the worker executes: a fresh app context (and so a fresh session), the scope
    restored, then the function."""
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context():
        return run_scoped(scope, func_path, args)


def run_periodic(periodic_id: str) -> Any:
    """What the cron scheduler enqueues: one of SCHEDULES, in a fresh app context. The
    function opens its own system scope (it crosses every tenant on purpose)."""
    periodic = next(p for p in SCHEDULES if p.id == periodic_id)
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context():
        return import_string(periodic.func.replace(":", "."))()


def cron_scheduler(connection) -> CronScheduler:
    """RQ's cron scheduler with every entry of SCHEDULES registered under its stable id."""
    scheduler = CronScheduler(connection=connection, name="kexie")
    for periodic in SCHEDULES:
        scheduler.register(
            run_periodic, "default", args=(periodic.id,), cron=periodic.cron, name=periodic.id
        )
    return scheduler


def _app_for_worker() -> Flask:
    global _worker_app
    if _worker_app is None:
        from service import create_app

        _worker_app = create_app()
    return _worker_app
