"""accounts: the second factor (TOTP) and its recovery codes

Revision ID: 0021
Revises: 0014
Create Date: 2026-11-29 22:00:00

Privileged accounts (officers, education supervisors, association admins, the operator)
sign in with a time-based one-time code besides the password. The TOTP key is kept sealed
(encrypted with the service's secrets key), the last accepted time step refuses a replayed
code, and the recovery codes are kept as hashes only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0014"
branch_labels = None
depends_on = None


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


def downgrade():
    op.drop_index(
        op.f("ix_second_factor_recovery_code_user_id"), table_name="second_factor_recovery_code"
    )
    op.drop_table("second_factor_recovery_code")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enrolled_at")
        batch.drop_column("totp_secret")
