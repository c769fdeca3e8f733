"""A PostgreSQL database at a given scale for one benchmark: made with the roles of
deploy/postgres/roles.sql (as the test suite does), migrated by the owner, filled by
`service.scale` over COPY as the superuser, and dropped afterwards."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from service import create_app, scale
from service.auth import services as auth
from service.auth.models import TokenLevel
from service.members.models import Member
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope
from tests.conftest import _pg_databases

ADMIN_URL = os.environ.get("TEST_DATABASE_URL")
# The scale of the province-level benchmarks: `BENCH_SCALE=nation make bench` for the nation.
BENCH_SCALE_NAME = os.environ.get("BENCH_SCALE", "province")
BENCH_SCALE = scale.SCALES[BENCH_SCALE_NAME]
# The measured association has this many members at every scale, so scales compare.
TENANT_SIZE = 2000


def needs_postgres() -> None:
    if not ADMIN_URL:
        pytest.skip("scale benchmarks run on PostgreSQL: set TEST_DATABASE_URL (make bench does)")
    try:
        sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool).connect().close()
    except sa.exc.OperationalError as error:
        pytest.skip(f"no PostgreSQL at TEST_DATABASE_URL: {error.orig}")


@dataclass
class ScaleDb:
    app: Flask  # the service, connected as the NOBYPASSRLS app role
    app_url: str
    superuser_url: str
    report: scale.Report
    association_id: int
    member_id: int
    token: str  # a read token of the measured association
    federation_id: int  # the measured association's federation
    federation_token: str  # a read token of that federation


def service_app(database_url: str) -> Flask:
    return create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MIGRATION_DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False,
        }
    )


@contextlib.contextmanager
def scale_database(chosen: scale.Scale, seed: int = 1) -> Iterator[ScaleDb]:
    needs_postgres()
    databases = _pg_databases(ADMIN_URL)
    app_url, owner_url = next(databases)
    try:
        with service_app(owner_url).app_context():
            flask_migrate.upgrade()
        superuser_url = (
            sa.make_url(owner_url)
            .set(username=sa.make_url(ADMIN_URL).username)
            .render_as_string(hide_password=False)
        )
        loader = service_app(superuser_url)
        with loader.app_context(), system_scope("benchmark data"):
            report = scale.generate(chosen, seed=seed, first_size=TENANT_SIZE)
            association_id = report.association_ids[0]
            plaintext = _read_token(TokenLevel.ASSOCIATION, association_id=association_id)
            federation_id = db.session.scalar(
                sa.select(Association.federation_id).where(Association.id == association_id)
            )
            federation_token = _read_token(TokenLevel.FEDERATION, federation_id=federation_id)
            member_id = db.session.scalar(
                sa.select(sa.func.min(Member.id)).where(Member.tenant_id == association_id)
            )
            db.session.commit()
            # Committed: the planner's statistics are rows of a transaction like any other,
            # and a connection closed without COMMIT took them back (the plans then guessed
            # 7 members where the association has 2,000).
            with db.engine.begin() as c:
                c.execute(sa.text("ANALYZE"))
            db.engine.dispose()
        yield ScaleDb(
            service_app(app_url),
            app_url,
            superuser_url,
            report,
            association_id,
            member_id,
            plaintext,
            federation_id,
            federation_token,
        )
    finally:
        databases.close()


def _read_token(
    level: str, association_id: int | None = None, federation_id: int | None = None
) -> str:
    """The plaintext of a read-only token for the benchmark's calls."""
    _token, plaintext = auth.create_token(
        name=f"bench-{level}",
        level=level,
        created_by=None,
        association_id=association_id,
        federation_id=federation_id,
        federation_ids=[],
        read_only=True,
    )
    return plaintext
