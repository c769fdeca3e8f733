"""PostgreSQL row-level security: the second wall behind the ORM criteria.

Policies read transaction-local settings that `install()` sets at the start of every
transaction (and again if the scope changes inside one) with `set_config(..., true)`:
a pooled connection never carries one request's tenants into the next. On an engine passed
to `send_as_set_local` (RLS_SET_LOCAL=1) they go as three `SET LOCAL` statements instead,
which Citus propagates to the workers of the transaction (`citus.propagate_set_commands =
'local'`) where it does not propagate a function call; deploy/SCALE.md.
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


def settings_for(scope: Scope | None) -> dict[str, str]:
    """The three settings a scope stands for; no scope (or an empty one) sees nothing."""
    tenants, federations, bypass = "", "", "off"
    if scope is not None:
        if scope.kind is ScopeKind.SYSTEM:
            bypass = "on"
        elif scope.kind is ScopeKind.ASSOCIATION:
            tenants = str(scope.association_id)
        elif scope.kind in (ScopeKind.FEDERATION, ScopeKind.NATIONAL):
            federations = ",".join(str(f) for f in sorted(scope.federation_ids))
    return {"t": tenants, "f": federations, "b": bypass}


# In the driver's paramstyle: it rides in the pipeline of the next statement (roundtrips).
_SET = (
    "SELECT set_config('app.tenant_ids', %s, true), set_config('app.federation_ids', %s, true),"
    " set_config('app.bypass_rls', %s, true)"
)


_UNSET = object()

# Engines whose transactions get the settings as SET LOCAL statements.
_set_local: weakref.WeakSet[sa.Engine] = weakref.WeakSet()

# What a setting may hold: ids and commas, or on/off. SET takes no parameters, so the
# values are written into the statement, and only values of this form ever are.
_SETTING_VALUE = re.compile(r"[0-9,]*|on|off")


def send_as_set_local(engine: sa.Engine, on: bool = True) -> None:
    """Send the settings on `engine`'s transactions as `SET LOCAL` (for Citus), or not."""
    if on:
        _set_local.add(engine)
    else:
        _set_local.discard(engine)


def set_local_statements(settings: dict[str, str]) -> tuple[tuple[str, None], ...]:
    """The settings as three `SET LOCAL` statements, ended with the transaction as
    set_config(..., true) is."""
    names = (("app.tenant_ids", "t"), ("app.federation_ids", "f"), ("app.bypass_rls", "b"))
    statements = []
    for name, key in names:
        value = settings[key]
        if not _SETTING_VALUE.fullmatch(value):
            raise ValueError(f"not a setting value: {value!r}")
        statements.append((f"SET LOCAL {name} = '{value}'", None))
    return tuple(statements)


NOTHING = settings_for(None)


def _apply(session: Session, connection: sa.Connection, *, fresh: bool = False) -> None:
    """Set the scope's settings on the transaction, sent in the same round trip as its
    next statement and ahead of it (a pipeline aborts what follows a failed statement, so
    no statement runs without them). A fresh transaction that is to see nothing needs no
    settings: set_config(..., true) ends with its transaction, and unset settings fail
    closed like empty ones (see `app_ids`, `app_bypass`)."""
    scope = peek_scope()
    settings = settings_for(scope)
    if connection.dialect.name == "postgresql" and not (fresh and settings == NOTHING):
        if connection.engine in _set_local:
            roundtrips.defer_all(connection, set_local_statements(settings))
        else:
            roundtrips.defer(connection, _SET, (settings["t"], settings["f"], settings["b"]))
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
