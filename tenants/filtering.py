"""Scope criteria on every ORM statement, and a write guard before every flush.

Installed once on the Session class by `install()`. Reads of tenant or federation data with
no scope raise; an empty scope matches nothing; `system_scope` alone crosses tenants.

Three ways around the criteria are closed here too, so that they fail on SQLite as they do
on PostgreSQL (where row-level security stops them): a Core statement on a scoped table
(which the ORM criteria never see), a bulk update that moves rows to another owner, and
`session.get` answered from the identity map with a row another scope loaded.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnClause, TextClause
from sqlalchemy.sql.selectable import TableClause

from tenants.db import db, given_rows
from tenants.models import (
    Association,
    FederationOnly,
    FederationOwned,
    PlatformOwned,
    SharedWithAssociations,
    TenantOwned,
)
from tenants.scope import NoScope, Scope, ScopeKind, ScopeViolation, peek_scope

# Federation rows are the platform's public directory (province names); not scoped.
_TENANT_SCOPED = (TenantOwned, Association)
# The platform's own rows (its audit log): seen in system_scope only.
_SCOPED = (*_TENANT_SCOPED, FederationOwned, PlatformOwned)
# The column that says whose a row is; it never changes once written.
_OWNER_COLUMNS = frozenset({"tenant_id", "federation_id"})


def _touches_scoped_data(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, _SCOPED) for m in state.all_mappers)


def _tenant_criteria(scope: Scope) -> tuple:
    if scope.kind is ScopeKind.ASSOCIATION:
        aid = scope.association_id
        return (
            with_loader_criteria(
                TenantOwned, lambda cls: cls.tenant_id == aid, include_aliases=True
            ),
            with_loader_criteria(Association, lambda cls: cls.id == aid, include_aliases=True),
        )
    feds = sorted(scope.federation_ids)
    return (
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id.in_(
                sa.select(Association.id).where(Association.federation_id.in_(feds))
            ),
            include_aliases=True,
        ),
        with_loader_criteria(
            Association, lambda cls: cls.federation_id.in_(feds), include_aliases=True
        ),
    )


def _federation_criteria(scope: Scope) -> tuple:
    """An association reads its own federation's shared rows and nothing else of it;
    a federation or national scope reads its federations' rows."""
    if scope.kind is ScopeKind.ASSOCIATION:
        aid = scope.association_id
        return (
            with_loader_criteria(
                SharedWithAssociations,
                lambda cls: (
                    cls.federation_id
                    == sa.select(Association.federation_id)
                    .where(Association.id == aid)
                    .scalar_subquery()
                ),
                include_aliases=True,
            ),
            with_loader_criteria(FederationOnly, sa.false(), include_aliases=True),
        )
    feds = sorted(scope.federation_ids)
    return (
        with_loader_criteria(
            FederationOwned, lambda cls: cls.federation_id.in_(feds), include_aliases=True
        ),
    )


@functools.lru_cache(maxsize=4096)
def _criteria(scope: Scope | None) -> tuple:
    """Loader criteria for the scope; `sa.false()` everywhere when nothing is visible.
    Made once per scope (options are immutable): building them cost a fifth of a
    millisecond on every statement."""
    if scope is None or scope.kind is ScopeKind.NONE:
        return tuple(
            with_loader_criteria(cls, sa.false(), include_aliases=True, propagate_to_loaders=True)
            for cls in _SCOPED
        )
    platform = with_loader_criteria(PlatformOwned, sa.false(), include_aliases=True)
    return (*_tenant_criteria(scope), *_federation_criteria(scope), platform)


def scoped_table_names() -> frozenset[str]:
    """Names of the tables the criteria scope (looked up again when a table is added)."""
    return _scoped_tables_of(len(db.metadata.tables))


@functools.lru_cache(maxsize=8)
def _scoped_tables_of(table_count: int) -> frozenset[str]:
    return frozenset(
        m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, _SCOPED)
    )


