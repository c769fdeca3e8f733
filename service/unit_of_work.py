"""The unit of work: one transaction per request or job, committed once at its boundary.

A request's writes are committed after its view has answered with a success (below 400), and
rolled back otherwise; a job's are committed when its function returns (`service.jobs`).
Views, API handlers and services never commit: services flush when they need ids, a page
that refuses a form after writing calls `discard()`, and one whose refusal is itself recorded
(a failed sign-in counted) calls `keep_despite_refusal()`. Work that must follow a commit (queueing
a job that reads what the request wrote) is registered with `after_commit`, and is dropped if
the transaction rolls back instead.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, g
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from tenants.db import db

_AFTER_COMMIT = "after_commit"


def discard() -> None:
    """Drop the writes made so far in this unit of work (a refused form, a refused step):
    the page then renders or redirects on a clean session, and nothing of the attempt is
    committed at the boundary. Later writes in the same request are committed as usual."""
    db.session.rollback()


def keep_despite_refusal() -> None:
    """Commit this request's writes even though it answers with a refusal: where the record
    of the attempt is the work itself (a wrong password counted, a second-factor key that must
    stay the same on the next look)."""
    g.keep_work = True


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits; forget it if it rolls back. With
    no transaction open (or one already committing), nothing is pending, so it runs now."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None and transaction.is_active:
        session.info.setdefault(_AFTER_COMMIT, []).append(callback)
    else:
        callback()


def install(app: Flask, session_class: type[Session]) -> None:
    """Commit each successful request at its end, and run what waits for the commit."""
    if not event.contains(session_class, "after_commit", _run_after_commit):
        event.listen(session_class, "after_commit", _run_after_commit)
        event.listen(session_class, "after_transaction_end", _forget_after_rollback)

    @app.after_request
    def end_unit_of_work(response: Response) -> Response:
        if not db.session().in_transaction():
            return response
        if response.status_code < 400 or g.pop("keep_work", False):
            db.session.commit()
        else:
            db.session.rollback()
        return response


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def _forget_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without its commit running the callbacks: rolled back.
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
