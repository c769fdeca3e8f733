"""accounts: single-use password links, the address on file, and accounts awaiting their
first password

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 18:30:00

A link was valid as long as the password hash it signed had not changed, so every new link
worked; now each link is a row, spent when used and superseded by the next one. Accounts
that have never set a password are marked, so that a link can be issued by someone else
for them only. The first administrators made on establishment approval who have not yet
set a password are the only such accounts today.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column(
                "awaits_first_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_password_link_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
    )
    op.create_index(op.f("ix_password_link_user_id"), "password_link", ["user_id"], unique=False)
    # The first administrator of an association made by establishment approval (its oldest
    # admin) who has not yet set a password still waits for its link; its address on file is
    # the application's contact address. establishment_application is not tenant data, so
    # no row-level security hides it from the migration.
    op.execute(
        """
        UPDATE user_account SET awaits_first_password = true
        WHERE password_changed_at IS NULL AND id IN (
            SELECT min(u.id) FROM user_account u
            JOIN establishment_application a ON a.association_id = u.association_id
            WHERE u.role = 'association_admin'
            GROUP BY u.association_id
        )
        """
    )
    op.execute(
        """
        UPDATE user_account SET email = (
            SELECT min(a.contact_email) FROM establishment_application a
            WHERE a.association_id = user_account.association_id
        )
        WHERE id IN (
            SELECT min(u.id) FROM user_account u
            JOIN establishment_application a ON a.association_id = u.association_id
            WHERE u.role = 'association_admin'
            GROUP BY u.association_id
        )
        """
    )


def downgrade():
    op.drop_index(op.f("ix_password_link_user_id"), table_name="password_link")
    op.drop_table("password_link")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("awaits_first_password")
        batch_op.drop_column("email")
