"""The one way a service fetches a record by id for the current principal.

Each package's services name theirs `access_<thing>(id)` and build it on these two; a view or
API handler never looks a record up by id any other way. Both raise `NotFound` for a missing
id and for one the caller may not see alike, so a 404 never tells the two apart.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from service.errors import NotFound
from tenants.access import find_in_scope
from tenants.db import db

T = TypeVar("T")


def in_scope(model: type[T], id_: int) -> T:
    """The tenant row of `model` with `id_` if the current scope holds it."""
    row = find_in_scope(model, id_)
    if row is None:
        raise NotFound()
    return row


def owned_by_federation(model: type[T], id_: int, federation_id: int | None) -> T:
    """The federation-owned row of `model` with `id_` if `federation_id` owns it (guidance,
    problems, the federation's own settings): not tenant rows, so no scope criteria apply,
    and ownership is the check."""
    row = db.session.scalar(
        sa.select(model).where(model.id == id_, model.federation_id == federation_id)
    )
    if row is None:
        raise NotFound()
    return row
