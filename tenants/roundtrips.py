"""Fewer round trips to PostgreSQL (psycopg 3), and a dropped connection survived.

psycopg begins a transaction with a BEGIN of its own, and waits for its answer before the
first statement, even in pipeline mode. On the service's engine (`configure`) the driver
is left in autocommit and SQLAlchemy's transactions are sent by this module, as on SQLite
(tenants/db.py), in one psycopg pipeline with a statement and with what was deferred for
it (the row-level security settings of `tenants.rls`).

A transaction whose first statement only reads sends that statement without a BEGIN,
with the latest settings in a pipeline of its own, which PostgreSQL runs as one transaction
ended by the pipeline's Sync: `set_config(..., true)` holds for the read and ends with it.
Under READ COMMITTED every statement reads its own snapshot anyway, so the read sees what it
would have seen inside BEGIN and COMMIT, and a request of one read (the API's hottest) costs
one round trip, with no COMMIT or ROLLBACK (psycopg sends neither when the server is idle).
The transaction's next statement, or a first one that does more than read (`_reads_only`:
a write, a lock, SELECT FOR UPDATE, a sequence, set_config of its own, SAVEPOINT, anything
not a plain SELECT), goes out after BEGIN and the settings, and the transaction is then an
ordinary one until its COMMIT or ROLLBACK. A transaction that runs no statement costs none.

A pooled connection that PostgreSQL dropped (a restart, a failover, an idle timeout, an
administrator's pg_terminate_backend) is found when a statement fails, not by a ping before
every checkout: while no BEGIN has gone out, nothing of the transaction is open on the
server, so the pool is invalidated (every connection older than now is replaced when next
checked out) and the statement is sent once more on a new connection. A failure inside an
explicit transaction is not retried: what ran before it is lost with the connection, and
the caller must know.

psycopg prepares a statement on a connection once it has run five times there (its
`prepare_threshold`), and the server then plans it no more: a read under row-level security
spent more time planning than running. A transaction that wrote ends with a COMMIT when its
request succeeds (service/unit_of_work.py), which keeps them; a ROLLBACK (a refused write,
a failed job) makes psycopg forget them all, with a DEALLOCATE ALL of its own, a round trip
more for that request. A request of one read sends neither, and keeps them. Schema
changes go through migrations, in processes of their own; PostgreSQL plans a prepared
statement again when a table under it changes.
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)


@dataclass
class _Transaction:
    """What one of SQLAlchemy's transactions has sent to the server, and must send."""

    # BEGIN has gone out: an explicit transaction is open on the server. A transaction of
    # one read never sends one (see `_ahead`).
    begun: bool = False
    # A first statement went out before BEGIN, in a transaction of its own.
    ran_alone: bool = False
    # The latest driver-level statements deferred (the scope's settings) and their
    # parameters (None: a statement without).
    settings: tuple[tuple[str, tuple | None], ...] = ()
    # Deferred since the last statement of the explicit transaction.
    unsent: bool = False


# Keyed weakly by SQLAlchemy connection, and dropped when its transaction ends, so nothing
# deferred outlives the transaction it was meant for.
_transactions: weakref.WeakKeyDictionary[sa.Connection, _Transaction] = weakref.WeakKeyDictionary()
_configured: weakref.WeakSet[sa.Engine] = weakref.WeakSet()

# A statement that only reads, and may run in a transaction of its own: a SELECT that locks
# no row, takes no lock, sets nothing and creates nothing. Anything else begins the
# explicit transaction first.
_SELECT = re.compile(r"\s*(\(\s*)*SELECT\b", re.IGNORECASE)
_NOT_ONLY_READING = re.compile(
    r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bINTO\b"
    r"|\b(nextval|setval|set_config|pg_advisory\w*|pg_try_advisory\w*)\s*\(",
    re.IGNORECASE,
)


def _reads_only(statement: str) -> bool:
    return bool(_SELECT.match(statement)) and not _NOT_ONLY_READING.search(statement)


