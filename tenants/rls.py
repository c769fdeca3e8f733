"""PostgreSQL row-level security: the second wall behind the ORM criteria.

Each transaction takes the role of its scope's kind and the scope's ids, transaction-local,
with `set_config(..., true)` at its start (and again if the scope changes inside one): a
pooled connection never carries one request's tenants into the next. The roles are named
after the database (`scope_roles`; deploy/postgres/roles.sql makes them): an association's
transaction runs as `<database>_association`, bound by one policy per table that compares the
row's tenant with the setting's id, which the planner folds into the statement's own
condition; a federation's (or a national scope's) as `<database>_federation`, bound by its
federations' rule; the system scope as `<database>_system`, which bypasses row-level
security. The login role of the service takes no scope role outside a scope, and sees only
what its scope roles' policies grant with no ids set: nothing.

On an engine passed to `send_as_set_local` (RLS_SET_LOCAL=1) they go as `SET LOCAL`
statements instead, which Citus propagates to the workers of the transaction
(`citus.propagate_set_commands = 'local'`) where it does not propagate a function call;
deploy/SCALE.md.

Migrations create a table's policies in the form every earlier migration made them (one
rule for every role, `policy_sql` and the others), then give each scope role its own with
`scope_policies_sql`; the first rule stays with the schema's owner, whose data migrations
still pass it by setting `app.bypass_rls`.
"""

from __future__ import annotations

import re
import weakref

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tenants import roundtrips
from tenants.scope import Scope, ScopeKind, peek_scope

# Used by migrations (as the owner role). `app_ids` reads a comma list setting as bigint[];
# `app_tenant` the one association of an association's scope (NULL when unset or empty, and
# an error, not a wider scope, if the setting ever held a list).
CREATE_FUNCTIONS = """
CREATE OR REPLACE FUNCTION app_ids(setting text) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
  SELECT string_to_array(NULLIF(current_setting(setting, true), ''), ',')::bigint[]
$$;
CREATE OR REPLACE FUNCTION app_tenant() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('app.tenant_ids', true), '')::bigint
$$;
CREATE OR REPLACE FUNCTION app_bypass() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.bypass_rls', true), '') = 'on'
$$;
"""

DROP_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS app_ids(text); DROP FUNCTION IF EXISTS app_tenant();"
    " DROP FUNCTION IF EXISTS app_bypass();"
)

# Each setting is read in a scalar subquery, which PostgreSQL evaluates once per statement
# (an InitPlan); a bare function call would parse the setting again for every row. The rule
# is still checked on every row read: an association's own rows pass on one comparison of
# integers (against `= ANY` of a one-id array, 30% less of the policy's cost per row).
_ASSOCIATION_RULE = (
    "(SELECT app_bypass()) OR id = (SELECT app_tenant())"
    " OR federation_id = ANY ((SELECT app_ids('app.federation_ids'))::bigint[])"
)
_TENANT_RULE = (
    "(SELECT app_bypass()) OR tenant_id = (SELECT app_tenant())"
    " OR tenant_id IN (SELECT a.id FROM association a"
    " WHERE a.federation_id = ANY ((SELECT app_ids('app.federation_ids'))::bigint[]))"
)


def policy_sql(table: str, *, tenant_column: bool = True, append_only: bool = False) -> list[str]:
    """Statements that turn on RLS for `table` (ENABLE + FORCE, so the owner is bound too).

    `tenant_column=False` is for the association table itself (its id is the tenant).
    `append_only` lets any scope insert while reads stay scoped: the tenants' audit log,
    whose events are logged where they happen (a sign-in, before its scope exists).
    """
    rule = _TENANT_RULE if tenant_column else _ASSOCIATION_RULE
    check = "true" if append_only else rule
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({check})",
    ]


# A federation's own rows: seen and written by its federation (and a national scope granted
# it). Its associations read the shared tables, through their own association row.
_FEDERATION_RULE = (
    "(SELECT app_bypass())"
    " OR federation_id = ANY ((SELECT app_ids('app.federation_ids'))::bigint[])"
)
_ASSOCIATION_READS = (
    "federation_id IN (SELECT a.federation_id FROM association a"
    " WHERE a.id = (SELECT app_tenant()))"
)


