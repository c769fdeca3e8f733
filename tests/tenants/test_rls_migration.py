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
