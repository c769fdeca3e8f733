"""Lookups by id that cannot tell 'missing' from 'not yours'."""

from __future__ import annotations

from functools import cache
from typing import TypeVar

import sqlalchemy as sa

from tenants.db import db

T = TypeVar("T")


@cache
def _by_id(model: type) -> sa.Select:
    # Built once per model, the id a bound parameter: the scope's criteria are added to it
    # at each execution (tenants.filtering), as to any statement.
    return sa.select(model).where(model.id == sa.bindparam("id_"))


def find_in_scope(model: type[T], id_: int) -> T | None:
    """The row of `model` with `id_` if the current scope sees it, else None.

    A select (never `session.get`), so the scope criteria apply even when the identity map
    already holds the row.
    """
    return db.session.execute(_by_id(model), {"id_": id_}).scalar_one_or_none()
