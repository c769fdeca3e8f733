"""tenancy: a schema ready for Citus — bigint ids, unique keys that hold tenant_id,
primary keys (tenant_id, id)

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 09:00:00

Every integer column becomes BIGINT on PostgreSQL, and every integer sequence AS bigint: a
nation of associations outgrows 2^31 ids, and the columns of a key must have one type in
every table that holds it (a distributed table's shards are placed by the hash of its
distribution column's type). The models say the same once (`tenants.db.BIGINT`, the base's
`type_annotation_map`). The change is generic over the catalog rather than a hand list, so a
table added meanwhile is not forgotten; each table is rewritten once (one ALTER TABLE for
all its columns). PostgreSQL refuses to retype a column a row-level security policy reads,
so the policies are kept, dropped and made again word for word around the change.

SQLite needs nothing: its integers are 64-bit, and `INTEGER PRIMARY KEY` stays the rowid.

A problem's link to a finding (a federation's row about one association's finding) is
distributed by its association, which its foreign key to the finding holds already: its
unique key and, on PostgreSQL, its primary key take the association too.

The three unique keys of tenant tables without `tenant_id` (a member's account, an SSO
link's account, an SSO link's subject at its provider) take it: a distributed table can only
enforce a key that holds its distribution column. None is weakened: the provider is the
tenant's own (composite key already), and the account is now the tenant's own too, by a
composite key to `user_account(association_id, id)`, so one per tenant is one everywhere.
On PostgreSQL the primary key of every tenant table (every table with a `tenant_id`)
becomes `(tenant_id, id)`: a distributed table's primary key must hold the distribution
column. The ORM's identity stays `id` (ids are unique on their own, from one sequence), and
SQLite keeps `id INTEGER PRIMARY KEY`, its rowid and autoincrement; test_app's comparison of
the models with the migrated database checks this one difference by name. The unique
`(tenant_id, id)` that child tables reference stays: their foreign keys are bound to it.

deploy/SCALE.md is the plan this migration prepares.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# Columns that were BIGINT before this migration: a downgrade leaves them so.
BIGINT_BEFORE = {("tech_transfer", "value_yuan"), ("user_account", "totp_last_step")}


def _policies(connection: sa.Connection) -> list:
    return connection.execute(
        sa.text(
            "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check"
            " FROM pg_policies WHERE schemaname = current_schema()"
            " ORDER BY tablename, policyname"
        )
    ).all()


def _create_policy(policy) -> str:
    table, name, permissive, roles, cmd, qual, with_check = policy
    sql = f"CREATE POLICY {name} ON {table} AS {permissive} FOR {cmd}"
    sql += " TO " + ", ".join(roles)
    if qual is not None:
        sql += f" USING ({qual})"
    if with_check is not None:
        sql += f" WITH CHECK ({with_check})"
    return sql


def _retype(connection: sa.Connection, old: str, new: str, keep: set) -> None:
    """Every `old` column of the schema's tables becomes `new`, one ALTER TABLE per table,
    the policies set aside meanwhile; `keep` lists (table, column) pairs left alone."""
    policies = _policies(connection)
    for table, name, *_ in policies:
        op.execute(f"DROP POLICY {name} ON {table}")
    columns = connection.execute(
        sa.text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
            " AND c.data_type = :old ORDER BY c.table_name, c.ordinal_position"
        ),
        {"old": old},
    ).all()
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        if (table, column) not in keep:
            by_table.setdefault(table, []).append(column)
    for table, names in by_table.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {new}" for c in names)
        op.execute(f"ALTER TABLE {table} {changes}")
    sequences = connection.execute(
        sa.text(
            "SELECT sequencename FROM pg_sequences"
            " WHERE schemaname = current_schema() AND data_type = CAST(:old AS regtype)"
        ),
        {"old": old},
    ).scalars()
    for sequence in sequences:
        op.execute(f"ALTER SEQUENCE {sequence} AS {new}")
    for policy in policies:
        op.execute(_create_policy(policy))


def _account_keys_hold_the_tenant() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.create_unique_constraint(
            op.f("uq_user_account_association_id_id"), ["association_id", "id"]
        )
    with op.batch_alter_table("member") as batch:
        batch.drop_constraint("uq_member_user_id", type_="unique")
        batch.create_unique_constraint("uq_member_tenant_user", ["tenant_id", "user_id"])
        batch.create_foreign_key(
            op.f("fk_member_tenant_id_user_id_user_account"),
            "user_account",
            ["tenant_id", "user_id"],
            ["association_id", "id"],
        )
    with op.batch_alter_table("sso_link") as batch:
        batch.drop_constraint("uq_sso_link_user_id", type_="unique")
        batch.drop_constraint("uq_sso_link_provider_subject", type_="unique")
        batch.create_unique_constraint(
            "uq_sso_link_provider_subject", ["tenant_id", "provider_id", "subject"]
        )
        batch.create_unique_constraint("uq_sso_link_tenant_user", ["tenant_id", "user_id"])
        batch.create_foreign_key(
            op.f("fk_sso_link_tenant_id_user_id_user_account"),
            "user_account",
            ["tenant_id", "user_id"],
            ["association_id", "id"],
        )


def _account_keys_as_before() -> None:
    with op.batch_alter_table("sso_link") as batch:
        batch.drop_constraint("fk_sso_link_tenant_id_user_id_user_account", type_="foreignkey")
        batch.drop_constraint("uq_sso_link_tenant_user", type_="unique")
        batch.drop_constraint("uq_sso_link_provider_subject", type_="unique")
        batch.create_unique_constraint("uq_sso_link_provider_subject", ["provider_id", "subject"])
        batch.create_unique_constraint("uq_sso_link_user_id", ["user_id"])
    with op.batch_alter_table("member") as batch:
        batch.drop_constraint("fk_member_tenant_id_user_id_user_account", type_="foreignkey")
        batch.drop_constraint("uq_member_tenant_user", type_="unique")
        batch.create_unique_constraint("uq_member_user_id", ["user_id"])
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint("uq_user_account_association_id_id", type_="unique")


def tenant_tables(connection: sa.Connection) -> list[str]:
    """Every table with a `tenant_id` that is never NULL (the distributed tables of
    deploy/SCALE.md; the audit log, which records platform events too, is not one)."""
    return list(
        connection.execute(
            sa.text(
                "SELECT c.table_name FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
                " AND c.column_name = 'tenant_id' AND c.is_nullable = 'NO'"
                " ORDER BY c.table_name"
            )
        ).scalars()
    )


# Distributed by another column that holds the tenant: a problem's link to a finding.
DISTRIBUTED_BY = {"federation_problem_finding": "association_id"}


def _primary_keys(connection: sa.Connection, *, with_tenant: bool) -> None:
    tables = {table: "tenant_id" for table in tenant_tables(connection)} | DISTRIBUTED_BY
    for table, column in tables.items():
        columns = f"{column}, id" if with_tenant else "id"
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
            f" ADD CONSTRAINT pk_{table} PRIMARY KEY ({columns})"
        )


def _problem_findings_keyed_by_association(*, upgrade: bool) -> None:
    old = ("uq_federation_problem_finding_problem_id_finding_id", ["problem_id", "finding_id"])
    new = ("uq_federation_problem_finding", ["association_id", "problem_id", "finding_id"])
    before, after = (old, new) if upgrade else (new, old)
    with op.batch_alter_table("federation_problem_finding") as batch:
        batch.drop_constraint(before[0], type_="unique")
        batch.create_unique_constraint(*after)


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        _retype(connection, "integer", "bigint", keep=set())
    _account_keys_hold_the_tenant()
    _problem_findings_keyed_by_association(upgrade=True)
    if connection.dialect.name == "postgresql":
        _primary_keys(connection, with_tenant=True)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        _primary_keys(connection, with_tenant=False)
    _problem_findings_keyed_by_association(upgrade=False)
    _account_keys_as_before()
    if connection.dialect.name == "postgresql":
        _retype(connection, "bigint", "integer", keep=BIGINT_BEFORE)
