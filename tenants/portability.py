"""One association's data as a JSON document, and back: so an association can leave with
its data, and an operator can restore one tenant without restoring the whole database.

Every read and write runs under that association's scope, so the export cannot hold
another tenant's rows and the import cannot write any (row-level security agrees).

The audit log is append-only (a trigger refuses UPDATE and DELETE): `delete_tenant_data`
leaves it alone, and `import_tenant` inserts only the audit events that are not there yet.
So a restore into the same database keeps the log untouched, and a move to another database
brings the whole log along.

The annual reports (every version) and what hangs on them (amendments after lock, requests
to reopen) are kept the same way: an approved report is what the federation signed off and
summed into its roll-up, and the database refuses to delete it (the service's role has no
DELETE on it). Erasing them is the database owner's deliberate act (deploy/README.md).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, undefer

from tenants.db import db
from tenants.models import Association, TenantOwned
from tenants.scope import Scope, use_scope

FORMAT = "kexie-tenant-export/1"
APPEND_ONLY = {"audit_event"}
# Kept by `delete_tenant_data`, and on import only the rows not there yet are added.
KEPT = APPEND_ONLY | {"annual_report", "report_amendment", "reopen_request"}


def tenant_mappers() -> list[Mapper]:
    """Mappers of every tenant-owned table, parents before children."""
    order = {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}
    mappers = [m for m in db.Model.registry.mappers if issubclass(m.class_, TenantOwned)]
    return sorted(mappers, key=lambda m: order[m.local_table.name])


def export_tenant(association_id: int) -> dict[str, Any]:
    """Every row of every tenant table of this association, as JSON-ready values."""
    with use_scope(Scope.association(association_id)):
        association = db.session.get(Association, association_id)
        if association is None:
            raise LookupError(f"no association {association_id}")
        tables = {m.local_table.name: _rows(m, association_id) for m in tenant_mappers()}
        return {
            "format": FORMAT,
            "association": {"id": association.id, "name": association.name},
            "tables": tables,
        }


def delete_tenant_data(association_id: int) -> dict[str, int]:
    """Delete the association's rows in every tenant table but the kept ones (`KEPT`).
    The association itself, its accounts, its audit log and its reports stay. The caller
    commits."""
    deleted = {}
    with use_scope(Scope.association(association_id)):
        for mapper in reversed(tenant_mappers()):
            if mapper.local_table.name in KEPT:
                continue
            cls = mapper.class_
            result = db.session.execute(
                sa.delete(cls).where(cls.tenant_id == association_id),
                execution_options={"synchronize_session": False},
            )
            deleted[mapper.local_table.name] = result.rowcount
    return deleted


def import_tenant(document: dict[str, Any]) -> dict[str, int]:
    """Insert an export's rows with their ids, into an association with the same id.

    Refuses if the association holds data already (except in the kept tables, audit events
    and reports, whose rows are only added where missing). Links to accounts that this
    database does not have are cleared.
    The caller commits.
    """
    if document.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} document")
    association_id = document["association"]["id"]
    inserted = {}
    with use_scope(Scope.association(association_id)):
        if db.session.get(Association, association_id) is None:
            raise LookupError(f"no association {association_id} to import into")
        for mapper in tenant_mappers():
            name = mapper.local_table.name
            rows = [_decode(mapper, row) for row in document["tables"].get(name, [])]
            rows = [r for r in rows if r["tenant_id"] == association_id]  # never another's
            if name in KEPT:
                rows = _missing_only(mapper, rows, association_id)
            elif _has_rows(mapper, association_id):
                raise ValueError(f"association {association_id} still has rows in {name}")
            rows = _without_unknown_accounts(mapper, rows)
            if rows:
                db.session.execute(sa.insert(mapper.class_), rows)
            inserted[name] = len(rows)
    return inserted


def _rows(mapper: Mapper, association_id: int) -> list[dict[str, Any]]:
    cls = mapper.class_
    objects = db.session.scalars(
        sa.select(cls)
        .where(cls.tenant_id == association_id)
        .order_by(cls.id)
        .options(undefer("*"))  # deferred columns (file contents) are data too
    )
    attributes = [a.key for a in mapper.column_attrs]
    return [{key: _encode(getattr(obj, key)) for key in attributes} for obj in objects]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(mapper: Mapper, row: dict[str, Any]) -> dict[str, Any]:
    decoded = {}
    for attr in mapper.column_attrs:
        if attr.key not in row:
            continue
        value, kind = row[attr.key], attr.columns[0].type
        if value is not None and isinstance(kind, sa.LargeBinary):
            value = base64.b64decode(value)
        elif value is not None and isinstance(kind, sa.DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, sa.Date):
            value = date.fromisoformat(value)
        decoded[attr.key] = value
    return decoded


def _has_rows(mapper: Mapper, association_id: int) -> bool:
    cls = mapper.class_
    found = db.session.scalar(sa.select(cls.id).where(cls.tenant_id == association_id).limit(1))
    return found is not None


def _missing_only(mapper: Mapper, rows: list[dict], association_id: int) -> list[dict]:
    cls = mapper.class_
    present = set(db.session.scalars(sa.select(cls.id).where(cls.tenant_id == association_id)))
    return [r for r in rows if r["id"] not in present]


def _without_unknown_accounts(mapper: Mapper, rows: list[dict]) -> list[dict]:
    """Links to rows outside the tenant tables (a member's sign-in account) are kept only
    where that row exists in this database; on another server the accounts are made anew."""
    tenant_tables = {m.local_table for m in tenant_mappers()} | {Association.__table__}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        for fk in column.foreign_keys:
            if fk.column.table in tenant_tables or not column.nullable or not rows:
                continue
            wanted = {r[attr.key] for r in rows if r.get(attr.key) is not None}
            known = set(db.session.scalars(sa.select(fk.column).where(fk.column.in_(wanted))))
            rows = [
                {**r, attr.key: r.get(attr.key) if r.get(attr.key) in known else None} for r in rows
            ]
    return rows


def advance_sequences(owner: sa.Connection, document: dict[str, Any]) -> dict[str, int]:
    """After an import into another database, move each table's id sequence past the
    imported ids, so that new rows do not collide with them. PostgreSQL only; needs the
    owner of the sequences (setval), so the caller connects as the migration role."""
    moved = {}
    for name, rows in document["tables"].items():
        if not rows:
            continue
        top = max(row["id"] for row in rows)
        moved[name] = owner.execute(
            sa.text(
                "SELECT setval(s.seq, GREATEST(:top, COALESCE(p.last_value, 0)))"
                " FROM (SELECT pg_get_serial_sequence(:table, 'id') AS seq) s"
                " LEFT JOIN pg_sequences p ON p.schemaname || '.' || p.sequencename = s.seq"
            ),
            {"table": name, "top": top},
        ).scalar_one()
    return moved