def federation_policy_sql(table: str, *, shared_with_associations: bool = False) -> list[str]:
    """Statements that turn on RLS for a federation-owned `table` (ENABLE + FORCE).

    `shared_with_associations` adds a SELECT-only policy for the associations of the row's
    federation: permissive policies add up per command, so they read and never write."""
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY federation_isolation ON {table}"
        f" USING ({_FEDERATION_RULE}) WITH CHECK ({_FEDERATION_RULE})",
    ]
    if shared_with_associations:
        statements.append(
            f"CREATE POLICY federation_association_reads ON {table}"
            f" FOR SELECT USING ({_ASSOCIATION_READS})"
        )
    return statements


def drop_federation_policy_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS federation_association_reads ON {table}",
        f"DROP POLICY IF EXISTS federation_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


# The platform's own rows (its audit log): read only past row-level security, in
# `system_scope`; appended from any scope, as an event is logged where it happens.
PLATFORM_POLICY = "platform_only"


def platform_policy_sql(table: str) -> list[str]:
    """Statements that turn on RLS for a `PlatformOwned` table (ENABLE + FORCE)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {PLATFORM_POLICY} ON {table}"
        " USING ((SELECT app_bypass())) WITH CHECK (true)",
    ]


def refresh_policies_sql(connection: sa.Connection) -> list[str]:
    """ALTER statements that bring every existing tenant policy, and the associations' reads
    of their federation's shared rows, to the current rules (for a migration after the rules
    change form); append-only policies keep `WITH CHECK (true)`."""
    rows = connection.execute(
        sa.text(
            "SELECT policyname, tablename, with_check FROM pg_policies"
            " WHERE policyname IN ('tenant_isolation', 'federation_association_reads')"
            " ORDER BY policyname, tablename"
        )
    )
    statements = []
    for policy, table, with_check in rows:
        if policy == "federation_association_reads":
            statements.append(f"ALTER POLICY {policy} ON {table} USING ({_ASSOCIATION_READS})")
            continue
        rule = _ASSOCIATION_RULE if table == "association" else _TENANT_RULE
        check = "true" if with_check == "true" else rule
        statements.append(f"ALTER POLICY {policy} ON {table} USING ({rule}) WITH CHECK ({check})")
    return statements


def drop_policy_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


# --- one role per kind of scope -----------------------------------------------------------

ASSOCIATION_ROLE, FEDERATION_ROLE, SYSTEM_ROLE = "association", "federation", "system"
_ROLE_OF_KIND = {
    ScopeKind.ASSOCIATION: ASSOCIATION_ROLE,
    ScopeKind.FEDERATION: FEDERATION_ROLE,
    ScopeKind.NATIONAL: FEDERATION_ROLE,
    ScopeKind.SYSTEM: SYSTEM_ROLE,
}
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def scope_roles(database: str) -> dict[str, str]:
    """The scope roles of `database`, by kind: `<database>_association` and so on."""
    if not _ROLE_NAME.fullmatch(database):
        raise ValueError(
            f"scope roles are named after the database; not a plain name: {database!r}"
        )
    return {kind: f"{database}_{kind}" for kind in (ASSOCIATION_ROLE, FEDERATION_ROLE, SYSTEM_ROLE)}


_FEDERATIONS = "(SELECT app_ids('app.federation_ids'))::bigint[]"
# Each scope role's rule beside the one for every role (the association table's own): a role
# not named has no policy on the table, and sees none of its rows.
_SCOPE_RULES = {
    "tenant_isolation": {
        ASSOCIATION_ROLE: "tenant_id = (SELECT app_tenant())",
        FEDERATION_ROLE: "tenant_id IN (SELECT a.id FROM association a WHERE a.federation_id"
        " = ANY ((SELECT app_ids('app.federation_ids'))::bigint[]))",
    },
    "association": {
        ASSOCIATION_ROLE: "id = (SELECT app_tenant())",
        FEDERATION_ROLE: f"federation_id = ANY ({_FEDERATIONS})",
    },
    "federation_isolation": {FEDERATION_ROLE: f"federation_id = ANY ({_FEDERATIONS})"},
}
SCOPE_POLICY = {ASSOCIATION_ROLE: "association_scope", FEDERATION_ROLE: "federation_scope"}

_PUBLIC_POLICIES = sa.text(
    "SELECT policyname, tablename, with_check FROM pg_policies"
    " WHERE schemaname = 'public' AND roles = '{public}'"
    " AND policyname IN"
    " ('tenant_isolation', 'federation_isolation', 'federation_association_reads')"
    " ORDER BY tablename, policyname"
)


def scope_policies_sql(connection: sa.Connection) -> list[str]:
    """Statements that give each scope role of the connection's database its own policies on
    every table whose rule is still one for every role: the rule goes to the schema's owner
    (the connection's user, who runs migrations), each scope role gets its own, and an
    association's read of its federation's shared rows becomes the association role's."""
    database, owner = connection.execute(sa.text("SELECT current_database(), current_user")).one()
    roles = scope_roles(database)
    if not _ROLE_NAME.fullmatch(owner):
        raise ValueError(f"not a plain role name: {owner!r}")
    statements = []
    for policy, table, with_check in connection.execute(_PUBLIC_POLICIES):
        if policy == "federation_association_reads":
            statements.append(f"ALTER POLICY {policy} ON {table} TO {roles[ASSOCIATION_ROLE]}")
            continue
        statements.append(f"ALTER POLICY {policy} ON {table} TO {owner}")
        rules = _SCOPE_RULES["association" if table == "association" else policy]
        for kind, rule in rules.items():
            check = "true" if with_check == "true" else rule
            statements.append(
                f"CREATE POLICY {SCOPE_POLICY[kind]} ON {table} TO {roles[kind]}"
                f" USING ({rule}) WITH CHECK ({check})"
            )
    return statements


def public_policies_sql(connection: sa.Connection) -> list[str]:
    """The reverse of `scope_policies_sql`: one rule for every role again."""
    rows = connection.execute(
        sa.text(
            "SELECT policyname, tablename FROM pg_policies WHERE schemaname = 'public'"
            " AND (policyname IN ('association_scope', 'federation_scope')"
            " OR (policyname IN ('tenant_isolation', 'federation_isolation',"
            " 'federation_association_reads') AND roles <> '{public}'))"
            " ORDER BY tablename, policyname"
        )
    )
    statements = []
    for policy, table in rows:
        if policy in SCOPE_POLICY.values():
            statements.append(f"DROP POLICY {policy} ON {table}")
        else:
            statements.append(f"ALTER POLICY {policy} ON {table} TO PUBLIC")
    return statements


def settings_for(scope: Scope | None, roles: dict[str, str]) -> dict[str, str]:
    """The role and the two settings a scope stands for, with `roles` of the database
    (`scope_roles`); no scope (or an empty one) keeps the login role and sees nothing."""
    role, tenants, federations = "none", "", ""
    if scope is not None and scope.kind in _ROLE_OF_KIND:
        role = roles[_ROLE_OF_KIND[scope.kind]]
        if scope.kind is ScopeKind.ASSOCIATION:
            tenants = str(scope.association_id)
        elif scope.kind in (ScopeKind.FEDERATION, ScopeKind.NATIONAL):
            federations = ",".join(str(f) for f in sorted(scope.federation_ids))
    return {"role": role, "t": tenants, "f": federations}


# In the driver's paramstyle: it rides in the pipeline of the next statement (roundtrips).
# The role first: it decides which policies bind the statements that follow.
_SET = (
    "SELECT set_config('role', %s, true), set_config('app.tenant_ids', %s, true),"
    " set_config('app.federation_ids', %s, true)"
)


_UNSET = object()

# Engines whose transactions get the settings as SET LOCAL statements.
_set_local: weakref.WeakSet[sa.Engine] = weakref.WeakSet()

# What a setting may hold: ids and commas. SET takes no parameters, so the values are
# written into the statement, and only values of this form (and roles of `_ROLE_NAME`) are.
_SETTING_VALUE = re.compile(r"[0-9,]*")


def send_as_set_local(engine: sa.Engine, on: bool = True) -> None:
    """Send the settings on `engine`'s transactions as `SET LOCAL` (for Citus), or not."""
    if on:
        _set_local.add(engine)
    else:
        _set_local.discard(engine)


def set_local_statements(settings: dict[str, str]) -> tuple[tuple[str, None], ...]:
    """The role and the settings as `SET LOCAL` statements, ended with the transaction as
    set_config(..., true) is."""
    role = settings["role"]
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"not a role: {role!r}")
    statements = [f"SET LOCAL ROLE {'NONE' if role == 'none' else role}"]
    for name, key in (("app.tenant_ids", "t"), ("app.federation_ids", "f")):
        value = settings[key]
        if not _SETTING_VALUE.fullmatch(value):
            raise ValueError(f"not a setting value: {value!r}")
        statements.append(f"SET LOCAL {name} = '{value}'")
    return tuple((statement, None) for statement in statements)


