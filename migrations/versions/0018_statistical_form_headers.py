"""reporting: the header block of the national statistical forms, per reporting year

Revision ID: 0018
Revises: 0014
Create Date: 2026-11-29 22:00:00

The exports and the print page follow the national forms (表1 组织建设, 科技交流情况表, ...);
the block at the top right of each form (表号, 制定机关, 批准文号, 有效期至) changes with
each approval of the forms, so the platform operator keeps it per year and form. The forms
are the same for every federation: the table is the platform's, with no tenant or
federation column, and no row-level security.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statistical_form_header",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("table_code", sa.String(length=20), nullable=False),
        sa.Column("form_number", sa.String(length=50), nullable=True),
        sa.Column("issuer", sa.String(length=100), nullable=True),
        sa.Column("approval_number", sa.String(length=100), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistical_form_header")),
        sa.UniqueConstraint(
            "year", "table_code", name=op.f("uq_statistical_form_header_year_table_code")
        ),
    )


def downgrade():
    op.drop_table("statistical_form_header")
