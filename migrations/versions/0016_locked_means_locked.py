"""locked means locked: no DELETE of a locked row; amendments after lock, reopen requests

Revision ID: 0016
Revises: 0018
Create Date: 2026-11-29 22:00:00

0007 refused only UPDATE of a locked row. A locked row now refuses DELETE too, by trigger
on both databases, and on PostgreSQL only the owner (migrations) keeps DELETE on the two
tables: the service's role loses it. The owner is still bound by the trigger; erasing a
locked row takes disabling it, deliberately (deploy/README.md).
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0016"
down_revision = "0018"
branch_labels = None
depends_on = None

LOCKED_TABLES = ("annual_report", "federation_rollup")
NEW_TABLES = ("report_amendment", "reopen_request")

# Every role but the owner that holds DELETE on the table (the app role, by the default
# privileges of deploy/postgres/roles.sql; PUBLIC as 0): its name differs per deployment.
DELETE_GRANTEES = """
SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.relname = :table AND c.relkind = 'r' AND a.privilege_type = 'DELETE'
  AND a.grantee <> c.relowner
"""


def upgrade():
    op.create_table(
        "reopen_request",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "report_id"],
            ["annual_report.tenant_id", "annual_report.id"],
            name=op.f("fk_reopen_request_tenant_id_report_id_annual_report"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["association.id"], name=op.f("fk_reopen_request_tenant_id_association")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reopen_request")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_reopen_request_tenant_id_id")),
    )
    with op.batch_alter_table("reopen_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reopen_request_tenant_report", ["tenant_id", "report_id"], unique=False
        )
    op.create_table(
        "report_amendment",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "report_id"],
            ["annual_report.tenant_id", "annual_report.id"],
            name=op.f("fk_report_amendment_tenant_id_report_id_annual_report"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["association.id"],
            name=op.f("fk_report_amendment_tenant_id_association"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_amendment")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_report_amendment_tenant_id_id")),
    )
    with op.batch_alter_table("report_amendment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_amendment_tenant_report", ["tenant_id", "report_id"], unique=False
        )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in NEW_TABLES:
            for statement in rls.policy_sql(table):
                op.execute(statement)
        for table in LOCKED_TABLES:
            # refuse_locked_update() (0007) raises "<table> <id> is locked" for any event.
            op.execute(
                f"CREATE TRIGGER {table}_locked_delete BEFORE DELETE ON {table} FOR EACH ROW"
                " WHEN (OLD.locked_hash IS NOT NULL) EXECUTE FUNCTION refuse_locked_update()"
            )
            grantees = bind.execute(sa.text(DELETE_GRANTEES), {"table": table}).scalars()
            for grantee in grantees:
                op.execute(f"REVOKE DELETE ON {table} FROM {grantee}")
    else:
        for table in LOCKED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_locked_delete BEFORE DELETE ON {table}"
                f" WHEN OLD.locked_hash IS NOT NULL BEGIN SELECT RAISE(ABORT, '{table} is locked');"
                " END"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in LOCKED_TABLES:
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_locked_delete" + (f" ON {table}" if postgresql else "")
        )
    # The app role's DELETE is not granted back: whoever downgrades grants it by name.
    with op.batch_alter_table("report_amendment", schema=None) as batch_op:
        batch_op.drop_index("ix_report_amendment_tenant_report")
    op.drop_table("report_amendment")
    with op.batch_alter_table("reopen_request", schema=None) as batch_op:
        batch_op.drop_index("ix_reopen_request_tenant_report")
    op.drop_table("reopen_request")
