"""compliance over history: findings per period, explanations, reminders per state, problems
linked to findings

Revision ID: 0017
Revises: 0020
Create Date: 2026-11-29 22:00:00

A finding is kept per (association, rule, period): a year, or a congress term keyed by the
day of the congress that began it ("none" before any congress). Existing findings get the
period they were evaluated in; the next recompute fills in the rest. A finding may carry the
federation's explanation (who, when, what) or the day it was archived. Reminders are kept
per rule, period and state (all existing ones were "due soon" reminders). A federation
problem may be linked to findings (`federation_problem_finding`, federation-owned, with
row-level security like the other federation tables).
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0017"
down_revision = "0020"
branch_labels = None
depends_on = None

YEARLY_MEETINGS = ("committee_meets", "standing_committee_meets")


def upgrade():
    op.create_table(
        "federation_problem_finding",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=120), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id", "finding_id"],
            ["compliance_finding.tenant_id", "compliance_finding.id"],
            name=op.f("fk_federation_problem_finding_association_id_finding_id_compliance_finding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_federation_problem_finding_association_id_association"),
        ),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federation.id"],
            name=op.f("fk_federation_problem_finding_federation_id_federation"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["federation_problem.id"],
            name=op.f("fk_federation_problem_finding_problem_id_federation_problem"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_problem_finding")),
        sa.UniqueConstraint(
            "problem_id",
            "finding_id",
            name=op.f("uq_federation_problem_finding_problem_id_finding_id"),
        ),
    )
    with op.batch_alter_table("federation_problem_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_problem_finding_federation_id"),
            ["federation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_federation_problem_finding_problem_id"), ["problem_id"], unique=False
        )

    with op.batch_alter_table("compliance_finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("period_starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("explanation", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("explained_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("explained_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("archived_on", sa.Date(), nullable=True))
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=10), nullable=True))

    _migrate_rows()

    with op.batch_alter_table("compliance_finding", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_constraint("uq_compliance_finding_rule", type_="unique")
        batch_op.create_unique_constraint(
            "uq_compliance_finding_period", ["tenant_id", "rule", "period"]
        )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("state", existing_type=sa.String(length=10), nullable=False)
        batch_op.drop_constraint("uq_reminder_rule_due", type_="unique")
        batch_op.create_unique_constraint(
            "uq_reminder_state", ["tenant_id", "rule", "period", "state"]
        )

    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.federation_policy_sql("federation_problem_finding"):
            op.execute(statement)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _migrate_rows() -> None:
    """Give every existing finding and reminder its period (every tenant's: past row-level
    security on purpose)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    congresses: dict[int, list[date]] = {}
    for tenant_id, held_on in bind.execute(sa.text("SELECT tenant_id, held_on FROM congress")):
        congresses.setdefault(tenant_id, []).append(_as_date(held_on))

    def term(tenant_id: int, day: date, inclusive: bool) -> str:
        """The term in course on `day`: keyed by its congress, "none" before any."""
        held = [d for d in congresses.get(tenant_id, []) if d < day or (inclusive and d == day)]
        return max(held).isoformat() if held else "none"

    findings = bind.execute(
        sa.text("SELECT id, tenant_id, rule, evaluated_on FROM compliance_finding")
    ).all()
    for id_, tenant_id, rule, evaluated_on in findings:
        day = _as_date(evaluated_on)
        if rule == "congress":
            period = term(tenant_id, day, inclusive=True)
            starts = None if period == "none" else date.fromisoformat(period)
            due = None  # depends on the province's thresholds: the next recompute sets it
        else:
            period, starts, due = str(day.year), date(day.year, 1, 1), date(day.year, 12, 31)
        bind.execute(
            sa.text(
                "UPDATE compliance_finding SET period = :period, period_starts_on = :starts,"
                " due_on = :due WHERE id = :id"
            ),
            {"period": period, "starts": starts, "due": due, "id": id_},
        )

    seen: set[tuple] = set()
    reminders = bind.execute(
        sa.text("SELECT id, tenant_id, rule, due_on FROM reminder ORDER BY sent_on, id")
    ).all()
    for id_, tenant_id, rule, due_on in reminders:
        due = _as_date(due_on)
        if rule == "congress":
            period = term(tenant_id, due, inclusive=False)
        elif rule in YEARLY_MEETINGS and (due.month, due.day) == (1, 1):
            period = str(due.year - 1)  # "due by the new year": the year before it
        else:
            period = str(due.year)
        key = (tenant_id, rule, period)
        if key in seen:  # the same term reminded twice under two due dates: keep the first
            bind.execute(sa.text("DELETE FROM reminder WHERE id = :id"), {"id": id_})
            continue
        seen.add(key)
        bind.execute(
            sa.text("UPDATE reminder SET period = :period, state = 'due_soon' WHERE id = :id"),
            {"period": period, "id": id_},
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.drop_federation_policy_sql("federation_problem_finding"):
            op.execute(statement)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('app.bypass_rls', 'on', true)"))
    # One finding per rule again: keep each rule's latest period; one reminder per due date.
    bind.execute(
        sa.text(
            "DELETE FROM compliance_finding WHERE id NOT IN (SELECT max(id) FROM"
            " compliance_finding GROUP BY tenant_id, rule)"
        )
    )
    bind.execute(
        sa.text(
            "DELETE FROM reminder WHERE id NOT IN (SELECT min(id) FROM reminder"
            " GROUP BY tenant_id, rule, due_on)"
        )
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminder_state", type_="unique")
        batch_op.create_unique_constraint("uq_reminder_rule_due", ["tenant_id", "rule", "due_on"])
        batch_op.drop_column("state")
        batch_op.drop_column("period")

    with op.batch_alter_table("compliance_finding", schema=None) as batch_op:
        batch_op.drop_constraint("uq_compliance_finding_period", type_="unique")
        batch_op.create_unique_constraint("uq_compliance_finding_rule", ["tenant_id", "rule"])
        batch_op.drop_column("archived_on")
        batch_op.drop_column("explained_at")
        batch_op.drop_column("explained_by")
        batch_op.drop_column("explanation")
        batch_op.drop_column("due_on")
        batch_op.drop_column("period_starts_on")
        batch_op.drop_column("period")

    with op.batch_alter_table("federation_problem_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_problem_finding_problem_id"))
        batch_op.drop_index(batch_op.f("ix_federation_problem_finding_federation_id"))
    op.drop_table("federation_problem_finding")
