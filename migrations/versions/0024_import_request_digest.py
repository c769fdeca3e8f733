"""import API: the digest of the request an idempotency key was first used with

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-01 10:00:00

An HR system retries a member import with the same `Idempotency-Key`; the same request
again returns the first import, and the same key with another request is refused. The
digest of the first request (its file or rows and its choices) is what tells the two apart.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_sheet") as batch:
        batch.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("import_sheet") as batch:
        batch.drop_column("request_digest")
