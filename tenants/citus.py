"""How the schema maps onto Citus (deploy/SCALE.md), and a check of a PostgreSQL catalog
against Citus's rules for distributed tables.

Every table with a `tenant_id` that is never NULL is distributed by it, co-located with all
the others; the few tables listed in `DISTRIBUTED_BY` are distributed by another column
holding the tenant. The tables every tenant reads (federations, associations, accounts, the
taxonomy, reporting periods ...) are reference tables, a copy on every node. What is neither
stays on the coordinator (`LOCAL_TABLES`, each with its reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

DISTRIBUTION_COLUMN = "tenant_id"

# Tables distributed by a column other than `tenant_id` that holds the tenant: a problem's
# link to a finding names the finding by (association, finding), the finding's own key.
DISTRIBUTED_BY = {"federation_problem_finding": "association_id"}

REFERENCE_TABLES = frozenset(
    {
        # The tenants and those above them.
        "federation",
        "association",
        # Accounts and what signs them in: read by every request, of every tenant.
        "user_account",
        "api_token",
        "api_token_federation",
        "password_link",
        "second_factor_recovery_code",
        "federation_identity_provider",
        "federation_sso_link",
        # The federations' taxonomy, calendar and rules, which every association reads.
        "university_category",
        "province_university",
        "reporting_period",
        "statistical_form_header",
        "provincial_threshold",
        "health_weight",
        "guidance",
        "guidance_file",
        # Federation work: small, written by a few officers, joined with tenants' rows.
        "federation_problem",
        "federation_problem_event",
        "federation_comment",
        "federation_rollup",
        "category_rollup",
        "federation_exemplar_page",
        "national_endpoint",
        "push_outbox",
        # Applications to found an association, before the association (the tenant) exists.
        "establishment_application",
        "application_document",
        "application_event",
    }
)

LOCAL_TABLES = {
    "alembic_version": "the migrations' own bookkeeping, on the coordinator",
    "platform_audit_event": (
        "the platform's own audit events (no tenant): written on every platform-level change"
        " and sign-in, read only by the operator's log, joined with nothing; a reference"
        " table would copy each event to every node in a two-phase commit, for no reader"
        " there (deploy/SCALE.md)"
    ),
}


@dataclass(frozen=True)
class Catalog:
    """What the check reads of a schema: its tables, columns and constraints."""

    tables: frozenset[str]
    not_null: frozenset[tuple[str, str]]  # (table, column)
    types: dict[tuple[str, str], str]
    # (table, name, kind 'p'/'u'/'f', columns, referenced table, referenced columns)
    constraints: tuple[tuple[str, str, str, tuple, str | None, tuple], ...]
    # (table, index name, columns) of unique indexes that back no constraint
    unique_indexes: tuple[tuple[str, str, tuple], ...]


def read_catalog(connection: sa.Connection) -> Catalog:
    """The current schema's catalog, as PostgreSQL has it after `flask db upgrade`."""
    q = connection.execute
    tables = frozenset(
        q(
            sa.text(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ).scalars()
    )
    columns = q(
        sa.text(
            "SELECT table_name, column_name, is_nullable, data_type"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
        )
    ).all()
    constraints = q(
        sa.text(
            "SELECT conrelid::regclass::text, conname, contype,"
            " ARRAY(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(n, i)"
            "  JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.i),"
            " CASE WHEN contype = 'f' THEN confrelid::regclass::text END,"
            " ARRAY(SELECT a.attname FROM unnest(confkey) WITH ORDINALITY k(n, i)"
            "  JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n ORDER BY k.i)"
            " FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
            " AND contype IN ('p', 'u', 'f')"
        )
    ).all()
    indexes = q(
        sa.text(
            "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,"
            " ARRAY(SELECT a.attname FROM unnest(i.indkey) k(n)"
            "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND i.indisunique"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)"
        )
    ).all()
    return Catalog(
        tables=tables,
        not_null=frozenset((t, c) for t, c, nullable, _ in columns if nullable == "NO"),
        types={(t, c): kind for t, c, _, kind in columns},
        constraints=tuple(
            (t, name, kind, tuple(cols), ref, tuple(ref_cols))
            for t, name, kind, cols, ref, ref_cols in constraints
        ),
        unique_indexes=tuple((t, name, tuple(cols)) for t, name, cols in indexes),
    )


