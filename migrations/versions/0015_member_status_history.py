"""membership history: members' dated status changes, group members' joining date

Revision ID: 0015
Revises: 0016
Create Date: 2026-11-29 22:10:00

The statistics count members and group members as at a year's end from the dates things
happened. Every member gets a "joined" row at its joining date and, when it is no longer
active, a row at the date its status changed (its joining date when none was kept); every
group member gets its joining date from the day its record was made.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_status_change",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["member.tenant_id", "member.id"],
            name=op.f("fk_member_status_change_tenant_id_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["association.id"],
            name=op.f("fk_member_status_change_tenant_id_association"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_status_change")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_member_status_change_tenant_id_id")),
    )
    with op.batch_alter_table("member_status_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_status_change_tenant_day", ["tenant_id", "changed_on"], unique=False
        )
    # SQLite makes a column NOT NULL only by rebuilding the table, and rebuilding group_member
    # (which other tables reference) trips their foreign keys: the column comes NOT NULL with
    # a placeholder default, which the backfill below overwrites in every row.
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("joined_on", sa.Date(), nullable=False, server_default="1970-01-01")
        )

    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        for statement in rls.policy_sql("member_status_change"):
            op.execute(statement)
        # The backfill reads and writes every tenant's rows: past row-level security on purpose.
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    _backfill(postgresql)
    if postgresql:  # the model has no default: new rows get theirs from the application
        op.alter_column("group_member", "joined_on", server_default=None)


def _backfill(postgresql: bool) -> None:
    if postgresql:
        op.execute("UPDATE group_member SET joined_on = CAST(created_at AS DATE)")
    else:
        op.execute("UPDATE group_member SET joined_on = date(created_at)")
    op.execute(
        """
        INSERT INTO member_status_change (tenant_id, member_id, change, status, changed_on)
        SELECT tenant_id, id, 'joined', 'active', joined_on FROM member ORDER BY id
        """
    )
    # An erased member was made "withdrawn" by the erasure.
    op.execute(
        """
        INSERT INTO member_status_change (tenant_id, member_id, change, status, changed_on)
        SELECT tenant_id, id,
               CASE WHEN erased_at IS NOT NULL THEN 'erased'
                    WHEN status = 'lapsed' THEN 'lapsed'
                    WHEN status = 'deceased' THEN 'died'
                    ELSE 'withdrew' END,
               status, COALESCE(status_changed_on, joined_on)
        FROM member WHERE status <> 'active' ORDER BY id
        """
    )


def downgrade():
    op.drop_column("group_member", "joined_on")  # SQLite drops it in place: no rebuild
    with op.batch_alter_table("member_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_member_status_change_tenant_day")
    op.drop_table("member_status_change")
