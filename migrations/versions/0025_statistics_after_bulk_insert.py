"""imports: the service may refresh a table's planner statistics after a bulk insert

Revision ID: 0025
Revises: 0023
Create Date: 2026-11-30 03:00:00

PostgreSQL checks each foreign key of a bulk-inserted row with a plan made from the table's
statistics. When they were taken while the table was nearly empty (a new deployment, a
new association's first import), that plan scans the table for every row: 10,000 imported
members took 5 s to get their dated history rows instead of 0.1 s. ANALYZE fixes the plan,
but only the owner may run it, and the service connects as a role that owns nothing. This
function, owned by the owner, analyses one of the bulk-imported tables, only when its
statistics count fewer rows than were just inserted, and gives up at once rather than wait
for another import's ANALYZE of the same table. Execution is granted to the roles that may
insert members (the app role), not to PUBLIC.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION refresh_statistics_after_bulk_insert(table_name text, inserted integer)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public SET lock_timeout = '100ms' AS $$
BEGIN
  IF table_name NOT IN ('member', 'member_status_change', 'group_member', 'activity') THEN
    RAISE EXCEPTION 'not a bulk-imported table: %', table_name;
  END IF;
  IF (SELECT reltuples FROM pg_class WHERE oid = table_name::regclass) >= inserted THEN
    RETURN;
  END IF;
  EXECUTE format('ANALYZE %I', table_name);
EXCEPTION WHEN lock_not_available THEN
  RETURN;  -- another transaction is analysing it: its statistics will do
END $$
"""

INSERT_GRANTEES = """
SELECT DISTINCT quote_ident(r.rolname)
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
JOIN pg_roles r ON r.oid = a.grantee
WHERE c.relname = 'member' AND c.relkind = 'r' AND a.privilege_type = 'INSERT'
  AND a.grantee <> c.relowner
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite plans without statistics
    op.execute(FUNCTION)
    op.execute(
        "REVOKE ALL ON FUNCTION refresh_statistics_after_bulk_insert(text, integer) FROM PUBLIC"
    )
    for grantee in bind.execute(sa.text(INSERT_GRANTEES)).scalars():
        op.execute(
            f"GRANT EXECUTE ON FUNCTION refresh_statistics_after_bulk_insert(text, integer) TO {grantee}"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS refresh_statistics_after_bulk_insert(text, integer)")
