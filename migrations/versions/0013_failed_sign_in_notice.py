"""accounts: failed sign-ins to tell the holder about at their next sign-in

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 18:30:00

Throttling itself keeps its counters in the rate-limit storage (Redis, or memory); only
the notice for the account holder is a row change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("failed_logins_since", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("failed_logins_since")
        batch.drop_column("failed_logins")
