"""imports of every kind; the member's staff number (工号)

Revision ID: 0022
Revises: 0025
Create Date: 2026-11-30 10:00:00

One import engine reads individual members, group members and activities: an upload says
which (`member_import.kind`, "members" for every upload before). A member may carry the
university's staff number, unique within the association where it is given (a partial
unique index, on PostgreSQL and SQLite alike); an import matches a row by it first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0025"
branch_labels = None
depends_on = None

WHERE = "staff_number IS NOT NULL"


def upgrade():
    with op.batch_alter_table("member_import") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), server_default="members", nullable=False)
        )
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("staff_number", sa.String(length=30), nullable=True))
    op.create_index(
        "uq_member_tenant_staff_number",
        "member",
        ["tenant_id", "staff_number"],
        unique=True,
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade():
    op.drop_index("uq_member_tenant_staff_number", table_name="member")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("staff_number")
    with op.batch_alter_table("member_import") as batch:
        batch.drop_column("kind")
