"""Shared fixtures: one migrated database per run, a rolled-back transaction per test.

SQLite by default; PostgreSQL when TEST_DATABASE_URL points at a server where we may create
databases and roles (a fresh database, an owner role for migrations and a NOBYPASSRLS app
role for the service are made for the run and dropped after it).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from service import create_app
from tenants import rls
from tenants.db import Session, db
from tenants.scope import system_scope
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


ROLES_SQL = Path(__file__).resolve().parents[1] / "deploy/postgres/roles.sql"


def _roles_sql(owner: str, app_role: str, name: str) -> tuple[list[str], list[str]]:
    """deploy/postgres/roles.sql with this run's names: (cluster statements, database ones)."""
    text = ROLES_SQL.read_text()
    scope_roles = [(f"kexie_{kind}", role) for kind, role in rls.scope_roles(name).items()]
    for old, new in (
        *scope_roles,
        ("kexie_owner", owner),
        ("kexie_app", app_role),
        ("kexie", name),
    ):
        text = re.sub(rf"\b{old}\b", new, text)
    cluster, database = text.split("-- @database", 1)

    def statements(part: str) -> list[str]:
        lines = [ln for ln in part.splitlines() if not ln.startswith(("--", "\\"))]
        return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

    return statements(cluster), statements(database.split("\n", 1)[1])


def _pg_databases(admin_url: str) -> Iterator[tuple[str, str]]:
    suffix = secrets.token_hex(4)
    name, owner, app_role = f"kexie_test_{suffix}", f"kexie_owner_{suffix}", f"kexie_app_{suffix}"
    cluster, database = _roles_sql(owner, app_role, name)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        for statement in cluster:
            c.exec_driver_sql(statement)
    base = sa.make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    owner_url = base.set(username=owner, password=None)
    app_url = base.set(username=app_role, password=None)
    with sa.create_engine(owner_url, poolclass=sa.pool.NullPool).begin() as c:
        for statement in database:
            c.exec_driver_sql(statement)
    try:
        yield (
            app_url.render_as_string(hide_password=False),
            owner_url.render_as_string(hide_password=False),
        )
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            c.exec_driver_sql(f"DROP ROLE IF EXISTS {app_role}")
            for role in rls.scope_roles(name).values():
                c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            c.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(app role URL, owner URL) of a fresh database for this run."""
    if PG_URL:
        yield from _pg_databases(PG_URL)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        yield url, url


@pytest.fixture(scope="session")
def app(database_urls):
    app_url, owner_url = database_urls
    app = create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
            # A test drains the queues when it likes; test_job_worker has the delay.
            "REFRESH_DELAY_SECONDS": 0,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            # Sent mail stays in memory (Flask-Mailman's locmem); see the `outbox` fixture.
            "MAIL_BACKEND": "locmem",
        }
    )
    app.test_client_class = CsrfClient
    with app.app_context():
        flask_migrate.upgrade()
    return app


@contextmanager
def _session_on(connection: sa.Connection) -> Iterator:
    """db.session bound to `connection`: requests get their own sessions on it, each inside
    a SAVEPOINT."""
    original = db.session
    db.session = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": Session}
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture
def db_session(request, app):
    """Every test in one outer transaction, rolled back at the end. A test that uses the
    world runs in a SAVEPOINT on the module's world connection instead (see `world`)."""
    with app.app_context():
        if "world" in request.fixturenames:
            connection = request.getfixturevalue("_module_world").connection()
            savepoint = connection.begin_nested()
            try:
                with _session_on(connection) as session:
                    yield session
            finally:
                if savepoint.is_active:
                    savepoint.rollback()
            return
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            with _session_on(connection) as session:
                yield session
        finally:
            outer.rollback()
            connection.close()


