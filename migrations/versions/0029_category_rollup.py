"""federation: each category's view precomputed beside the metric rollups

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 09:00:00

The category view (compare like with like) is computed from the rollups whenever they are
refreshed and kept per federation, category and year, so that reading it is one indexed
read. The rows are the federation's (`FederationOnly`: its associations never see them),
under the federation's row-level security like every other federation-owned table.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

FEDERATION_ONLY = ["category_rollup"]


def upgrade():
    op.create_table(
        "category_rollup",
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federation.id"],
            name=op.f("fk_category_rollup_federation_id_federation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_rollup")),
        sa.UniqueConstraint("federation_id", "category", "year", name="uq_category_rollup_key"),
    )
    op.create_index(
        op.f("ix_category_rollup_federation_id"),
        "category_rollup",
        ["federation_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in FEDERATION_ONLY:
            for statement in rls.federation_policy_sql(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in FEDERATION_ONLY:
            for statement in rls.drop_federation_policy_sql(table):
                op.execute(statement)
    op.drop_index(op.f("ix_category_rollup_federation_id"), table_name="category_rollup")
    op.drop_table("category_rollup")
