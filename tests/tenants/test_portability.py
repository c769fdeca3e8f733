"""An association leaves with its data, and an operator restores one tenant from its export."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tenants.db import db
from tenants.portability import (
    KEPT,
    advance_sequences,
    delete_tenant_data,
    export_tenant,
    import_tenant,
    tenant_mappers,
)


def _without_audit(export: dict) -> dict:
    """The tables `delete_tenant_data` empties: all but the audit log and the reports."""
    return {k: v for k, v in export["tables"].items() if k not in KEPT}


def test_export_delete_import_gives_back_every_row_equal(world):
    mine, neighbour = world.a.first.association.id, world.a.second.association.id
    before = export_tenant(mine)
    assert all(before["tables"][m.local_table.name] for m in tenant_mappers()), (
        "the world must have rows in every tenant table, or the comparison proves nothing"
    )
    neighbour_before = export_tenant(neighbour)
    document = json.loads(json.dumps(before, ensure_ascii=False))  # as written to a file

    delete_tenant_data(mine)
    db.session.commit()
    emptied = export_tenant(mine)
    assert all(rows == [] for rows in _without_audit(emptied).values())
    # The audit log is append-only, and the reports are what the federation approved:
    # deleting a tenant's data leaves them whole.
    assert emptied["tables"]["audit_event"] == before["tables"]["audit_event"]
    for kept in ("annual_report", "report_amendment", "reopen_request"):
        assert emptied["tables"][kept] == before["tables"][kept]

    import_tenant(document)
    db.session.commit()
    after = export_tenant(mine)
    assert after == before
    assert export_tenant(neighbour) == neighbour_before


def test_an_import_never_writes_over_data_or_into_another_tenant(world):
    mine = world.a.first.association.id
    document = export_tenant(mine)
    with pytest.raises(ValueError, match="still has rows"):
        import_tenant(document)
    db.session.rollback()

    # Rows claiming another tenant inside the document are skipped, not imported.
    other = world.b.first.association.id
    forged = json.loads(json.dumps(document))
    delete_tenant_data(mine)
    # (a row nothing else points at: its dependants would be refused with it)
    forged["tables"]["member_status_change"][0]["tenant_id"] = other
    counts = import_tenant(forged)
    expected = len(document["tables"]["member_status_change"]) - 1
    assert counts["member_status_change"] == expected
    db.session.rollback()


def test_the_operator_commands_round_trip_a_tenant_through_a_file(app, world, tmp_path):
    mine = world.a.first.association.id
    before = _without_audit(export_tenant(mine))
    runner = app.test_cli_runner()
    path = tmp_path / "tenant.json"
    assert runner.invoke(args=["tenant", "export", str(mine), "-o", str(path)]).exit_code == 0
    refused = runner.invoke(args=["tenant", "delete-data", str(mine)])
    assert refused.exit_code != 0  # not without --yes
    assert runner.invoke(args=["tenant", "delete-data", str(mine), "--yes"]).exit_code == 0
    assert all(rows == [] for rows in _without_audit(export_tenant(mine)).values())
    result = runner.invoke(args=["tenant", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _without_audit(export_tenant(mine)) == before
    actions = [e["action"] for e in export_tenant(mine)["tables"]["audit_event"]]
    assert actions[-3:] == ["export", "delete-data", "import"]


def test_on_postgresql_the_sequences_move_past_imported_ids(app, world):
    """On a database that never had these rows, new rows must not take their ids."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("sequences are PostgreSQL's")
    document = export_tenant(world.a.first.association.id)
    far = max(r["id"] for r in document["tables"]["member"]) + 100_000
    document["tables"]["member"][0]["id"] = far  # as if imported from a bigger database
    owner = sa.create_engine(app.config["MIGRATION_DATABASE_URL"], poolclass=sa.pool.NullPool)
    try:
        with owner.begin() as connection:
            moved = advance_sequences(connection, document)
            following = connection.execute(sa.text("SELECT nextval('member_id_seq')")).scalar()
    finally:
        owner.dispose()
    assert moved["member"] == far
    assert following == far + 1