def _bare_scoped_table(state: ORMExecuteState) -> str | None:
    """A scoped table the statement names as a plain Core table (`Model.__table__`, its
    columns, `sa.table(...)`): loader criteria apply to mapped classes only, so such a
    reference would read every tenant's rows.

    A Core statement is searched whole (it is rare, and holds no mapped class); an ORM
    statement only where a Core table would sit beside its entities: its columns, FROM
    list, join targets and UPDATE/DELETE table. Mapped classes and their aliases carry a
    `parententity` annotation and are covered by the criteria. `text()` is not parsed."""
    statement = state.statement
    if isinstance(statement, TextClause):
        return None
    if state.is_orm_statement:
        return _first_bare(_top_level(statement), descend=False)
    return _first_bare([statement], descend=True)


def _top_level(statement) -> list:
    elements = [*getattr(statement, "_raw_columns", ()), *getattr(statement, "_from_obj", ())]
    elements += [join[0] for join in getattr(statement, "_setup_joins", ())]
    table = getattr(statement, "table", None)
    return [*elements, table] if table is not None else elements


def _first_bare(elements: list, *, descend: bool) -> str | None:
    names = scoped_table_names()
    stack = list(elements)
    while stack:
        element = stack.pop()
        if not isinstance(element, ClauseElement) or "parententity" in element._annotations:
            continue
        if isinstance(element, TableClause) and element.name in names:
            return element.name
        table = element.table if isinstance(element, ColumnClause) else None
        if isinstance(table, TableClause) and table.name in names:
            return table.name
        if descend:
            stack.extend(element.get_children())
    return None


def _refuse_bare_tables(state: ORMExecuteState, scope: Scope | None) -> None:
    table = _bare_scoped_table(state)
    if table is None:
        return
    if scope is None:
        raise NoScope(f"a query on {table} needs a scope; use use_scope() or system_scope()")
    raise ScopeViolation(
        f"a Core statement on {table} escapes the scope criteria; use the mapped class"
    )


def _owner_changes(state: ORMExecuteState) -> set[str]:
    """The owner columns (tenant_id, federation_id) an UPDATE would set."""
    statement = state.statement
    keys = {getattr(k, "key", k) for k in statement._values or ()}
    params = state.parameters
    for row in params if isinstance(params, list) else [params or {}]:
        keys.update(row)
    return keys & _OWNER_COLUMNS


def _guard_bulk_update(state: ORMExecuteState, scope: Scope | None) -> None:
    """`update(Model).values(tenant_id=...)` would move rows to another owner, which the
    flush guard refuses for one object; refuse it in bulk too. An association moves to
    another federation only in system_scope, as at flush."""
    moved = _owner_changes(state)
    if not moved:
        return
    mapper = state.bind_mapper
    if mapper is None:
        name = state.statement.table.name
        scoped = name in scoped_table_names()
    else:
        name, scoped = mapper.class_.__name__, issubclass(mapper.class_, _SCOPED)
    if mapper is not None and mapper.class_ is Association and scope and scope.is_system:
        return
    if scoped:
        raise ScopeViolation(f"{name}.{', '.join(sorted(moved))} cannot change")


def _guard_bulk_insert(state: ORMExecuteState, scope: Scope | None) -> None:
    """`session.execute(insert(Model), rows)` skips the flush, so check its rows here."""
    mapper = state.bind_mapper
    if mapper is None:
        table = getattr(state.statement, "table", None)
        names = scoped_table_names()
        if table is not None and table.name in names and not (scope and scope.is_system):
            raise ScopeViolation(f"a Core insert into {table.name} escapes the write guard")
        return
    cls = mapper.class_
    if not issubclass(cls, (TenantOwned, FederationOwned)):
        return
    if scope is None:
        raise NoScope("a write to tenant data needs a scope")
    column = "federation_id" if issubclass(cls, FederationOwned) else "tenant_id"
    select = getattr(state.statement, "select", None)
    given = given_rows(select) if select is not None else None
    if select is not None and given is None:
        _guard_insert_from_select(state, scope, column)
        return
    allowed = (
        writable_federation_ids(scope)
        if column == "federation_id"
        else visible_tenant_ids(state.session, scope)
    )
    owners = given.get(column, [None]) if given is not None else _owners(state, column)
    if any(owner is None or (allowed is not None and owner not in allowed) for owner in owners):
        raise ScopeViolation(f"bulk insert of {cls.__name__} outside the scope")


