"""Lookups by id that cannot tell 'missing' from 'not yours'."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from tenants.db import db

T = TypeVar("T")


def find_in_scope(model: type[T], id_: int) -> T | None:
    """The row of `model` with `id_` if the current scope sees it, else None.

    A select (never `session.get`), so the scope criteria apply even when the identity map
    already holds the row.
    """
    return db.session.execute(sa.select(model).where(model.id == id_)).scalar_one_or_none()
