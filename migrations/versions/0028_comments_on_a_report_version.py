"""federation: a supervisor's comment on a report names the report version it was written on

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 09:00:00

A comment written on a report page was kept only as a note on the association, and the
page showed every note since the period opened: a reopened version showed the comments on
the version before as if they were about it. `federation_comment.report_id` ties a comment
to the version it was written on.

The backfill gives each existing note on an association the report version that was the
association's latest when it was written (of a period of the same federation already open
then): the one the report page showed it beside. Notes written before any report, and
notes on guidance, keep none. The table's row-level security and grants are the table's
own (0014) and cover the new column. It has no foreign key: comments are a reference table
for Citus (tenants/citus.py), which may not point at a distributed table. The backfill reads every tenant's reports, past
row-level security on purpose, as 0015 and 0017 do.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE federation_comment SET report_id = (
    SELECT annual_report.id
    FROM annual_report
    JOIN reporting_period ON reporting_period.id = annual_report.period_id
    WHERE annual_report.tenant_id = federation_comment.association_id
      AND reporting_period.federation_id = federation_comment.federation_id
      AND reporting_period.opened_at <= federation_comment.created_at
      AND annual_report.created_at <= federation_comment.created_at
    ORDER BY reporting_period.opened_at DESC, annual_report.version DESC
    LIMIT 1
)
WHERE association_id IS NOT NULL AND guidance_id IS NULL
"""


def upgrade():
    with op.batch_alter_table("federation_comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_federation_comment_report_id"), ["report_id"], unique=False
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("federation_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_comment_report_id"))
        batch_op.drop_column("report_id")
