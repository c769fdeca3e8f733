"""Fewer round trips to PostgreSQL (psycopg 3), and a dropped connection survived.

psycopg begins a transaction with a BEGIN of its own, and waits for its answer before the
first statement, even in pipeline mode. On the service's engine (`configure`) the driver
is left in autocommit and SQLAlchemy's transactions send the BEGIN themselves, as on
SQLite (tenants/db.py): in one psycopg pipeline with the transaction's first statement
and with any statement deferred for it (the row-level security settings of
`tenants.rls`), which is one round trip where there were three. A later statement carries
the settings deferred since the one before it. A transaction that runs no statement
costs none: no BEGIN is sent, and psycopg sends no ROLLBACK or COMMIT for it.

A pooled connection that PostgreSQL dropped (a restart, a failover, an idle timeout, an
administrator's pg_terminate_backend) is found when that first statement fails, not by a
ping before every checkout: nothing has run in the transaction yet, so the pool is
invalidated (every connection older than now is replaced when next checked out) and the
statement is sent once more on a new connection. A failure later in a transaction is not
retried: what ran before it is lost with the connection, and the caller must know.

psycopg prepares a statement on a connection once it has run five times there (its
`prepare_threshold`), and the server then plans it no more: a read under row-level security
spent more time planning than running. Every request that succeeds ends with a COMMIT
(service/unit_of_work.py), which keeps them; a ROLLBACK (a refused request, a failed job)
makes psycopg forget them all, with a DEALLOCATE ALL of its own, a round trip more for that
request. Schema changes go through migrations, in processes of their own; PostgreSQL plans
a prepared statement again when a table under it changes.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    """What goes out ahead of a connection's next statement."""

    begin: bool = False
    # Driver-level statements and their parameters (None: a statement without).
    settings: tuple[tuple[str, tuple | None], ...] | None = None


# Keyed weakly by SQLAlchemy connection, and dropped when its transaction ends, so nothing
# pending outlives the transaction it was meant for.
_pending: weakref.WeakKeyDictionary[sa.Connection, _Pending] = weakref.WeakKeyDictionary()
_configured: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _pending_for(connection: sa.Connection) -> _Pending:
    pending = _pending.get(connection)
    if pending is None:
        pending = _pending[connection] = _Pending()
    return pending


def _end(connection: sa.Connection) -> None:
    _pending.pop(connection, None)


def defer(connection: sa.Connection, statement: str, parameters: tuple | None) -> None:
    """Send `statement` (in the driver's paramstyle) before the next statement on
    `connection`, in the same round trip; at once where the engine does not pipeline.

    A later call before that statement replaces the earlier one: callers defer settings,
    of which only the latest counts."""
    defer_all(connection, ((statement, parameters),))


def defer_all(connection: sa.Connection, statements: tuple[tuple[str, tuple | None], ...]) -> None:
    """As `defer`, for several statements sent in order (`SET LOCAL` sets one setting)."""
    if connection.engine not in _configured:
        for statement, parameters in statements:
            connection.exec_driver_sql(statement, parameters)
        return
    _pending_for(connection).settings = statements


def _begin(connection: sa.Connection) -> None:
    # A connection SQLAlchemy set to an isolation level of its own (AUTOCOMMIT, or one
    # where psycopg begins again) is left as it is.
    if connection.get_execution_options().get("isolation_level"):
        return
    if connection.connection.dbapi_connection.autocommit:
        _pending_for(connection).begin = True


def _take(context) -> _Pending | None:
    return _pending.pop(context.root_connection, None)


def _send(cursor, statement: str | None, parameters, pending: _Pending) -> None:
    connection = cursor.connection
    with connection.pipeline():
        if pending.begin:
            connection.execute(b"BEGIN")
        for setting, setting_parameters in pending.settings or ():
            connection.execute(setting, setting_parameters)
        if statement is None:
            pass
        elif parameters is None:
            cursor.execute(statement)
        else:
            cursor.execute(statement, parameters)


def _reconnect(context, error: BaseException):
    """Replace the dropped DBAPI connection under the pooled one, as the pool's own
    pre-ping does at checkout; return a cursor on the new connection."""
    fairy = context.root_connection.connection
    # Every pooled connection made before now is replaced when next checked out: a
    # server that dropped one has usually dropped them all.
    context.root_connection.engine.pool._invalidate(fairy, error, _checkin=False)
    record = fairy._connection_record
    record.invalidate(error)
    fairy.dbapi_connection = record.get_connection()
    context.cursor = fairy.dbapi_connection.cursor()
    return context.cursor


def _execute(cursor, statement: str | None, parameters, context) -> bool:
    """Send what is pending with the statement (None: only what is pending)."""
    pending = _take(context)
    if pending is None or not (pending.begin or pending.settings):
        return False  # SQLAlchemy executes it as usual
    if isinstance(cursor, psycopg.ServerCursor):  # it cannot ride a pipeline
        _send(cursor, None, None, pending)
        return False
    try:
        _send(cursor, statement, parameters, pending)
    except psycopg.OperationalError as error:
        dropped = context.dialect.is_disconnect(error, cursor.connection, cursor)
        if not (pending.begin and dropped):
            raise
        log.warning("connection dropped by the server; retrying on a new one: %s", error)
        _send(_reconnect(context, error), statement, parameters, pending)
    return True


def _do_execute(cursor, statement: str, parameters, context) -> bool:
    return _execute(cursor, statement, parameters, context)


def _do_execute_no_params(cursor, statement: str, context) -> bool:
    return _execute(cursor, statement, None, context)


def _do_executemany(cursor, statement: str, parameters, context) -> bool:
    _execute(cursor, None, None, context)
    return False


def _connect(dbapi_connection, _record) -> None:
    # SQLAlchemy's transactions send the BEGIN (`_begin`), with their first statement.
    dbapi_connection.autocommit = True


def configure(engine: sa.Engine) -> None:
    """Pipeline the BEGIN and deferred settings, and retry a dropped connection's first
    statement, on `engine` (PostgreSQL through psycopg 3)."""
    if engine.dialect.driver != "psycopg" or engine in _configured:
        return
    _configured.add(engine)
    event.listen(engine, "connect", _connect)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)
    event.listen(engine, "do_execute", _do_execute)
    event.listen(engine, "do_execute_no_params", _do_execute_no_params)
    event.listen(engine, "do_executemany", _do_executemany)
