"""Names in the order clerks expect: by pinyin, as a Chinese dictionary or Excel's "拼音排序"
orders them, not by code point (where 浙 comes before 北 and 中 after 重).

In Python, `pinyin_key` / `by_pinyin` (pypinyin, which also reads 重庆 as chong). In SQL, for
lists the database pages, `pinyin_order(column)`: the column in the collation "pinyin". On
PostgreSQL that is ICU's Chinese pinyin order (migration 0032: every hanzi by its common
reading, digits and Latin letters ahead of them), which an index can serve; on SQLite a
collation of that name that calls `pinyin_key`. The two agree on names in hanzi; ICU reads a
character one way wherever it stands (长城 as zhang), and puts Latin names before the hanzi
where pypinyin files them among the syllables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T")


@lru_cache(maxsize=8192)
def pinyin_key(name: str) -> tuple[tuple[str, ...], str]:
    """Sort key: syllable by syllable by pinyin (tone as the last letter), Latin letters
    among them by their letters; the name itself breaks ties."""
    # The dictionaries (some megabytes) load on first use, not when a command starts; a web
    # node's gunicorn loads them before it forks its workers (service/warmup.py).
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name or "", style=Style.TONE3, errors="default")
    return tuple(s.lower() for s in syllables), name or ""


def by_pinyin(items: Iterable[T], key: Callable[[T], Any] | None = None) -> list[T]:
    """The items sorted by the pinyin of their name (`key` picks it; the item itself when
    it is a string)."""
    pick = key or (lambda item: item)
    return sorted(items, key=lambda item: pinyin_key(str(pick(item) or "")))


class pinyin_order(ColumnElement):
    """`ORDER BY pinyin_order(Association.name)`: the column, ordered by pinyin."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = sa.sql.coercions.expect(sa.sql.roles.ExpressionElementRole, column)
        self.type = self.column.type


@compiles(pinyin_order)
def _collated(element: pinyin_order, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} COLLATE pinyin"


def _compare(left: str, right: str) -> int:
    a, b = pinyin_key(left or ""), pinyin_key(right or "")
    return (a > b) - (a < b)


@sa.event.listens_for(sa.Engine, "connect")
def _pinyin_collation(dbapi_connection, _record) -> None:
    """Every SQLite connection knows the "pinyin" collation that `pinyin_order` uses."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_collation("pinyin", _compare)
