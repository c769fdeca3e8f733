"""Locked means locked, in the database: an approved report and a locked roll-up refuse
UPDATE and DELETE by trigger on both databases, whatever SQL the service's role sends; on
PostgreSQL that role has no DELETE on these tables at all, and the owner, which keeps it, is
still refused a locked row. Unlocked rows stay workable."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session as PlainSession

from service.reporting import services as reporting
from service.reporting.models import (
    AnnualReport,
    FederationRollup,
    LockedSnapshot,
    ReportingPeriod,
)
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import system_scope
from tests.conftest import PG_URL

LOCKED = ("annual_report", "federation_rollup")


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# Plain SQL on one row of a table (the table names are this module's own constants).
SQL = {
    "update": "UPDATE {table} SET figures = '{{}}' WHERE id = :id",
    "delete": "DELETE FROM {table} WHERE id = :id",
    "count": "SELECT count(*) FROM {table} WHERE id = :id",
}


def _sql(kind: str, table: str) -> sa.TextClause:
    assert table in LOCKED
    return sa.text(SQL[kind].format(table=table))


def _raw(kind: str, table: str, row_id: int) -> int:
    """Plain SQL as the service's role (on PostgreSQL the NOBYPASSRLS app role)."""
    with system_scope("test: plain SQL on the reporting tables"), db.session.begin_nested():
        result = db.session.execute(_sql(kind, table), {"id": row_id})
        return result.scalar() if kind == "count" else result.rowcount


def _unlocked(world) -> dict[str, int]:
    """A report being compiled and a draft roll-up (the next version after the locked one)."""
    province = world.a
    with system_scope("test: unlocked report and roll-up"):
        period = reporting.open_period(province.federation.id, 2024, date(2025, 3, 31), "test")
        report = reporting.start_compile(province.first.association.id, period)
        rollup = reporting.compile_rollup(province.federation.id, 2025)
        db.session.commit()
        assert report.locked_hash is None and rollup.locked_hash is None and rollup.version == 2
        return {"annual_report": report.id, "federation_rollup": rollup.id}


def _locked(world) -> dict[str, int]:
    return {
        "annual_report": world.a.first.reports[0],
        "federation_rollup": world.a.reporting["rollup_id"],
    }


@pytest.mark.parametrize("table", LOCKED)
def test_plain_sql_cannot_update_or_delete_a_locked_row(world, table):
    row_id = _locked(world)[table]
    with pytest.raises(sa.exc.DBAPIError, match="locked"):
        _raw("update", table, row_id)
    # On PostgreSQL the app role is refused before the trigger: it may not delete at all.
    refusal = "permission denied" if _postgresql() else "locked"
    with pytest.raises(sa.exc.DBAPIError, match=refusal):
        _raw("delete", table, row_id)
    assert _raw("count", table, row_id) == 1


@pytest.mark.parametrize("table", LOCKED)
def test_an_unlocked_row_can_still_be_changed(world, table):
    row_id = _unlocked(world)[table]
    assert _raw("update", table, row_id) == 1
    if _postgresql():  # the service never deletes a report or a roll-up
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
            _raw("delete", table, row_id)
    else:
        assert _raw("delete", table, row_id) == 1


def test_the_orm_refuses_to_delete_a_locked_report_or_roll_up(world):
    locked = _locked(world)
    for model in (AnnualReport, FederationRollup):
        row_id = locked[model.__tablename__]
        with system_scope("test: ORM delete of a locked row"):
            row = db.session.get(model, row_id)
            db.session.delete(row)
            with pytest.raises(LockedSnapshot):
                db.session.flush()
            db.session.rollback()


def test_on_postgresql_only_the_owner_may_delete_and_not_a_locked_row(database_urls):
    if not PG_URL:
        pytest.skip("roles and grants are PostgreSQL's")
    app_url, owner_url = database_urls
    app_role = sa.make_url(app_url).username
    owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        with owner.connect() as connection, connection.begin() as transaction:
            for table in LOCKED:
                grants = connection.execute(
                    sa.text(
                        "SELECT has_table_privilege(:role, :table, 'DELETE'),"
                        " has_table_privilege(:role, :table, 'UPDATE'),"
                        " has_table_privilege(current_user, :table, 'DELETE')"
                    ),
                    {"role": app_role, "table": table},
                ).one()
                assert tuple(grants) == (False, True, True), table
            rows = _owner_rows(connection)
            for table in LOCKED:
                with (
                    pytest.raises(sa.exc.DBAPIError, match="locked"),
                    connection.begin_nested(),
                ):
                    connection.execute(_sql("delete", table), {"id": rows[table]["locked"]})
                deleted = connection.execute(_sql("delete", table), {"id": rows[table]["unlocked"]})
                assert deleted.rowcount == 1
            transaction.rollback()
    finally:
        owner.dispose()


def _owner_rows(connection: sa.Connection) -> dict[str, dict[str, int]]:
    """As the owner (bound by row-level security too, so it says it bypasses), rows of its
    own in this transaction: the test's world is in another, uncommitted one."""
    connection.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    session = PlainSession(bind=connection, join_transaction_mode="rollback_only")
    federation = Federation(code="OWNERTEST", name="属主测试联合会", province="属主测试省")
    session.add(federation)
    session.flush()
    association = Association(federation_id=federation.id, name="属主测试大学科协")
    period = ReportingPeriod(
        federation_id=federation.id, year=2020, deadline=date(2021, 3, 31), opened_by="test"
    )
    session.add_all([association, period])
    session.flush()
    out: dict[str, dict[str, int]] = {}
    reports = {
        state: AnnualReport(
            tenant_id=association.id,
            period_id=period.id,
            version=version,
            status="approved" if state == "locked" else "compiled",
            figures={},
            locked_hash="f" * 64 if state == "locked" else None,
        )
        for version, state in ((1, "locked"), (2, "unlocked"))
    }
    rollups = {
        state: FederationRollup(
            federation_id=federation.id,
            year=2020,
            version=version,
            locked_hash="f" * 64 if state == "locked" else None,
        )
        for version, state in ((1, "locked"), (2, "unlocked"))
    }
    session.add_all([*reports.values(), *rollups.values()])
    session.flush()
    out["annual_report"] = {state: r.id for state, r in reports.items()}
    out["federation_rollup"] = {state: r.id for state, r in rollups.items()}
    session.expunge_all()  # not closed: the rows stay in the caller's transaction
    return out