def _owners(state: ORMExecuteState, column: str) -> list:
    """The owner of every row a bulk insert gives in its parameters."""
    params = state.parameters
    return [row.get(column) for row in (params if isinstance(params, list) else [params or {}])]


def _guard_insert_from_select(state: ORMExecuteState, scope: Scope, column: str) -> None:
    """`insert(Model).from_select(names, select(...))` (rows made in the database, e.g. an
    import's history rows): only in one association's scope (or the system's), copying only
    one scoped entity's own columns and constants, its owner column as the new rows' owner,
    and only the rows of the tenants the scope may write (loader criteria do not reach a
    select inside an insert, so the condition is added here)."""
    if scope.is_system:
        return
    statement = state.statement
    names = [str(name) for name in statement._select_names]
    if scope.kind is not ScopeKind.ASSOCIATION or column not in names:
        raise ScopeViolation("an insert from a select needs one association's scope")
    select = statement.select
    source = list(select.selected_columns)[names.index(column)]
    entity = source._annotations.get("parententity")
    if entity is None or not issubclass(entity.class_, _SCOPED) or source.key != column:
        raise ScopeViolation("an insert from a select must take the owner from a scoped entity")
    copied = [c for c in select.selected_columns if not isinstance(c, BindParameter)]
    froms = select.get_final_froms()
    if any(c._annotations.get("parententity") is not entity for c in copied) or len(froms) != 1:
        raise ScopeViolation("an insert from a select copies one scoped entity's columns only")
    allowed = sorted(visible_tenant_ids(state.session, scope) or ())
    state.statement = statement.from_select(names, select.where(source.in_(allowed)))


def _add_scope_criteria(state: ORMExecuteState) -> None:
    scope = peek_scope()
    if state.is_insert:
        _guard_bulk_insert(state, scope)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_update:
        _guard_bulk_update(state, scope)
    if scope is not None and scope.is_system:
        return
    if scope is None and _touches_scoped_data(state):
        raise NoScope("a query on tenant data needs a scope; use use_scope() or system_scope()")
    _refuse_bare_tables(state, scope)
    state.statement = state.statement.options(*_criteria(scope))


def visible_tenant_ids(session: Session, scope: Scope) -> set[int] | None:
    """The association ids the scope may write to; None means every one (system)."""
    if scope.is_system:
        return None
    if scope.kind is ScopeKind.ASSOCIATION:
        return {scope.association_id}
    if scope.kind is ScopeKind.NONE or not scope.federation_ids:
        return set()
    with session.no_autoflush:
        rows = session.execute(
            sa.select(Association.id).where(Association.federation_id.in_(scope.federation_ids))
        )
        return set(rows.scalars())


def writable_federation_ids(scope: Scope) -> frozenset[int] | None:
    """The federations whose rows the scope may write; None means every one (system).
    An association reads some of its federation's rows and writes none."""
    if scope.is_system:
        return None
    if scope.kind in (ScopeKind.FEDERATION, ScopeKind.NATIONAL):
        return scope.federation_ids
    return frozenset()


def _guard_writes(session: Session, flush_context, instances) -> None:
    touched = [
        o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, _SCOPED)
    ]
    if not touched:
        return
    scope = peek_scope()
    if scope is None:
        raise NoScope("a write to tenant data needs a scope")
    tenants = [o for o in touched if isinstance(o, _TENANT_SCOPED)]
    federation_rows = [o for o in touched if isinstance(o, FederationOwned)]
    if tenants:
        _guard_tenant_writes(session, scope, tenants)
    if federation_rows:
        _guard_federation_writes(session, scope, federation_rows)


