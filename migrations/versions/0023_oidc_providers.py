"""accounts: OpenID Connect providers beside CAS; a link's provider is the tenant's own

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-01 10:00:00

An association's identity provider may be an OpenID Connect provider: its client id and
secret (sealed with the service's secrets key), and whether an ID token asserting MFA counts
as the second factor of a privileged account. A link names its provider by the composite
tenant key, so that it can never point at another association's provider.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("identity_provider") as batch:
        batch.add_column(sa.Column("client_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("client_secret", sa.String(length=500), nullable=True))
        batch.add_column(
            sa.Column("mfa_counts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("mfa_acr_values", sa.String(length=300), nullable=False, server_default="")
        )
    with op.batch_alter_table("identity_provider") as batch:
        batch.alter_column("mfa_counts", server_default=None)
        batch.alter_column("mfa_acr_values", server_default=None)
    with op.batch_alter_table("sso_link") as batch:
        batch.drop_constraint("fk_sso_link_provider_id_identity_provider", type_="foreignkey")
        batch.create_foreign_key(
            "fk_sso_link_tenant_id_provider_id_identity_provider",
            "identity_provider",
            ["tenant_id", "provider_id"],
            ["tenant_id", "id"],
        )


def downgrade():
    with op.batch_alter_table("sso_link") as batch:
        batch.drop_constraint(
            "fk_sso_link_tenant_id_provider_id_identity_provider", type_="foreignkey"
        )
        batch.create_foreign_key(
            "fk_sso_link_provider_id_identity_provider",
            "identity_provider",
            ["provider_id"],
            ["id"],
        )
    with op.batch_alter_table("identity_provider") as batch:
        batch.drop_column("mfa_acr_values")
        batch.drop_column("mfa_counts")
        batch.drop_column("client_secret")
        batch.drop_column("client_id")
