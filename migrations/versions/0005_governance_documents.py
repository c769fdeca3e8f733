"""governance documents: an application's supporting documents, the association's founding
documents, and meeting minutes as a file

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:00:00

"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "application_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["establishment_application.id"],
            name=op.f("fk_application_document_application_id_establishment_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_document")),
    )
    op.create_index(
        op.f("ix_application_document_application_id"),
        "application_document",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "founding_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "file_id"],
            ["stored_file.tenant_id", "stored_file.id"],
            name=op.f("fk_founding_document_tenant_id_file_id_stored_file"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["association.id"],
            name=op.f("fk_founding_document_tenant_id_association"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_founding_document")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_founding_document_tenant_id_id")),
    )
    with op.batch_alter_table("governance_meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes_file_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_governance_meeting_tenant_id_minutes_file_id_stored_file"),
            "stored_file",
            ["tenant_id", "minutes_file_id"],
            ["tenant_id", "id"],
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.policy_sql("founding_document"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("governance_meeting", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_governance_meeting_tenant_id_minutes_file_id_stored_file"),
            type_="foreignkey",
        )
        batch_op.drop_column("minutes_file_id")
    op.drop_table("founding_document")
    op.drop_index(op.f("ix_application_document_application_id"), table_name="application_document")
    op.drop_table("application_document")
