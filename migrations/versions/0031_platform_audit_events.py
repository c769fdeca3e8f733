"""audit: the platform's events in a table of their own; audit_event.tenant_id NOT NULL

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30 12:00:00

No tenant table has a nullable `tenant_id` any more. The audit log recorded the events of no
tenant (the operator's work, a federation's own records, a sign-in of an account above the
associations) in `audit_event` with `tenant_id` NULL, which a table distributed by its
tenant cannot hold (deploy/SCALE.md). They move to `platform_audit_event`, which has no
tenant column, keeping their ids (a concealed event's id below zero too); its sequence goes
on after the highest. Then `audit_event.tenant_id` becomes NOT NULL and, on PostgreSQL, the
primary key `(tenant_id, id)` and the unique `(tenant_id, id)` of every tenant table (0030,
`TenantOwned`). Its policy stays (0001): read as every tenant table is, appended from any
scope, since an event about a tenant is logged where it happens, often outside that
tenant's scope (a sign-in, before there is one; a password link; a sign-in throttled).

The new table is append-only by trigger, as `audit_event` is; on PostgreSQL row-level
security shows its rows only past the policies (`system_scope`, the operator's log), and
lets any scope append one (`rls.platform_policy_sql`). The move reads and deletes every
tenant's events, past row-level security and past the append-only triggers, on purpose.

SQLite makes a column NOT NULL by rebuilding the table, which drops its triggers: they are
made again after.

The downgrade puts the platform's events back with `tenant_id` NULL, each with its id where
`audit_event` has no event of that id (those moved here, a concealed one below zero), else
with a new one from `audit_event`'s sequence (the two sequences overlap), which then goes on
after the highest id.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOVE = """
INSERT INTO platform_audit_event (id, occurred_at, actor, action, entity, entity_id, changes)
SELECT id, occurred_at, actor, action, entity, entity_id, changes
FROM audit_event WHERE tenant_id IS NULL ORDER BY id
"""
# Back, with its id where audit_event has none such ...
BACK_WITH_ID = """
INSERT INTO audit_event (id, tenant_id, occurred_at, actor, action, entity, entity_id, changes)
SELECT id, NULL, occurred_at, actor, action, entity, entity_id, changes
FROM platform_audit_event p
WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.id = p.id) ORDER BY id
"""
# ... else with a new one (a tenant's event has it).
BACK_WITH_NEW_ID = """
INSERT INTO audit_event (tenant_id, occurred_at, actor, action, entity, entity_id, changes)
SELECT NULL, occurred_at, actor, action, entity, entity_id, changes
FROM platform_audit_event p
WHERE EXISTS (SELECT 1 FROM audit_event a WHERE a.id = p.id AND a.tenant_id IS NOT NULL)
ORDER BY id
"""

APPEND_ONLY_PG = """
CREATE FUNCTION platform_audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'platform_audit_event is append-only'; END $$;
CREATE TRIGGER platform_audit_event_no_change BEFORE UPDATE OR DELETE ON platform_audit_event
  FOR EACH ROW EXECUTE FUNCTION platform_audit_event_append_only();
CREATE TRIGGER platform_audit_event_no_truncate BEFORE TRUNCATE ON platform_audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION platform_audit_event_append_only();
"""


def _append_only_sqlite(table: str) -> list[str]:
    """The triggers 0001 made on audit_event, for `table`."""
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}"
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
    ]


def _drop_append_only_sqlite(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


def _platform_table() -> None:
    op.create_table(
        "platform_audit_event",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit_event")),
    )
    with op.batch_alter_table("platform_audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_platform_audit_event_time", ["occurred_at"], unique=False)


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _platform_table()
    if postgresql:
        for statement in rls.platform_policy_sql("platform_audit_event"):
            op.execute(statement)
        op.execute(APPEND_ONLY_PG)
        # The move reads and deletes every tenant's events: past row-level security.
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    op.execute(MOVE)
    if postgresql:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('platform_audit_event', 'id'),"
            " coalesce((SELECT max(id) FROM platform_audit_event WHERE id > 0), 0) + 1, false)"
        )
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
        op.execute("DELETE FROM audit_event WHERE tenant_id IS NULL")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
        op.execute("ALTER TABLE audit_event ALTER COLUMN tenant_id SET NOT NULL")
        op.execute(
            "ALTER TABLE audit_event DROP CONSTRAINT pk_audit_event,"
            " ADD CONSTRAINT pk_audit_event PRIMARY KEY (tenant_id, id),"
            " ADD CONSTRAINT uq_audit_event_tenant_id_id UNIQUE (tenant_id, id)"
        )
    else:
        for statement in _drop_append_only_sqlite("audit_event"):
            op.execute(statement)
        op.execute("DELETE FROM audit_event WHERE tenant_id IS NULL")
        with op.batch_alter_table("audit_event", schema=None) as batch_op:
            batch_op.alter_column("tenant_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_unique_constraint("uq_audit_event_tenant_id_id", ["tenant_id", "id"])
        for statement in _append_only_sqlite("audit_event") + _append_only_sqlite(
            "platform_audit_event"
        ):
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
        op.execute(
            "ALTER TABLE audit_event DROP CONSTRAINT uq_audit_event_tenant_id_id,"
            " DROP CONSTRAINT pk_audit_event, ADD CONSTRAINT pk_audit_event PRIMARY KEY (id)"
        )
        op.execute("ALTER TABLE audit_event ALTER COLUMN tenant_id DROP NOT NULL")
    else:
        for statement in _drop_append_only_sqlite("audit_event"):
            op.execute(statement)
        with op.batch_alter_table("audit_event", schema=None) as batch_op:
            batch_op.drop_constraint("uq_audit_event_tenant_id_id", type_="unique")
            batch_op.alter_column("tenant_id", existing_type=sa.Integer(), nullable=True)
        for statement in _append_only_sqlite("audit_event"):
            op.execute(statement)
    op.execute(BACK_WITH_ID)
    if postgresql:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_event', 'id'),"
            " greatest((SELECT coalesce(max(id), 0) FROM audit_event),"
            " nextval(pg_get_serial_sequence('audit_event', 'id'))))"
        )
    op.execute(BACK_WITH_NEW_ID)
    if postgresql:
        op.execute("DROP TABLE platform_audit_event")
        op.execute("DROP FUNCTION platform_audit_event_append_only()")
    else:
        for statement in _drop_append_only_sqlite("platform_audit_event"):
            op.execute(statement)
        op.drop_index("ix_platform_audit_event_time", table_name="platform_audit_event")
        op.drop_table("platform_audit_event")
