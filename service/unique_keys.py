"""A unique key taken by someone else at the same moment is a Conflict, not a crash.

A service checks first (is this phone number a member's already?) and writes after; two
requests at once, or an import and a form, can both pass the check, and the database's
unique key then refuses the second write. `claimed` writes inside a SAVEPOINT, so the
refusal undoes only that write (the request's other work stands until its own end), and
turns it into `Conflict` with the caller's message for the field: a 409 on the API, a form
error on the web, and nothing of the attempt kept. Keys are per tenant or per federation,
so the clash is always with a record the caller's scope holds; the message names the field,
never the other record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.errors import Conflict
from service.i18n import lazy_gettext as _l
from tenants.db import db

# Columns that say whose the key is rather than what it is.
OWNER_COLUMNS = frozenset({"tenant_id", "federation_id"})
# For a setting saved in place (a threshold, a weight, a title word): two saves of a new
# one at once, and the second finds the first's row where it meant to add its own.
SAVED_MEANWHILE = _l(
    "Someone else saved this at the same moment. Look at the page again and repeat your"
    " change if it is still needed."
)
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


@contextmanager
def claimed(model: type, messages: Mapping[str, object]) -> Iterator[None]:
    """Write `model` rows in the block and flush them in a SAVEPOINT; a unique key of one
    of the fields in `messages` (the column name, without its owner column) taken meanwhile
    raises Conflict with that field's message, blaming that field. Any other refusal of
    the database is raised as it is."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as clash:
        field = taken_field(clash, model.__table__)
        if field not in messages:
            raise
        raise Conflict(messages[field], field) from clash


def taken_field(clash: IntegrityError, table: sa.Table) -> str | None:
    """The field of `table` whose unique key refused the write, or None when the refusal
    was not a unique key's (a check, a foreign key) or the key spans several fields."""
    columns = _key_columns(clash, table)
    named = [c for c in columns if c not in OWNER_COLUMNS]
    return named[0] if len(named) == 1 else None


def _key_columns(clash: IntegrityError, table: sa.Table) -> list[str]:
    diag = getattr(clash.orig, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint or unique index
        if getattr(clash.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            return []
        return _columns_of_key(table, diag.constraint_name)
    found = SQLITE_UNIQUE.search(str(clash.orig))  # SQLite names the columns
    if found is None:
        return []
    qualified = [c.strip() for c in found.group(1).split(",")]
    return [c.split(".", 1)[1] for c in qualified if c.startswith(f"{table.name}.")]


def _columns_of_key(table: sa.Table, name: str | None) -> list[str]:
    keys = [
        *(c for c in table.constraints if isinstance(c, sa.UniqueConstraint)),
        *(i for i in table.indexes if i.unique),
    ]
    for key in keys:
        if key.name == name:
            return [c.name for c in key.columns]
    return []
