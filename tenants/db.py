"""The one SQLAlchemy object, unbound; the app factory binds it."""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, registry

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Every integer column, ids above all, is BIGINT on PostgreSQL: a nation of associations
# (and a distributed database, deploy/SCALE.md) outgrows 2^31 ids, and a key's columns must
# share one type across tables. SQLite keeps INTEGER, whose `INTEGER PRIMARY KEY` is the
# rowid alias (autoincrement); its integers are 64-bit already.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={int: BIGINT},
    )


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, which also honours an explicit `bind`, and whose `get`
    answers from the identity map only with a row the current scope may see.

    Tests bind the session to one connection whose outer transaction they roll back.
    """

    # Set by `tenants.filtering.install`: (session, row) -> whether the scope sees the row.
    identity_guard: Callable[[Any, object], bool] | None = None

    def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        """As `Session.get`, but None for a row of another scope that an earlier block (a
        `system_scope`) left in the identity map: a hit there runs no SQL, so no criteria."""
        found = super().get(entity, ident, **kw)
        guard = type(self).identity_guard
        if found is None or guard is None or guard(self, found):
            return found
        return None

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})


SQLITE_BUSY_TIMEOUT_MS = 15_000


def configure_sqlite(engine: sa.Engine) -> None:
    """Foreign keys on, and transactions driven by SQLAlchemy rather than pysqlite, so that
    SAVEPOINTs (nested transactions) behave as on PostgreSQL. Write-ahead logging, so a
    reader never blocks the writer (a page read while a job writes), and a writer waits for
    another writer rather than failing at once."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def refresh_statistics(session: sa.orm.Session, table: str, inserted: int) -> None:
    """After a bulk insert into `table` (inside the same transaction): on PostgreSQL, have
    the planner's statistics count the new rows when they were taken with fewer, so that
    the foreign-key checks of the rows inserted next use the index, not a scan per row
    (migration 0025 says why and how)."""
    if session.get_bind().dialect.name == "postgresql" and inserted:
        session.execute(
            sa.text("SELECT refresh_statistics_after_bulk_insert(:table, :inserted)"),
            {"table": table, "inserted": inserted},
        )


def insert_rows(session: sa.orm.Session, model: type, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys, a row's empty fields as None) into `model`'s
    table. On PostgreSQL in one statement, `INSERT … SELECT unnest(:name), unnest(:title), …`,
    one array per column, where an executemany runs the INSERT once per row (10,000 members
    of an import: 0.49–0.56 s as executemany, 0.35–0.49 s as arrays, side by side). Elsewhere,
    an executemany. A Python default of a column left out (`created_at`) is worked out once
    for the statement. The write guard checks the rows' owners either way
    (tenants.filtering)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(model).execution_options(render_nulls=True), rows)
        return
    names = list(rows[0])
    arrays = [_unnest(model.__table__.c[name], [row[name] for row in rows]) for name in names]
    session.execute(sa.insert(model).from_select(names, sa.select(*arrays)))


def _unnest(column: sa.Column, values: list) -> sa.Label:
    array = postgresql.ARRAY(column.type)
    given = sa.bindparam(f"rows_{column.name}", values, array)
    return sa.func.unnest(sa.cast(given, array)).label(column.name)


def given_rows(select: sa.Select) -> dict[str, list] | None:
    """The rows of an `insert_rows` select, as its arrays by column name; None for any other
    select (one that reads a table, or computes a column): the rows are the caller's own
    values, read from no table."""
    if select.get_final_froms() or select.whereclause is not None:
        return None
    arrays = {}
    for column in select.selected_columns:
        function = getattr(column, "element", column)
        if not (isinstance(function, sa.Function) and function.name == "unnest"):
            return None
        (cast, *more) = function.clauses
        given = getattr(cast, "clause", None)
        if more or not isinstance(given, sa.BindParameter) or not isinstance(given.value, list):
            return None
        arrays[column.name] = given.value
    return arrays


def one_of(column: sa.ColumnElement, values: list) -> sa.ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL as `= ANY(array)`, one parameter however many the
    values (an import matches thousands at once: binding and planning each costs)."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(values)
