"""reporting: a compile that failed or was lost says so (when it started, and why it failed)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("annual_report") as batch:
        batch.add_column(sa.Column("compile_started_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("annual_report") as batch:
        batch.drop_column("failure_reason")
        batch.drop_column("compile_started_at")