def _guard_tenant_writes(session: Session, scope: Scope, touched: list) -> None:
    allowed = visible_tenant_ids(session, scope)
    for obj in session.new:
        if isinstance(obj, TenantOwned) and obj.tenant_id is None:
            if scope.kind is not ScopeKind.ASSOCIATION:
                raise ScopeViolation(f"a new {type(obj).__name__} needs an explicit tenant")
            obj.tenant_id = scope.association_id
        if isinstance(obj, Association) and not scope.is_system:
            raise ScopeViolation(f"only system_scope may create a {type(obj).__name__}")
    for obj in touched:
        _check_row(obj, allowed, scope)


def _guard_federation_writes(session: Session, scope: Scope, touched: list) -> None:
    """A new row gets the scope's federation when it has one; every row written must be of
    a federation in the scope, and keeps its federation."""
    allowed = writable_federation_ids(scope)
    for obj in touched:
        name = type(obj).__name__
        if obj in session.new and obj.federation_id is None:
            if allowed is None or len(allowed) != 1:
                raise ScopeViolation(f"a new {name} needs an explicit federation")
            obj.federation_id = next(iter(allowed))
        state = inspect(obj)
        if state.persistent and state.attrs.federation_id.history.deleted:
            raise ScopeViolation(f"{name}.federation_id cannot change")
        if allowed is not None and obj.federation_id not in allowed:
            raise ScopeViolation(f"{name} of federation {obj.federation_id} is outside the scope")


def _check_row(obj: object, allowed: set[int] | None, scope: Scope) -> None:
    name = type(obj).__name__
    if isinstance(obj, TenantOwned):
        if inspect(obj).attrs.tenant_id.history.deleted and inspect(obj).persistent:
            raise ScopeViolation(f"{name}.tenant_id cannot change")
        tenant = obj.tenant_id
    else:
        if inspect(obj).attrs.federation_id.history.deleted and not scope.is_system:
            raise ScopeViolation("an association changes federation only in system_scope")
        tenant = obj.id
    if allowed is not None and tenant not in allowed:
        raise ScopeViolation(f"{name} of tenant {tenant} is outside the scope")


def visible_in_scope(session: Session, obj: object) -> bool:
    """Whether the scope in force sees `obj`, a row `session.get` found in the identity map.

    The map keeps whatever an earlier scope loaded (a `system_scope` block before), and a
    hit there runs no SQL, so no criteria: the answer must come from the row itself.
    """
    if not isinstance(obj, _SCOPED):
        return True
    scope = peek_scope()
    if scope is None:
        raise NoScope(f"a lookup of {type(obj).__name__} needs a scope")
    if scope.is_system:
        return True
    if scope.kind is ScopeKind.NONE or isinstance(obj, PlatformOwned):
        return False
    if isinstance(obj, FederationOwned):
        return obj.federation_id in _readable_federations(session, scope, obj)
    tenant = obj.id if isinstance(obj, Association) else obj.tenant_id
    if scope.kind is ScopeKind.ASSOCIATION:
        return tenant == scope.association_id
    if not isinstance(obj, Association):
        obj = _association(session, tenant)
    return obj is not None and obj.federation_id in scope.federation_ids


def _readable_federations(session: Session, scope: Scope, obj: FederationOwned) -> set[int]:
    if scope.kind is not ScopeKind.ASSOCIATION:
        return set(scope.federation_ids)
    if not isinstance(obj, SharedWithAssociations):
        return set()
    own = _association(session, scope.association_id)
    return {own.federation_id} if own is not None else set()


def _association(session: Session, association_id: int | None) -> Association | None:
    """The association row for a check: its federation is a fact, whichever scope loaded
    it, so the unchecked `Session.get` (no recursion into the identity guard)."""
    if association_id is None:
        return None
    with session.no_autoflush:
        return Session.get(session, Association, association_id)


def install(session_class: type[Session]) -> None:
    """Attach the criteria, the write guards and the identity-map check to every session of
    `session_class`."""
    if not event.contains(session_class, "do_orm_execute", _add_scope_criteria):
        event.listen(session_class, "do_orm_execute", _add_scope_criteria)
        event.listen(session_class, "before_flush", _guard_writes)
        session_class.identity_guard = staticmethod(visible_in_scope)
