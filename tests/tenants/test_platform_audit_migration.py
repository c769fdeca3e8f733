"""Migration 0031 on a database with a mixed audit log: the events of no tenant move to the
platform's table with their ids and content, the tenants' stay, and the column is then NOT
NULL; the downgrade puts them back. On SQLite, and on PostgreSQL when the run has one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa

from tenants.db import db
from tests.conftest import PG_URL, _pg_databases
from tests.service.test_round_trips import _app

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

EVENT = sa.text(
    "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, changes,"
    " tenant_id) VALUES (:id, :at, :actor, :action, :entity, :entity_id, :changes, :tenant)"
).bindparams(sa.bindparam("changes", type_=sa.JSON))
PLATFORM_EVENT = sa.text(
    "INSERT INTO platform_audit_event (occurred_at, actor, action, entity, entity_id, changes)"
    " VALUES ('2026-11-30 10:00:00', 'cli', 'create', 'federation', '9', :changes)"
).bindparams(sa.bindparam("changes", type_=sa.JSON))

LATER = {
    "at": "2026-11-30 11:00:00",
    "actor": "user:1 admin",
    "action": "create",
    "entity": "activity",
    "entity_id": "50",
    "changes": {"note": "MK-TENANT-FIVE"},
}


@pytest.fixture(params=BACKENDS)
def database_pair(request, tmp_path) -> Iterator[tuple[str, str]]:
    """(app URL, owner URL) of an empty database of this test's own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        yield url, url
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL")
    databases = _pg_databases(PG_URL)
    try:
        yield next(databases)
    finally:
        databases.close()


def _past_the_policies(connection: sa.Connection) -> None:
    """The owner, as migrations run: past row-level security, on purpose."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))


def _events(connection: sa.Connection, table: str) -> list[tuple]:
    rows = connection.execute(
        sa.text(f"SELECT id, actor, entity_id, changes FROM {table} ORDER BY id")  # noqa: S608
    ).all()
    return [(i, actor, entity_id, _json(changes)) for i, actor, entity_id, changes in rows]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _tenant_ids(connection: sa.Connection) -> dict[int, int | None]:
    return dict(connection.execute(sa.text("SELECT id, tenant_id FROM audit_event")).all())


def test_the_platform_events_move_out_and_back(database_pair):
    app_url, owner_url = database_pair
    app = _app(app_url, owner_url)
    owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        with app.app_context():
            flask_migrate.upgrade(revision="0030")
        with owner.begin() as c:
            _past_the_policies(c)
            federation = c.execute(
                sa.text(
                    "INSERT INTO federation (code, name, province, created_at)"
                    " VALUES ('MIG31', '浙江省高校科协联合会', '浙江', '2026-01-01') RETURNING id"
                )
            ).scalar()
            tenant = c.execute(
                sa.text(
                    "INSERT INTO association (federation_id, name, status, created_at)"
                    " VALUES (:f, '浙江大学科协', 'active', '2026-01-01') RETURNING id"
                ),
                {"f": federation},
            ).scalar()
            mixed = [
                (1, tenant, "user:1 admin", "MK-TENANT-ONE"),
                (2, None, "user:2 operator", "MK-PLATFORM-TWO"),
                (3, tenant, "anonymous", "MK-TENANT-THREE"),
                (4, None, "cli", "MK-PLATFORM-FOUR"),
                (-77, None, "anonymous", "MK-PLATFORM-CONCEALED"),  # outside the sequence
            ]
            for event_id, owner_tenant, actor, marker in mixed:
                c.execute(
                    EVENT,
                    {
                        "id": event_id,
                        "at": "2026-11-29 08:00:00",
                        "actor": actor,
                        "action": "update",
                        "entity": "federation" if owner_tenant is None else "activity",
                        "entity_id": str(abs(event_id)),
                        "changes": {"note": marker},
                        "tenant": owner_tenant,
                    },
                )

        with app.app_context():
            flask_migrate.upgrade()
        with owner.begin() as c:
            _past_the_policies(c)
            assert _events(c, "platform_audit_event") == [
                (-77, "anonymous", "77", {"note": "MK-PLATFORM-CONCEALED"}),
                (2, "user:2 operator", "2", {"note": "MK-PLATFORM-TWO"}),
                (4, "cli", "4", {"note": "MK-PLATFORM-FOUR"}),
            ]
            assert _events(c, "audit_event") == [
                (1, "user:1 admin", "1", {"note": "MK-TENANT-ONE"}),
                (3, "anonymous", "3", {"note": "MK-TENANT-THREE"}),
            ]
            assert _tenant_ids(c) == {1: tenant, 3: tenant}
            # The platform's next event comes after the highest moved id, not over one.
            c.execute(PLATFORM_EVENT, {"changes": {"note": "MK-LATE"}})
            late = c.execute(sa.text("SELECT max(id) FROM platform_audit_event")).scalar()
            assert late == 5
            # A tenant's event logged since, with the id the platform's just took.
            c.execute(EVENT, {**LATER, "id": 5, "tenant": tenant})
        # No event of no tenant in the tenants' log any more.
        with pytest.raises(sa.exc.IntegrityError), owner.begin() as c:
            _past_the_policies(c)
            c.execute(EVENT, {**LATER, "id": 6, "tenant": None})
        for table in ("audit_event", "platform_audit_event"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), owner.begin() as c:
                _past_the_policies(c)
                c.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608

        with app.app_context():
            flask_migrate.downgrade(revision="0030")
        with owner.begin() as c:
            _past_the_policies(c)
            tables = sa.inspect(c).get_table_names()
            assert "platform_audit_event" not in tables
            events = {marker: (i, t) for i, t, marker in _markers(c)}
        assert events == {
            "MK-TENANT-ONE": (1, tenant),
            "MK-PLATFORM-TWO": (2, None),
            "MK-TENANT-THREE": (3, tenant),
            "MK-PLATFORM-FOUR": (4, None),
            "MK-PLATFORM-CONCEALED": (-77, None),
            "MK-TENANT-FIVE": (5, tenant),
            # its id was the tenant's event's: a new one, after the highest
            "MK-LATE": (6, None),
        }
    finally:
        owner.dispose()
        with app.app_context():
            db.engine.dispose()


def _markers(connection: sa.Connection) -> list[tuple]:
    rows = connection.execute(sa.text("SELECT id, tenant_id, changes FROM audit_event")).all()
    return [(i, t, _json(changes)["note"]) for i, t, changes in rows]
