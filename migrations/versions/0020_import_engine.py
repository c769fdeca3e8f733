"""import engine: saved column mappings, job-title words, imports under review

Revision ID: 0020
Revises: 0015
Create Date: 2026-11-29 22:00:00

A roster is read as the association keeps it: the headings it maps are remembered per
association (`import_mapping`), its own job-title words map to title levels (`title_word`),
and an upload's mapping, fixes, exclusions and report live beside it (`import_sheet`).
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None

TENANT_TABLES = ["import_mapping", "title_word", "import_sheet"]


def _tenant_columns(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["association.id"], name=op.f(f"fk_{table}_tenant_id_association")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def upgrade():
    op.create_table(
        "import_mapping",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("header", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        *_tenant_columns("import_mapping"),
        sa.UniqueConstraint("tenant_id", "kind", "header", name="uq_import_mapping_header"),
    )
    op.create_table(
        "title_word",
        sa.Column("word", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        *_tenant_columns("title_word"),
        sa.UniqueConstraint("tenant_id", "word", name="uq_title_word"),
    )
    op.create_table(
        "import_sheet",
        sa.Column("member_import_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("edits", sa.JSON(), nullable=True),
        sa.Column("excluded", sa.JSON(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("on_match", sa.String(length=10), nullable=False),
        sa.Column("checked_rows", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        *_tenant_columns("import_sheet"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_import_id"],
            ["member_import.tenant_id", "member_import.id"],
            name=op.f("fk_import_sheet_tenant_id_member_import_id_member_import"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant_id", "member_import_id", name="uq_import_sheet_import"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_import_sheet_key"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.policy_sql(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.drop_policy_sql(table):
                op.execute(statement)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
