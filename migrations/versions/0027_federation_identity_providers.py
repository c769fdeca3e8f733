"""accounts: a federation's own identity provider for its officers and supervisors, and the
links of their existing accounts to it

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-03 10:00:00

A federation may sign its officers and education supervisors in through its own CAS server
or OpenID Connect provider. The provider only links accounts that already exist (by their
e-mail address, with the person's confirmation): it never makes an account or grants a
role. Both tables are federation-owned rows, under the federation's row-level security
like every other (`FederationOnly`: its associations never see them). A link names its
provider by the composite federation key, so that it can never point at another
federation's provider.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0027"
down_revision = "0024"
branch_labels = None
depends_on = None

FEDERATION_ONLY = ["federation_identity_provider", "federation_sso_link"]


def upgrade():
    op.create_table(
        "federation_identity_provider",
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("server_url", sa.String(length=300), nullable=False),
        sa.Column("cas_version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("client_secret", sa.String(length=500), nullable=True),
        sa.Column("mfa_counts", sa.Boolean(), nullable=False),
        sa.Column("mfa_acr_values", sa.String(length=300), nullable=False),
        sa.Column("match_attribute", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federation.id"],
            name=op.f("fk_federation_identity_provider_federation_id_federation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_identity_provider")),
        sa.UniqueConstraint(
            "federation_id", "id", name=op.f("uq_federation_identity_provider_federation_id_id")
        ),
        sa.UniqueConstraint(
            "federation_id", name=op.f("uq_federation_identity_provider_federation_id")
        ),
    )
    op.create_table(
        "federation_sso_link",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id", "provider_id"],
            ["federation_identity_provider.federation_id", "federation_identity_provider.id"],
            name="fk_federation_sso_link_provider",
        ),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federation.id"],
            name=op.f("fk_federation_sso_link_federation_id_federation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_federation_sso_link_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_sso_link")),
        sa.UniqueConstraint("provider_id", "subject", name="uq_federation_sso_link_subject"),
        sa.UniqueConstraint("user_id", name=op.f("uq_federation_sso_link_user_id")),
    )
    op.create_index(
        op.f("ix_federation_sso_link_federation_id"),
        "federation_sso_link",
        ["federation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_federation_sso_link_provider_id"),
        "federation_sso_link",
        ["provider_id"],
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
    op.drop_index(op.f("ix_federation_sso_link_provider_id"), table_name="federation_sso_link")
    op.drop_index(op.f("ix_federation_sso_link_federation_id"), table_name="federation_sso_link")
    op.drop_table("federation_sso_link")
    op.drop_table("federation_identity_provider")
