"""Migration 0034 on a database whose policies have the earlier form (an association's id
matched with `= ANY` of the setting's array): every tenant policy and every association's
read of its federation's shared rows now compares with `app_tenant()`, and they isolate as
before. PostgreSQL only: SQLite has no row-level security."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL, _pg_databases
from tests.service.test_round_trips import _app

pytestmark = pytest.mark.postgres

# The rules as migration 0033 left them.
EARLIER = {
    "tenant": "(SELECT app_bypass())"
    " OR tenant_id = ANY ((SELECT app_ids('app.tenant_ids'))::bigint[])"
    " OR tenant_id IN (SELECT a.id FROM association a"
    " WHERE a.federation_id = ANY ((SELECT app_ids('app.federation_ids'))::bigint[]))",
    "association": "(SELECT app_bypass())"
    " OR id = ANY ((SELECT app_ids('app.tenant_ids'))::bigint[])"
    " OR federation_id = ANY ((SELECT app_ids('app.federation_ids'))::bigint[])",
    "reads": "federation_id IN (SELECT a.federation_id FROM association a"
    " WHERE a.id = ANY ((SELECT app_ids('app.tenant_ids'))::bigint[]))",
}
POLICIES = sa.text(
    "SELECT policyname, tablename, qual, with_check FROM pg_policies"
    " WHERE policyname IN ('tenant_isolation', 'federation_association_reads')"
)


def _earlier_form(connection: sa.Connection) -> None:
    for policy, table, _qual, with_check in connection.execute(POLICIES).all():
        if policy == "federation_association_reads":
            alter = f"USING ({EARLIER['reads']})"
        else:
            rule = EARLIER["association" if table == "association" else "tenant"]
            alter = f"USING ({rule}) WITH CHECK ({'true' if with_check == 'true' else rule})"
        connection.execute(sa.text(f"ALTER POLICY {policy} ON {table} {alter}"))


def test_the_policies_compare_one_id_after_0034():
    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL")
    databases = _pg_databases(PG_URL)
    app_url, owner_url = next(databases)
    try:
        app = _app(app_url, owner_url)
        with app.app_context():
            flask_migrate.upgrade()
        owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
        with owner.begin() as c:
            _earlier_form(c)
            assert all("app_tenant" not in qual for _, _, qual, _ in c.execute(POLICIES))
            c.execute(sa.text("UPDATE alembic_version SET version_num = '0033'"))
        with app.app_context():
            flask_migrate.upgrade()
        with owner.begin() as c:
            rows = c.execute(POLICIES).all()
        owner.dispose()
        checks = {t: check for policy, t, _, check in rows if policy == "tenant_isolation"}
        assert {policy for policy, _, _, _ in rows} == {
            "tenant_isolation",
            "federation_association_reads",
        }
        assert [t for _, t, qual, _ in rows if "app_tenant()" not in qual] == []
        assert [t for _, t, qual, _ in rows if "app.tenant_ids" in qual] == []
        assert checks["audit_event"] == "true"  # the append-only log stays append-only
    finally:
        databases.close()


PUBLIC_POLICIES = sa.text(
    "SELECT policyname, count(*) FROM pg_policies WHERE roles = '{public}' GROUP BY 1"
)
SCOPE_POLICIES = sa.text(
    "SELECT count(*) FROM pg_policies WHERE policyname IN ('association_scope', 'federation_scope')"
)


def test_0035_gives_each_scope_role_its_policies_and_needs_the_roles(caplog):
    """Downgraded, one rule for every role again; upgraded with the system role missing, a
    message that says which roles to make; with them, each scope role's own policies."""
    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL")
    databases = _pg_databases(PG_URL)
    app_url, owner_url = next(databases)
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        app = _app(app_url, owner_url)
        with app.app_context():
            flask_migrate.upgrade()
        with owner.connect() as c:
            assert dict(c.execute(PUBLIC_POLICIES).all()) == {"platform_only": 1}
            upgraded = c.execute(SCOPE_POLICIES).scalar()
        with app.app_context():
            flask_migrate.downgrade(revision="0034")
        with owner.connect() as c:
            downgraded = dict(c.execute(PUBLIC_POLICIES).all())
            assert c.execute(SCOPE_POLICIES).scalar() == 0
        assert set(downgraded) == {
            "tenant_isolation",
            "federation_isolation",
            "federation_association_reads",
            "platform_only",
        }
        system = f"{sa.make_url(owner_url).database}_system"
        with admin.connect() as c:
            c.exec_driver_sql(f"ALTER ROLE {system} NOBYPASSRLS")
        with app.app_context(), pytest.raises(SystemExit):
            flask_migrate.upgrade()  # Flask-Migrate logs the migration's error and exits
        assert f"CREATE ROLE {system} NOLOGIN BYPASSRLS" in caplog.text
        with owner.connect() as c:
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0034"
        with admin.connect() as c:
            c.exec_driver_sql(f"ALTER ROLE {system} BYPASSRLS")
        with app.app_context():
            flask_migrate.upgrade()
        with owner.connect() as c:
            assert dict(c.execute(PUBLIC_POLICIES).all()) == {"platform_only": 1}
            assert c.execute(SCOPE_POLICIES).scalar() == upgraded > 0
    finally:
        owner.dispose()
        admin.dispose()
        databases.close()