def distributed_tables(catalog: Catalog) -> dict[str, str]:
    """Each distributed table and its distribution column."""
    tables = {
        table: DISTRIBUTION_COLUMN
        for table, column in catalog.types
        if column == DISTRIBUTION_COLUMN and table in catalog.tables and table not in LOCAL_TABLES
    }
    return {**tables, **{t: c for t, c in DISTRIBUTED_BY.items() if t in catalog.tables}}


def violations(catalog: Catalog) -> list[str]:
    """What in `catalog` breaks Citus's rules for the plan above; empty when it is ready."""
    distributed = distributed_tables(catalog)
    found: list[str] = []
    unplaced = catalog.tables - distributed.keys() - REFERENCE_TABLES - LOCAL_TABLES.keys()
    found += [f"{t}: neither distributed, reference nor local" for t in sorted(unplaced)]
    for table, column in sorted(distributed.items()):
        if (table, column) not in catalog.not_null:
            found.append(f"{table}: distribution column {column} may be NULL")
        if catalog.types.get((table, column)) != "bigint":
            found.append(f"{table}: distribution column {column} is not bigint")
        if table in REFERENCE_TABLES:
            found.append(f"{table}: both distributed and reference")
    for table, name, kind, columns, referenced, referenced_columns in catalog.constraints:
        column = distributed.get(table)
        if kind in "pu" and column is not None and column not in columns:
            found.append(f"{table}: key {name} {list(columns)} lacks {column}")
        if kind == "f":
            found += _foreign_key(distributed, table, name, columns, referenced, referenced_columns)
    for table, name, columns in catalog.unique_indexes:
        column = distributed.get(table)
        if column is not None and column not in columns:
            found.append(f"{table}: unique index {name} {list(columns)} lacks {column}")
    return found


def _foreign_key(distributed, table, name, columns, referenced, referenced_columns) -> list:
    """Distributed to distributed only through the distribution columns (co-located);
    distributed to reference freely; reference to reference only; nothing to a local table."""
    kind = _kind(distributed, table)
    target = _kind(distributed, referenced)
    if target == "local" and table != referenced:
        return [f"{table}: foreign key {name} to local table {referenced}"]
    if kind == "reference" and target == "distributed":
        return [f"{table}: reference table's foreign key {name} to distributed {referenced}"]
    if kind == "local" and target == "distributed":
        return [f"{table}: local table's foreign key {name} to distributed {referenced}"]
    if kind == "distributed" and target == "distributed":
        pairs = set(zip(columns, referenced_columns, strict=True))
        if (distributed[table], distributed[referenced]) not in pairs:
            return [f"{table}: foreign key {name} to {referenced} is not co-located"]
    return []


def _kind(distributed: dict[str, str], table: str) -> str:
    if table in distributed:
        return "distributed"
    return "reference" if table in REFERENCE_TABLES else "local"


def plan_sql(catalog: Catalog) -> list[str]:
    """The Citus calls that distribute this schema: reference tables first (distributed
    tables' foreign keys point at them), then every distributed table co-located with
    `association`'s tenants (deploy/SCALE.md)."""
    statements = [f"SELECT create_reference_table('{t}');" for t in _referenced_first(catalog)]
    distributed = distributed_tables(catalog)
    first = None
    for table, column in sorted(distributed.items()):
        colocate = f", colocate_with => '{first}'" if first else ""
        statements.append(f"SELECT create_distributed_table('{table}', '{column}'{colocate});")
        first = first or table
    return statements


def _referenced_first(catalog: Catalog) -> list[str]:
    """The reference tables, each after the reference tables its foreign keys point at."""
    needs = {t: set() for t in REFERENCE_TABLES if t in catalog.tables}
    for table, _name, kind, _cols, referenced, _ref_cols in catalog.constraints:
        if kind == "f" and table in needs and referenced in needs and referenced != table:
            needs[table].add(referenced)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, deps in needs.items() if deps <= set(ordered))
        if not ready:  # a cycle: Citus takes the rest together, in any order
            ready = sorted(needs)
        ordered += ready
        for t in ready:
            del needs[t]
    return ordered
