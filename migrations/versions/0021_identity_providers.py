"""accounts: the second factor (TOTP) and its recovery codes; the associations' identity
providers (CAS) and the links of their users to member accounts

Revision ID: 0021
Revises: 0017
Create Date: 2026-11-29 22:00:00

Privileged accounts (officers, education supervisors, association admins, the operator)
sign in with a time-based one-time code besides the password. The TOTP key is kept sealed
(encrypted with the service's secrets key), the last accepted time step refuses a replayed
code, and the recovery codes are kept as hashes only. An association's CAS server and
the links from its users to the association's accounts are tenant rows, under row-level
security like every other.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None

TENANT_TABLES = ["identity_provider", "sso_link"]


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("totp_enrolled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "second_factor_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_second_factor_recovery_code_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_factor_recovery_code")),
    )
    op.create_index(
        op.f("ix_second_factor_recovery_code_user_id"),
        "second_factor_recovery_code",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "identity_provider",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("server_url", sa.String(length=300), nullable=False),
        sa.Column("cas_version", sa.Integer(), nullable=False),
        sa.Column("match_field", sa.String(length=16), nullable=False),
        sa.Column("match_attribute", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("members_without_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["association.id"],
            name=op.f("fk_identity_provider_tenant_id_association"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_provider")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_identity_provider_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", name="uq_identity_provider_tenant"),
    )
    op.create_table(
        "sso_link",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_provider.id"],
            name=op.f("fk_sso_link_provider_id_identity_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["association.id"], name=op.f("fk_sso_link_tenant_id_association")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_sso_link_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_link")),
        sa.UniqueConstraint("provider_id", "subject", name="uq_sso_link_provider_subject"),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_sso_link_tenant_id_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_sso_link_user_id")),
    )
    op.create_index(op.f("ix_sso_link_provider_id"), "sso_link", ["provider_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.policy_sql(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.drop_policy_sql(table):
                op.execute(statement)
    op.drop_index(op.f("ix_sso_link_provider_id"), table_name="sso_link")
    op.drop_table("sso_link")
    op.drop_table("identity_provider")
    op.drop_index(
        op.f("ix_second_factor_recovery_code_user_id"), table_name="second_factor_recovery_code"
    )
    op.drop_table("second_factor_recovery_code")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enrolled_at")
        batch.drop_column("totp_secret")