def _may_run_alone(transaction: _Transaction, statement: str | None) -> bool:
    """The transaction's first statement, if it only reads: a request of one read then
    costs one round trip. From the second on, an explicit transaction: each read there
    would otherwise carry the settings again, more work for a page of many reads than one
    COMMIT. set_config(..., true) holds for the transaction the pipeline's Sync ends; a SET
    LOCAL (Citus) outside a block that BEGIN opened only warns, so it is not sent alone."""
    return (
        not transaction.ran_alone
        and statement is not None
        and _reads_only(statement)
        and not any(s.lstrip().upper().startswith("SET ") for s, _p in transaction.settings)
    )


def _transaction(connection: sa.Connection) -> _Transaction:
    transaction = _transactions.get(connection)
    if transaction is None:
        # Not begun by `_begin`: psycopg begins it itself, before the first statement.
        transaction = _transactions[connection] = _Transaction(begun=True)
    return transaction


def _end(connection: sa.Connection) -> None:
    _transactions.pop(connection, None)


def defer(connection: sa.Connection, statement: str, parameters: tuple | None) -> None:
    """Send `statement` (in the driver's paramstyle) before the next statement on
    `connection`, in the same round trip; at once where the engine does not pipeline.

    A later call before that statement replaces the earlier one: callers defer settings,
    of which only the latest counts (a first read sent alone takes them with it, and
    the BEGIN after it takes them again)."""
    defer_all(connection, ((statement, parameters),))


def defer_all(connection: sa.Connection, statements: tuple[tuple[str, tuple | None], ...]) -> None:
    """As `defer`, for several statements sent in order (`SET LOCAL` sets one setting)."""
    if connection.engine not in _configured:
        for statement, parameters in statements:
            connection.exec_driver_sql(statement, parameters)
        return
    transaction = _transaction(connection)
    transaction.settings, transaction.unsent = statements, True


def _begin(connection: sa.Connection) -> None:
    # A connection SQLAlchemy set to an isolation level of its own (AUTOCOMMIT, or one
    # where psycopg begins again) is left as it is.
    if connection.get_execution_options().get("isolation_level"):
        return
    if connection.connection.dbapi_connection.autocommit:
        _transactions[connection] = _Transaction()


def _send(cursor, statement: str | None, parameters, ahead: list[tuple]) -> None:
    connection = cursor.connection
    if not ahead:  # a read alone: no pipeline to set up
        _run(cursor, statement, parameters)
        return
    with connection.pipeline():
        for sent, sent_parameters in ahead:
            connection.execute(sent, sent_parameters)
        _run(cursor, statement, parameters)


def _run(cursor, statement: str | None, parameters) -> None:
    if statement is None:
        pass
    elif parameters is None:
        cursor.execute(statement)
    else:
        cursor.execute(statement, parameters)


def _ahead(transaction: _Transaction, statement: str | None) -> list[tuple]:
    """What goes out ahead of `statement` (None: one SQLAlchemy runs itself, or many), and
    what the transaction has then sent."""
    if transaction.begun:
        ahead = list(transaction.settings) if transaction.unsent else []
    elif _may_run_alone(transaction, statement):
        transaction.ran_alone = True
        return list(transaction.settings)  # a transaction of its own, ended by the Sync
    else:
        ahead = [(b"BEGIN", None), *transaction.settings]
        transaction.begun = True
    transaction.unsent = False
    return ahead


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
    """Send what must go ahead of the statement with it, in one pipeline (None: only what
    goes ahead)."""
    transaction = _transactions.get(context.root_connection)
    if transaction is None or (transaction.begun and not transaction.unsent):
        return False  # SQLAlchemy executes it as usual
    if isinstance(cursor, psycopg.ServerCursor):  # it cannot ride a pipeline
        statement = None
    explicit = transaction.begun
    ahead = _ahead(transaction, statement)
    if explicit and not ahead:
        return False
    try:
        _send(cursor, statement, parameters, ahead)
    except psycopg.OperationalError as error:
        # Nothing of an explicit transaction has run yet: the statement may go again.
        dropped = context.dialect.is_disconnect(error, cursor.connection, cursor)
        if explicit or not dropped:
            raise
        log.warning("connection dropped by the server; retrying on a new one: %s", error)
        _send(_reconnect(context, error), statement, parameters, ahead)
    return statement is not None


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
