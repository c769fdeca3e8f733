"""Known API tokens and signed-in accounts are verified without the database, and a
revoked token, an ended session, a closed account or a changed role takes effect within the
stated bound on every worker: at once in the worker that made the change, at once on the
others through Redis, and within API_TOKEN_CACHE_SECONDS without Redis.

Two applications on one database stand for two gunicorn workers: each has its own
cache, as each process would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from service import create_app
from service.auth import services as auth
from service.auth import token_cache
from service.auth.models import ApiToken, TokenLevel, User
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import system_scope
from tests import factories
from tests.conftest import PG_URL, REDIS_URL, _pg_databases

BOUND = 1.0  # seconds: API_TOKEN_CACHE_SECONDS here, 5 by default


@dataclass
class Workers:
    one: Flask
    two: Flask
    token_id: int
    member_id: int
    header: dict[str, str]
    admin_id: int
    session_token: str


def _worker(url: str) -> Flask:
    return create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "MIGRATION_DATABASE_URL": url if url.startswith("sqlite") else None,
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False,
            "API_TOKEN_CACHE_SECONDS": BOUND,
        }
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(service URL, owner URL) of a database of this module's own, for committed rows."""
    if PG_URL:
        databases = _pg_databases(PG_URL)
        yield next(databases)
        databases.close()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('tokens') / 'tokens.sqlite3'}"
        yield url, url


@pytest.fixture
def workers(database) -> Iterator[Workers]:
    app_url, owner_url = database
    one, two = _worker(app_url), _worker(app_url)
    one.config["MIGRATION_DATABASE_URL"] = owner_url
    with one.app_context():
        flask_migrate.upgrade()
        with system_scope("test: committed rows"):
            association = factories.make_association(factories.make_federation())
            member = factories.make_member(association)
            token, plaintext = factories.make_token(TokenLevel.ASSOCIATION, association=association)
            admin = factories.make_user(Role.ASSOCIATION_ADMIN, association=association)
            db.session.flush()
            ids = token.id, member.id
            admin_ids = admin.id, admin.session_token
            db.session.commit()
    yield Workers(one, two, *ids, {"Authorization": f"Bearer {plaintext}"}, *admin_ids)
    for app in (one, two):
        with app.app_context():
            db.engine.dispose()


def _get(app: Flask, workers: Workers) -> int:
    client = app.test_client()
    return client.get(f"/api/v1/members/{workers.member_id}", headers=workers.header).status_code


USERS_PAGE = "/users"  # the association admin's page of accounts; staff may not open it


def _page(app: Flask, workers: Workers) -> int:
    client = app.test_client()
    with client.session_transaction() as session:  # signed in, as the admin's browser is
        session["_user_id"], session["_fresh"] = workers.session_token, True
    return client.get(USERS_PAGE).status_code


def _statements(app: Flask, request: Callable[[], int]) -> list[str]:
    """The statements `app` sent while answering `request`, which must succeed."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        assert request() == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return seen


def _token_reads(app: Flask, workers: Workers) -> int:
    """Statements on api_token during one request of `app`."""
    return sum("api_token" in s for s in _statements(app, lambda: _get(app, workers)))


def _warmed(app: Flask, workers: Workers) -> Flask:
    """`app` after a first page and a first API read (templates and statements compiled: a
    second or more on a busy machine, longer than the bound), with no token or account
    known yet."""
    assert _page(app, workers) == 200 and _get(app, workers) == 200
    token_cache.cache(app).entries.clear()
    token_cache.accounts(app).entries.clear()
    return app


def _takes_effect(workers: Workers, ask: Callable[[Flask, Workers], int], refused: int) -> None:
    """A change just committed on worker one: `ask` is answered `refused` there at once,
    on worker two at once through Redis, or within the bound without it."""
    changed = time.monotonic()
    assert ask(workers.one, workers) == refused  # at once where it was changed
    if REDIS_URL:
        assert ask(workers.two, workers) == refused  # at once everywhere, through Redis
        return
    while ask(workers.two, workers) != refused:
        assert time.monotonic() - changed < BOUND + 0.5, "the change has not reached worker two"
        time.sleep(0.05)
    assert ask(workers.two, workers) == refused


def _revoke(app: Flask, token_id: int) -> None:
    """As the token page's revoke button does: the service, then commit."""
    with app.app_context(), system_scope("test: revoke"):
        auth.revoke_token(db.session.get(ApiToken, token_id))
        db.session.commit()


def test_a_known_token_is_not_read_from_the_database(workers):
    worker = _warmed(workers.one, workers)
    assert _token_reads(worker, workers) == 1
    assert _token_reads(worker, workers) == 0


def test_a_revoked_token_stops_working_on_every_worker_within_the_bound(workers):
    for worker in (workers.one, workers.two):
        assert _get(_warmed(worker, workers), workers) == 200
        assert _token_reads(worker, workers) == 0  # known to both
    _revoke(workers.one, workers.token_id)
    _takes_effect(workers, _get, 401)


def test_the_bound_is_five_seconds_by_default(tmp_path):
    from service.config import from_environment

    assert from_environment(str(tmp_path), {})["API_TOKEN_CACHE_SECONDS"] == 5.0


# --- signed-in accounts -------------------------------------------------------------------


def _account_reads(app: Flask, workers: Workers) -> int:
    """Reads of the account by its session token (the sign-in's) in one page of `app`."""
    seen = _statements(app, lambda: _page(app, workers))
    return sum("WHERE user_account.session_token = " in s for s in seen)


def _change_account(app: Flask, workers: Workers, change) -> None:
    """As the users page and the account's own pages do: the service, then commit."""
    with app.app_context(), system_scope("test: change an account"):
        change(db.session.get(User, workers.admin_id))
        db.session.commit()


def test_a_signed_in_account_is_not_read_from_the_database_on_its_next_page(workers):
    worker = _warmed(workers.one, workers)
    assert _account_reads(worker, workers) == 1
    assert _account_reads(worker, workers) == 0


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (auth.end_sessions, 302),  # signed out everywhere: to the sign-in page
        (lambda user: auth.set_user_active(user, False), 302),  # the account closed
        (lambda user: setattr(user, "role", Role.ASSOCIATION_STAFF.value), 403),  # demoted
    ],
    ids=["sessions ended", "account closed", "role changed"],
)
def test_a_changed_account_takes_effect_on_every_worker_within_the_bound(workers, change, refused):
    for worker in (workers.one, workers.two):
        assert _page(_warmed(worker, workers), workers) == 200
        assert _account_reads(worker, workers) == 0  # known to both
    _change_account(workers.one, workers, change)
    _takes_effect(workers, _page, refused)
