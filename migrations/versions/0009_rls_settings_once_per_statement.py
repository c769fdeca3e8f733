"""row-level security reads its settings once per statement

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 21:30:00

The policies keep their meaning; each setting is now read in a scalar subquery, which
PostgreSQL evaluates once per statement instead of once per row.
"""

from alembic import op

from tenants import rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.refresh_policies_sql(op.get_bind()):
            op.execute(statement)


def downgrade():
    # The earlier form of the rules meant the same; nothing to restore.
    pass
