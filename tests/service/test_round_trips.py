"""A token-authenticated read of one member costs one round trip to PostgreSQL (at most
three, the issue asked), counted on the wire (tests/wire.py); a write begins its transaction
with its first write; and PostgreSQL dropping the service's connections fails no request
(no ping before every checkout: tenants/roundtrips.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from service import create_app
from service.auth import token_cache
from service.auth.models import TokenLevel
from tenants.db import db
from tenants.scope import system_scope
from tests import factories
from tests.conftest import PG_URL, REDIS_URL, _pg_databases
from tests.wire import WireProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="round trips are counted on PostgreSQL"),
]


@dataclass
class Served:
    app: Flask  # through the counting proxy
    direct: Flask  # straight to PostgreSQL
    proxy: WireProxy
    app_role: str
    member_id: int
    header: dict[str, str]
    write_header: dict[str, str]


def _app(database_url: str, owner_url: str) -> Flask:
    return create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False,
        }
    )


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """A database of its own, with committed rows: a request here begins and ends its
    own transactions on pooled connections, as in production."""
    databases = _pg_databases(PG_URL)
    app_url, owner_url = next(databases)
    target = sa.make_url(PG_URL)
    proxy = WireProxy(target.host or "127.0.0.1", target.port or 5432)
    app, direct = _app(proxy.url(app_url), owner_url), _app(app_url, owner_url)
    try:
        with app.app_context():
            flask_migrate.upgrade()
            with system_scope("test: committed rows"):
                association = factories.make_association(factories.make_federation())
                member = factories.make_member(association)
                _token, plaintext = factories.make_token(
                    TokenLevel.ASSOCIATION, association=association
                )
                _token, writer = factories.make_token(
                    TokenLevel.ASSOCIATION, association=association, read_only=False
                )
                member_id = member.id
                db.session.commit()
        yield Served(
            app,
            direct,
            proxy,
            sa.make_url(app_url).username,
            member_id,
            {"Authorization": f"Bearer {plaintext}"},
            {"Authorization": f"Bearer {writer}"},
        )
    finally:
        for each in (app, direct):
            with each.app_context():
                db.engine.dispose()
        databases.close()


def _get(app: Flask, served: Served):
    return app.test_client().get(f"/api/v1/members/{served.member_id}", headers=served.header)


def test_no_ping_before_every_checkout(served):
    assert served.app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


def test_a_token_read_of_one_member_takes_at_most_three_round_trips(served):
    for _ in range(8):  # connected, token known, past psycopg's prepare threshold
        assert _get(served.app, served).status_code == 200
    with served.proxy.count() as wire:
        response = _get(served.app, served)
    assert response.status_code == 200
    assert response.json["id"] == served.member_id
    # The RLS settings and the member in one pipeline, one transaction ended by its Sync:
    # no BEGIN, no COMMIT.
    assert wire.round_trips <= 3, wire.bursts
    assert wire.round_trips == 1, wire.bursts
    assert sum("set_config" in s for s in wire.statements) == 1, wire.bursts
    assert not {"BEGIN", "COMMIT", "ROLLBACK"} & set(wire.statements), wire.bursts


def test_a_read_run_often_is_not_planned_again(served):
    """psycopg prepares a statement past its fifth run on a connection and keeps it while no
    ROLLBACK comes: the server plans the member's SELECT and the settings no more. A read of
    one statement that is refused (404) has no transaction to roll back, and forgets
    nothing."""
    for _ in range(8):
        assert _get(served.app, served).status_code == 200
    with served.proxy.count() as wire:
        assert _get(served.app, served).status_code == 200
    assert any("FROM member" in s for s in wire.statements)
    assert wire.parsed == [], wire.bursts

    client = served.app.test_client()
    assert client.get("/api/v1/members/0", headers=served.header).status_code == 404
    with served.proxy.count() as wire:
        assert _get(served.app, served).status_code == 200
    assert wire.parsed == [], wire.bursts


def test_a_write_is_in_the_transaction_that_commit_ends(served):
    """A PATCH reads the member alone; its next statement goes after BEGIN and the
    settings, and its UPDATE (with the audit row) is in the transaction that COMMIT ends.
    A write refused before it writes (a phone that is not one) sends no BEGIN at all."""
    client = served.app.test_client()
    path = f"/api/v1/members/{served.member_id}"
    with served.proxy.count() as wire:
        changed = client.patch(path, headers=served.write_header, json={"position": "秘书长"})
    assert changed.status_code == 200, changed.json
    statements = [s.split()[0].upper() for s in wire.statements]
    begin = statements.index("BEGIN")
    assert "SELECT" in statements[:begin], wire.bursts  # the member looked up, alone
    assert statements[begin + 1 :].count("UPDATE") == 1, wire.bursts
    assert statements[-1] == "COMMIT", wire.bursts
    assert _get(served.app, served).json["position"] == "秘书长"

    with served.proxy.count() as wire:
        refused = client.patch(path, headers=served.write_header, json={"phone": "12"})
    assert refused.status_code == 422
    assert "BEGIN" not in wire.statements and "UPDATE" not in " ".join(wire.statements)


def test_an_unknown_token_costs_one_round_trip_more(served):
    assert _get(served.app, served).status_code == 200
    token_cache.cache(served.app).entries.clear()  # as a worker that has not seen it
    with served.proxy.count() as wire:
        response = _get(served.app, served)
    assert response.status_code == 200
    # The token, read alone before the scope is known (no settings); BEGIN, the settings
    # and the member; COMMIT.
    assert wire.round_trips == 3, wire.bursts


def _terminate_service_connections(served: Served) -> int:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as c:
            killed = c.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE usename = :role"
                ),
                {"role": served.app_role},
            ).scalar()
            for _ in range(50):  # terminated backends leave pg_stat_activity shortly
                left = c.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE usename = :role"),
                    {"role": served.app_role},
                ).scalar()
                if not left:
                    break
                time.sleep(0.1)
    finally:
        admin.dispose()
    return killed


def test_the_next_request_succeeds_after_postgres_drops_the_connections(served, caplog):
    caplog.set_level(logging.WARNING, logger="tenants.roundtrips")
    client = served.direct.test_client()
    for _ in range(2):  # two requests at once would hold two pooled connections
        assert _get(served.direct, served).status_code == 200
    assert _terminate_service_connections(served) >= 1
    response = client.get(f"/api/v1/members/{served.member_id}", headers=served.header)
    assert response.status_code == 200
    assert response.json["id"] == served.member_id
    # A token not known yet: the first statement is the token's, retried the same way.
    token_cache.cache(served.direct).entries.clear()
    assert _terminate_service_connections(served) >= 1
    assert _get(served.direct, served).status_code == 200
    retried = [r for r in caplog.records if "retrying on a new one" in r.getMessage()]
    assert len(retried) == 2
