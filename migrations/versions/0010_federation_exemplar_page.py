"""federation: whether the page of exemplars is published

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 02:00:00

A federation-owned row (like health_weight): no tenant column, so no row-level security;
every read filters by federation_id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "federation_exemplar_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federation.id"],
            name=op.f("fk_federation_exemplar_page_federation_id_federation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_exemplar_page")),
        sa.UniqueConstraint(
            "federation_id", name=op.f("uq_federation_exemplar_page_federation_id")
        ),
    )


def downgrade():
    op.drop_table("federation_exemplar_page")