def run_queued_jobs() -> None:
    """With a real Redis, work the queue as a worker would; inline jobs have run already."""
    if REDIS_URL:
        from rq import SimpleWorker

        from service.jobs import QUEUES, queue

        queues = [queue(name) for name in QUEUES]
        SimpleWorker(queues, connection=queues[0].connection).work(burst=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    from service.auth import token_cache
    from service.extensions import limiter

    if not limiter.enabled and app.config.get("RATELIMIT_ENABLED", True):
        # The limiter is one object for every app: an app another module made with its
        # limiter off (test_round_trips, test_token_cache) turned it off for this one too.
        limiter.init_app(app)
    limiter.reset()
    # Each test starts with no token known: a test that changes a token behind the
    # service's back (an expiry moved in the database) sees what a new worker would.
    token_cache.cache(app).entries.clear()
    token_cache.accounts(app).entries.clear()


def make_world(session) -> factories.World:
    with system_scope("test fixture"):
        world = factories.make_world()
        session.flush()
        # Detached with their attributes loaded: tests read ids and names without a query
        # (which would need a scope) and every request loads its own copies.
        session.expunge_all()
        session.commit()
    return world


class HeldWorld:
    """A module's world, uncommitted in a connection of its own: built when the first test
    asks for it, rolled back at the end of the module, or as soon as a test that does not
    use it comes (that test sees an empty database and, on SQLite, may write)."""

    held: HeldWorld | None = None  # modules run one at a time

    def __init__(self, app, build: Callable) -> None:
        self.app, self.build = app, build
        self.world: factories.World | None = None
        self._connection: sa.Connection | None = None
        self._outer: sa.Transaction | None = None

    def connection(self) -> sa.Connection:
        if self._connection is None:
            self._connection = db.engine.connect()
            self._outer = self._connection.begin()
            with _session_on(self._connection) as session:
                self.world = self.build(session)
            HeldWorld.held = self
        return self._connection

    def release(self) -> None:
        if self._connection is not None:
            with self.app.app_context():
                self._outer.rollback()
                self._connection.close()
            self._connection = self._outer = self.world = None
        if HeldWorld.held is self:
            HeldWorld.held = None


@pytest.fixture(scope="module")
def build_world() -> Callable:
    """How the module's world is made from a session; a module may override it."""
    return make_world


@pytest.fixture(scope="module")
def _module_world(app, build_world) -> Iterator[HeldWorld]:
    held = HeldWorld(app, build_world)
    yield held
    held.release()


@pytest.fixture(autouse=True)
def _no_world_for_others(request) -> None:
    if HeldWorld.held is not None and "world" not in request.fixturenames:
        HeldWorld.held.release()


@pytest.fixture
def world(db_session, _module_world) -> factories.World:
    """Two federations with two associations each, every role in each. Built once per
    module (it is the costliest fixture); each test runs in a SAVEPOINT rolled back after
    it, so the world is the same at the start of every test."""
    return _module_world.world


@pytest.fixture
def outbox(app, monkeypatch) -> list:
    """Mail configured (an SMTP relay named): what is sent, in order, as Flask-Mailman's
    messages (`.to`, `.subject`, `.body`). Without this fixture no relay is configured."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.edu.cn")
    sent: list = []
    monkeypatch.setattr(app.extensions["mailman"], "outbox", sent, raising=False)
    return sent


@pytest.fixture
def client(app, db_session) -> FlaskClient:
    return app.test_client()


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


class CsrfClient(FlaskClient):
    """A test client that sends the CSRF token a browser would: read from a form page."""

    csrf = True

    def csrf_token(self) -> str:
        page = self.open("/login", method="GET").get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, "no CSRF token on the login page"
        return match.group(1) or match.group(2)

    def open(self, *args, **kwargs):
        method = kwargs.get("method", "GET").upper()
        path = args[0] if args and isinstance(args[0], str) else ""
        if self.csrf and method == "POST" and not path.startswith("/api/"):
            data = kwargs.get("data") or {}
            if isinstance(data, dict) and "csrf_token" not in data:
                kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        # Each request gets its own app context, as in production. Flask would otherwise
        # reuse the test's context, and with it `g` (the signed-in user, the CSRF token)
        # and the database session, across requests and clients.
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)

    def login_as(self, user) -> CsrfClient:
        """Sign in the way flask-login remembers a user, without the password round trip."""
        with self.session_transaction() as session:
            session["_user_id"] = user.session_token
            session["_fresh"] = True
        return self
