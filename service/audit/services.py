"""Record every ORM write in the audit log, in the same transaction as the write: an event
about a tenant in its log (`audit_event`), an event of none in the platform's
(`platform_audit_event`)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent, PlatformAuditEvent
from service.validation import ID_MAX
from tenants.models import Association, TenantOwned, utcnow

_actor: ContextVar[str] = ContextVar("audit_actor", default="system")
_concealed: ContextVar[bool] = ContextVar("audit_concealed", default=False)
CONCEALED_ACTOR = "anonymous"


def set_actor(label: str) -> object:
    """Name who is acting ('user:12 alice', 'token:3', 'cli'); returns a reset token."""
    return _actor.set(label)


def reset_actor(token: object) -> None:
    _actor.reset(token)  # type: ignore[arg-type]


def current_actor() -> str:
    return _actor.get()


@contextlib.contextmanager
def concealed_actor() -> Iterator[None]:
    """Writes in this block are logged as by "anonymous" and concealed in time (see
    `concealed_time`): an anonymous submission cannot then be matched to a sign-in."""
    actor = _actor.set(CONCEALED_ACTOR)
    try:
        with concealed_time():
            yield
    finally:
        _actor.reset(actor)


@contextlib.contextmanager
def concealed_time() -> Iterator[None]:
    """Writes in this block are logged at the day, not the second, with ids outside the
    sequence. Named suggestions use it too, so that their events cannot be told from the
    anonymous ones by time and the anonymous ones found as the rest."""
    concealed = _concealed.set(True)
    try:
        yield
    finally:
        _concealed.reset(concealed)


def _now() -> datetime:
    now = utcnow()
    return datetime.combine(now.date(), time.min) if _concealed.get() else now


def _tenant_of(obj: object) -> int | None:
    if isinstance(obj, TenantOwned):
        return obj.tenant_id
    if isinstance(obj, Association):
        return obj.id
    return getattr(obj, "association_id", None)


def _shown(column: sa.Column, value: Any) -> Any:
    """The value as the log keeps it: secrets and personal data only as 'changed'."""
    if column.info.get("secret") or column.info.get("personal"):
        return "***"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):  # file contents: the size says enough
        return f"<{len(value)} bytes>"
    return str(value)


def _changes(obj: object, action: str) -> dict | None:
    state = inspect(obj)
    mapper = state.mapper
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        hist = state.attrs[attr.key].history
        if action == "update" and not hist.has_changes():
            continue
        if action == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                out[attr.key] = _shown(column, value)
        elif action == "update":
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            out[attr.key] = [_shown(column, old), _shown(column, new)]
    return out or None


def _entries(session: Session) -> list[dict]:
    now = _now()
    rows = []
    for action, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if isinstance(obj, (AuditEvent, PlatformAuditEvent)) or not hasattr(obj, "__table__"):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            rows.append(
                {
                    "occurred_at": now,
                    "actor": current_actor(),
                    "action": action,
                    "entity": obj.__table__.name,
                    "entity_id": None,
                    "tenant_id": _tenant_of(obj),
                    "changes": None if action == "delete" else _changes(obj, action),
                    "_obj": obj,
                }
            )
    return rows


def _before_flush(session: Session, flush_context, instances) -> None:
    # This flush's writes only: what a failed flush had gathered (its writes undone with
    # its savepoint or transaction) must not be logged by the next one.
    session.info["audit_pending"] = _entries(session)


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    for row in pending:
        obj = row.pop("_obj")
        key = inspect(obj).mapper.primary_key_from_instance(obj)
        row["entity_id"] = ",".join(str(k) for k in key) if None not in key else None
        if row["tenant_id"] is None:
            row["tenant_id"] = _tenant_of(obj)
    _insert(session, pending)


def _insert(session: Session, rows: list[dict]) -> None:
    """Core insert: the audit row needs no ORM round trip and is not itself audited. An
    event with a tenant goes to that tenant's log, one with none to the platform's."""
    if _concealed.get():
        rows = [{**row, "id": _concealed_id()} for row in rows]
    tenants = [row for row in rows if row["tenant_id"] is not None]
    platform = [
        {k: v for k, v in row.items() if k != "tenant_id"}
        for row in rows
        if row["tenant_id"] is None
    ]
    for table, batch in ((AuditEvent.__table__, tenants), (PlatformAuditEvent.__table__, platform)):
        if batch:
            _insert_into(session, table, batch)


def _insert_into(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Inline, so that no RETURNING asks for the new id back: PostgreSQL checks a returned
    row against the read policy, which an event logged outside the scope that reads it (a
    sign-in, before its scope; any platform event) would fail, and the log never needs the
    id. A plain statement, so SQLAlchemy compiles it once (a VALUES list is never cached)."""
    session.connection().execute(sa.insert(table).inline(), rows)


def _concealed_id() -> int:
    """A random id below zero, outside the sequence: a concealed event's place in the log's
    id order would otherwise sit it between the events just before and after it."""
    return -secrets.randbelow(ID_MAX) - 1


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: object = None,
    tenant_id: int | None = None,
    changes: dict | None = None,
) -> None:
    """Log an event that is not a row write (a login, an export)."""
    _insert(
        session,
        [
            {
                "occurred_at": _now(),
                "actor": current_actor(),
                "action": action,
                "entity": entity,
                "entity_id": None if entity_id is None else str(entity_id),
                "tenant_id": tenant_id,
                "changes": changes,
            }
        ],
    )


def record_each(
    session: Session, action: str, entity: str, events: list[tuple[object, int, dict]]
) -> None:
    """Log one event per record, each in its own tenant: (entity id, tenant id, changes).
    One insert for all of them (an export of a whole table logs one line per row's owner)."""
    if not events:
        return
    now, actor = _now(), current_actor()
    _insert(
        session,
        [
            {
                "occurred_at": now,
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "tenant_id": tenant_id,
                "changes": changes,
            }
            for entity_id, tenant_id, changes in events
        ],
    )


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
