"""row-level security: a role per kind of scope, each bound by its own policy alone

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 09:00:00

PostgreSQL ORs every permissive policy that applies to a role into one filter checked on
every row read: an association's read checked its own rule, the federations' and the
bypass's on each row (a third of what the read cost the database). A transaction now takes
the role of its scope's kind (`tenants.rls`): `<database>_association` is bound by one
policy per table, `tenant_id = (SELECT app_tenant())`, which the planner folds into the
statement's own condition on the tenant; `<database>_federation` by its federations' rule;
`<database>_system` bypasses row-level security. The rule for every role stays with the
schema's owner (its data migrations pass it with `app.bypass_rls`).

The roles are made by a superuser (deploy/postgres/roles.sql; an existing deployment runs the
statements deploy/README.md lists, before this migration); this one grants them the tables
and sequences as the service's login role has them, for the tables to come as well, and
gives each its policies.
"""

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# What every other role (the login role) holds on each table, sequence and function, the
# owner's and the scope roles' own aside: the scope roles get the same, so the locked tables of
# 0016 stay without DELETE for them too, and they may call what 0025 lets the login role call.
GRANTED = """
SELECT DISTINCT CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE '' END || c.relname,
       a.privilege_type
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL aclexplode(c.relacl) a
JOIN pg_roles r ON r.oid = a.grantee
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND a.grantee <> c.relowner
  AND r.rolname <> ALL (:scope_roles)
UNION
SELECT DISTINCT 'FUNCTION ' || p.oid::regprocedure::text, a.privilege_type
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL aclexplode(p.proacl) a
JOIN pg_roles r ON r.oid = a.grantee
WHERE n.nspname = 'public' AND a.grantee <> p.proowner AND r.rolname <> ALL (:scope_roles)
ORDER BY 1, 2
"""
# The login role's default privileges (deploy/postgres/roles.sql), for tables to come.
DEFAULT_PRIVILEGES = (("SELECT, INSERT, UPDATE, DELETE", "TABLES"), ("USAGE, SELECT", "SEQUENCES"))
ROLES_MISSING = """\
migration 0035 needs the scope roles of database {database}, made by a superuser:
  CREATE ROLE {association} NOLOGIN NOBYPASSRLS;
  CREATE ROLE {federation} NOLOGIN NOBYPASSRLS;
  CREATE ROLE {system} NOLOGIN BYPASSRLS;
  GRANT {association}, {federation}, {system} TO <the service's login role>;
(deploy/README.md, "Upgrading")"""


def _roles_of_database(bind: sa.Connection) -> dict[str, str]:
    return rls.scope_roles(bind.scalar(sa.text("SELECT current_database()")))


def _scope_roles(bind: sa.Connection) -> dict[str, str]:
    """The database's scope roles, which must exist, the system's with BYPASSRLS."""
    roles = _roles_of_database(bind)
    bypass = dict(
        bind.execute(
            sa.text("SELECT rolname, rolbypassrls FROM pg_roles WHERE rolname = ANY (:names)"),
            {"names": list(roles.values())},
        ).all()
    )
    if set(bypass) != set(roles.values()) or not bypass[roles[rls.SYSTEM_ROLE]]:
        database = bind.scalar(sa.text("SELECT current_database()"))
        raise RuntimeError(ROLES_MISSING.format(database=database, **roles))
    return roles


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    roles = _scope_roles(bind)
    names = ", ".join(roles.values())
    granted = bind.execute(sa.text(GRANTED), {"scope_roles": list(roles.values())}).all()
    for on, privilege in granted:
        op.execute(f"GRANT {privilege} ON {on} TO {names}")
    for privileges, objects in DEFAULT_PRIVILEGES:
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {privileges} ON {objects} TO {names}"
        )
    for statement in rls.scope_policies_sql(bind):
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in rls.public_policies_sql(bind):
        op.execute(statement)
    names = ", ".join(_roles_of_database(bind).values())
    for privileges, objects in DEFAULT_PRIVILEGES:
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {privileges} ON {objects}"
            f" FROM {names}"
        )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {names}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {names}")
    op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {names}")