def roles_of(connection: sa.Connection) -> dict[str, str]:
    """The scope roles of the database `connection` is on (read from the driver's connection,
    no round trip), kept with the pooled connection."""
    roles = connection.info.get("scope_roles")
    if roles is None:
        database = connection.connection.dbapi_connection.info.dbname
        roles = connection.info["scope_roles"] = scope_roles(database)
    return roles


def _apply(session: Session, connection: sa.Connection, *, fresh: bool = False) -> None:
    """Set the scope's role and settings on the transaction, sent in the same round trip as
    its next statement and ahead of it (a pipeline aborts what follows a failed statement,
    so no statement runs without them). A fresh transaction that is to see nothing needs
    none: set_config(..., true) ends with its transaction, and the login role with no ids
    set sees nothing (see `app_ids`, `app_tenant`)."""
    scope = peek_scope()
    if connection.dialect.name == "postgresql":
        settings = settings_for(scope, roles_of(connection))
        if not (fresh and settings["role"] == "none"):
            if connection.engine in _set_local:
                roundtrips.defer_all(connection, set_local_statements(settings))
            else:
                roundtrips.defer(connection, _SET, (settings["role"], settings["t"], settings["f"]))
    session.info["rls_scope"] = scope
    # Which session's scope the connection now carries: two sessions on one connection (the
    # tests' request and test body, each committing its savepoint) must not trust each other's.
    connection.info["rls_applied"] = (id(session), scope)


