"""A real RQ worker killed in the middle of a compile leaves no half-written report, and the
retried job writes the same figures with the same hash. Needs PostgreSQL and Redis
(TEST_DATABASE_URL and TEST_REDIS_URL): the worker is another process, so the data it reads
is committed in a database of its own, made and dropped here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from service import create_app, jobs
from service.reporting import jobs as reporting_jobs
from service.reporting import services
from service.reporting.models import AnnualReport, content_hash
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import Scope, system_scope, use_scope
from tests.conftest import PG_URL, REDIS_URL, _pg_databases

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs TEST_DATABASE_URL and TEST_REDIS_URL"
)
ROOT = Path(__file__).resolve().parents[2]


def _seed(app) -> tuple[int, int]:
    """A federation, an association with members, an open period and a report to compile."""
    from service.members import history
    from service.members.models import Member

    with app.app_context(), system_scope("test: committed data for the worker"):
        federation = Federation(code="KILL", name="测试联合会", province="测试省")
        db.session.add(federation)
        db.session.flush()
        association = Association(federation_id=federation.id, name="测试大学科协")
        db.session.add(association)
        db.session.flush()
        for n in range(3):
            db.session.add(
                Member(tenant_id=association.id, name=f"会员{n}", phone=f"1390000000{n}")
            )
        db.session.flush()
        history.record_untracked(association.id)  # their joining, dated today
        period = services.open_period(federation.id, date.today().year, date.today(), "test")
        report = services.start_compile(association.id, period)
        db.session.commit()
        return association.id, report.id


def _report(app, association_id: int, report_id: int) -> AnnualReport:
    with app.app_context(), use_scope(Scope.association(association_id)):
        report = db.session.get(AnnualReport, report_id)
        db.session.expunge(report)
        return report


def _wait(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_killed_mid_compile_leaves_no_half_written_report():
    databases = _pg_databases(PG_URL)
    app_url, owner_url = next(databases)
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "REDIS_URL": REDIS_URL,
        }
    )
    owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    worker = None
    try:
        with app.app_context():
            flask_migrate.upgrade()
        association_id, report_id = _seed(app)
        # Hold the members' dated history, which the members' count reads: the worker's
        # compile blocks there, after it has begun.
        blocker = owner.connect()
        blocked = blocker.begin()
        blocker.exec_driver_sql("LOCK TABLE member_status_change IN ACCESS EXCLUSIVE MODE")
        with app.app_context(), use_scope(Scope.association(association_id)):
            jobs.enqueue(reporting_jobs.compile_report, report_id)
        env = {**os.environ, "DATABASE_URL": app_url, "REDIS_URL": REDIS_URL, "APP_ENV": "testing"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "service", "worker"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with owner.connect() as watcher:
            waiting = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            assert _wait(lambda: watcher.execute(waiting).scalar() > 0), "the compile never began"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, at once
        worker.wait()
        blocked.rollback()
        blocker.close()

        killed = _report(app, association_id, report_id)
        assert killed.status == "compiling" and killed.figures is None

        # RQ runs the job again (it is enqueued with retries); so do we, twice.
        with app.app_context(), use_scope(Scope.association(association_id)):
            assert reporting_jobs.compile_report(report_id) == "compiled"
            db.session.commit()  # as the worker does when the job returns
        first = _report(app, association_id, report_id)
        assert first.figures["ORG02"] == 3 and first.figures_hash == content_hash(first.figures)
        with app.app_context(), use_scope(Scope.association(association_id)):
            db.session.get(AnnualReport, report_id).status = "compiling"
            db.session.commit()
            reporting_jobs.compile_report(report_id)
            db.session.commit()
        assert _report(app, association_id, report_id).figures_hash == first.figures_hash
    finally:
        if worker and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        with app.app_context():
            db.engine.dispose()
        owner.dispose()
        databases.close()  # drops the database and its roles
