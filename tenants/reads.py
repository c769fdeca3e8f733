"""The hottest reads as Core statements built once, the scope's condition written into them.

An ORM select of a tenant table gets the scope as loader criteria at each execution
(`tenants.filtering`): the statement is copied with the options, its cache key worked out
again and the criteria's parameters extracted from it. For a read of one member that is
half of the statement's cost in Python, and the statement is most of the request's.

A `TenantRead` is one read, built at import for each kind of scope with the owner
condition of every tenant table it names in its WHERE clause (a federation's table too, read
as the criteria read it: shared rows by the federation's associations, its own rows by the
federation alone); each call binds the condition's parameters from the scope in force. It
fails closed as the criteria do: no scope raises `NoScope`, a scope that sees nothing reads
nothing, and a read is refused when it is built unless every SELECT in it that names a
tenant table holds that table's condition in its own WHERE clause. It runs in the session's
transaction after the session's row-level security settings (`tenants.rls`), the second
wall on PostgreSQL, as an ORM statement does.

This is the "Core SQL only in tenants/" that the design allows: the service says which
columns and rows it wants through `owned(table)`, and never writes a scope's condition.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import Alias, AliasedReturnsRows

from tenants import rls
from tenants.db import db
from tenants.filtering import scoped_table_names
from tenants.models import Association, FederationOwned, SharedWithAssociations
from tenants.scope import NoScope, Scope, ScopeKind, ScopeViolation, peek_scope

Owned = Callable[[sa.FromClause], sa.ColumnElement[bool]]
Statement = sa.Select | sa.CompoundSelect  # a read: one SELECT, or a UNION of them

_ASSOCIATION = Association.__table__


def _kind(table: sa.FromClause) -> str:
    """Whose the rows of `table` (or of the table an alias is of) are: "association" (the
    association table, whose id is the tenant), "tenant", "shared" (a federation's rows its
    associations read) or "federation" (a federation's own)."""
    base = table.element if isinstance(table, Alias) else table
    if base is _ASSOCIATION:
        return "association"
    if "tenant_id" in base.c:
        return "tenant"
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is base and issubclass(mapper.class_, FederationOwned):
            return "shared" if issubclass(mapper.class_, SharedWithAssociations) else "federation"
    raise TypeError(f"{table.description} has no owner: not a tenant table nor a federation's")


# The column that says whose a row is, by `_kind`.
_OWNER_COLUMN = {
    "association": "id",
    "tenant": "tenant_id",
    "shared": "federation_id",
    "federation": "federation_id",
}


def _owner(table: sa.FromClause) -> sa.ColumnElement[int]:
    return table.c[_OWNER_COLUMN[_kind(table)]]


def _of_association(table: sa.FromClause) -> sa.ColumnElement[bool]:
    kind = _kind(table)
    if kind == "federation":
        # None, as the criteria read none: an association never sees its federation's own
        # rows (the column is NOT NULL); a condition of its own, see `_of_all`.
        return table.c.federation_id.is_(None)
    if kind == "shared":
        own_federation = (
            sa.select(_ASSOCIATION.c.federation_id)
            .where(_ASSOCIATION.c.id == sa.bindparam("scope_association_id"))
            .scalar_subquery()
        )
        return table.c.federation_id == own_federation
    return _owner(table) == sa.bindparam("scope_association_id")


def _of_federations(table: sa.FromClause) -> sa.ColumnElement[bool]:
    federations = sa.bindparam("scope_federation_ids", expanding=True)
    if _kind(table) != "tenant":  # the association table and a federation's have the column
        return table.c.federation_id.in_(federations)
    associations = sa.select(_ASSOCIATION.c.id).where(_ASSOCIATION.c.federation_id.in_(federations))
    return table.c.tenant_id.in_(associations)


def _of_all(table: sa.FromClause) -> sa.ColumnElement[bool]:
    # Every row (the owner is never NULL), as a condition of its own: `sa.true()` is one
    # object that an AND drops, and the check that every table has its condition would miss it.
    return _owner(table).is_not(None)


CONDITIONS: dict[str, Owned] = {
    "association": _of_association,
    "federations": _of_federations,
    "system": _of_all,
}


def _binding(scope: Scope) -> tuple[str, dict] | None:
    """Which statement the scope reads with and its parameters; None: it sees nothing."""
    if scope.is_system:
        return "system", {}
    if scope.kind is ScopeKind.ASSOCIATION:
        return "association", {"scope_association_id": scope.association_id}
    if scope.kind is ScopeKind.NONE or not scope.federation_ids:
        return None
    return "federations", {"scope_federation_ids": sorted(scope.federation_ids)}


class TenantRead:
    """One read of tenant tables: `build(owned)` returns its select (or a UNION of selects),
    with `owned(table)` (the table, or an alias of it, for a subquery) in its WHERE clause
    for every tenant table it names. Called once per kind of scope, when the read is made."""

    def __init__(self, build: Callable[[Owned], Statement]) -> None:
        self._statements = {kind: _built(build, owned) for kind, owned in CONDITIONS.items()}

    def rows(self, session: Session, parameters: dict | None = None) -> list[sa.Row]:
        """The rows the current scope sees, with `parameters` bound."""
        scope = peek_scope()
        if scope is None:
            raise NoScope("a read of tenant data needs a scope; use use_scope() or system_scope()")
        binding = _binding(scope)
        if binding is None:
            return []
        kind, scope_parameters = binding
        if session.autoflush:  # as before an ORM statement: the session's own changes are read
            session.flush()
        # The connection first: a transaction it begins has the scope's settings already.
        connection = session.connection()
        rls.resync(session)
        values = {**(parameters or {}), **scope_parameters}
        return connection.execute(self._statements[kind], values).all()


def _built(build: Callable[[Owned], Statement], condition: Owned) -> Statement:
    given: dict[int, set[int]] = {}  # per table, its conditions (one per SELECT naming it)

    def owned(table: sa.FromClause) -> sa.ColumnElement[bool]:
        clause = condition(table)
        given.setdefault(id(table), set()).add(id(clause))
        return clause

    statement = build(owned)
    _check_every_table_owned(statement, given)
    return statement


def _check_every_table_owned(statement: Statement, given: dict[int, set[int]]) -> None:
    """Every SELECT of the statement (each subquery, each SELECT of a UNION) that names a
    tenant table, or an alias of one, holds an owner condition of that table in its own
    WHERE clause, or correlates it explicitly (`.correlate(table)`) to an enclosing SELECT
    that names it, and so reads the outer query's row; and every condition made is used.
    A subquery on the outer query's table that neither holds a condition of its own nor
    correlates it explicitly is refused."""
    made, used = set().union(*given.values()), set()
    names = scoped_table_names()
    selects: list[tuple[Statement, frozenset[int]]] = [(statement, frozenset())]
    while selects:
        select, enclosing = selects.pop()
        nested: list[tuple[Statement, bool]] = []
        sources, _ = _one_level(select, names, made, nested)
        # A UNION's own level names no table: its SELECTs, each checked, are below it.
        _, in_where = _one_level(getattr(select, "whereclause", None), names, made, [])
        correlated = enclosing & {id(table._deannotate()) for table in _correlates(select)}
        for source, name in sources.items():
            if not given.get(source, set()) & in_where and source not in correlated:
                raise ScopeViolation(f"a TenantRead reads {name} without its owner condition")
        used |= in_where
        # A derived table (a subquery in FROM) correlates nothing: SQLAlchemy keeps its
        # tables in its own FROM list even when told to correlate them.
        selects.extend(
            (inner, enclosing | sources.keys() if in_expression else frozenset())
            for inner, in_expression in nested
        )
    if used != made:
        raise ScopeViolation("a TenantRead made an owner condition it does not use")


def _correlates(select: Statement) -> tuple:
    """The tables `select` correlates explicitly (`.correlate(...)`)."""
    return getattr(select, "_correlate", None) or ()


def _one_level(element, names: frozenset[str], made: set[int], nested: list) -> tuple[dict, set]:
    """The tenant tables (by id, with their names) and the owner conditions that `element`
    names outside its subqueries, which go to `nested`, each with whether it sits in an
    expression (a scalar subquery, IN, EXISTS) rather than in FROM."""
    sources: dict[int, str] = {}
    conditions: set[int] = set()
    derived: set[int] = set()
    stack = [element] if element is not None else []
    while stack:
        part = stack.pop()
        if id(part) in made:
            conditions.add(id(part))
            continue  # the condition's own subquery reads the association table
        if isinstance(part, sa.Select) and part is not element:
            nested.append((part, True))
            continue
        # A column stands for its table, which a select's FROM list does not repeat; an
        # ORM entity's table, annotated, for the table itself.
        source = part.table if isinstance(part, ColumnClause) else part
        if source is None:  # a column of no table (a literal, a label's name)
            continue
        source = source._deannotate()
        if isinstance(source, AliasedReturnsRows) and isinstance(source.element, Statement):
            if id(source) not in derived:  # a subquery in FROM, named by its columns
                derived.add(id(source))
                nested.append((source.element, False))
            continue
        base = source.element if isinstance(source, Alias) else source
        if isinstance(base, sa.Table) and base.name in names:
            sources[id(source)] = base.name
            continue
        stack.extend(part.get_children())
    return sources, conditions


__all__ = ["TenantRead"]