def _after_begin(session: Session, transaction, connection: sa.Connection) -> None:
    # A session joined to a connection someone else began (the tests' savepoints) may find
    # settings of an earlier scope on it: only a transaction the session began is fresh.
    fresh = not isinstance(session.bind, sa.Connection) and not connection.in_nested_transaction()
    _apply(session, connection, fresh=fresh)


def resync(session: Session) -> None:
    """Re-apply when the scope changed inside a transaction (a `system_scope` block in a
    request), or when the session joined a transaction begun elsewhere."""
    scope = session.info.get("rls_scope", _UNSET)
    if (
        scope is not _UNSET
        and scope == peek_scope()
        and not isinstance(session.bind, sa.Connection)
    ):
        # The session began this transaction on a connection of its own and applied the
        # scope in force: no need to ask the pool for that connection before each statement.
        return
    # Take the connection first: when that begins the transaction, `_after_begin` has set
    # the scope already, and a second set_config would cost a round trip per transaction.
    connection = session.connection()
    scope = session.info.get("rls_scope", _UNSET)
    if scope != peek_scope() or connection.info.get("rls_applied") != (id(session), scope):
        _apply(session, connection)


def _before_execute(state: ORMExecuteState) -> None:
    resync(state.session)


def _before_flush(session: Session, flush_context, instances) -> None:
    resync(session)


def _after_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("rls_scope", None)


def install(session_class: type[Session]) -> None:
    """Set the scope's settings on every PostgreSQL transaction of `session_class`."""
    if not event.contains(session_class, "after_begin", _after_begin):
        event.listen(session_class, "after_begin", _after_begin)
        event.listen(session_class, "do_orm_execute", _before_execute)
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_transaction_end", _after_end)
