"""Jinja filters for what clerks read: Beijing time, numbers as in Excel, names by pinyin."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

# Users sit in China: every time is shown in Beijing time, whatever the server's zone.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (naive means UTC, as the database keeps it) in Beijing time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE).strftime(fmt)


def local_date(moment: datetime | date | None) -> str:
    if isinstance(moment, datetime):
        return local_time(moment, "%Y-%m-%d")
    return moment.isoformat() if moment else ""


def number(value: Any, places: int | None = None) -> str:
    """A figure as Excel shows it: thousands separated, no spurious ".0" (231.0 -> 231,
    75480000 -> 75,480,000), `places` decimals when asked. Text passes through."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return str(value)
    try:
        figure = Decimal(str(value).replace(",", ""))
    except ArithmeticError:
        return str(value)
    if not figure.is_finite():
        return str(value)
    if places is not None:
        return f"{figure:,.{places}f}"
    if figure == figure.to_integral_value():
        return f"{int(figure):,}"
    return f"{figure.normalize():,f}"


def number_cell(value: Any, places: int | None = None) -> Markup:
    """A right-aligned table cell holding a number (`<td class="num">`)."""
    return Markup('<td class="num">{}</td>').format(escape(number(value, places)))


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[tuple[str, ...], str]:
    """Sort key that orders Chinese names as a dictionary does (syllable by syllable, by
    pinyin, then tone), Latin letters among them by their letters; the name breaks ties."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries load on first use, not at start

    syllables = lazy_pinyin(name or "", style=Style.TONE3, errors="default")
    return tuple(s.lower() for s in syllables), name or ""


def by_pinyin(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """The items sorted by pinyin of their name (`key` picks the name; the item itself when
    it is a string)."""
    pick = key or (lambda item: item)  # type: ignore[assignment, return-value]
    return sorted(items, key=lambda item: pinyin_key(str(pick(item) or "")))


def _sort_pinyin(items: Iterable[Any], attribute: str | None = None) -> list[Any]:
    """Jinja: `rows|sort_pinyin('name')`, items or dicts sorted by that field's pinyin."""
    if attribute is None:
        return by_pinyin(items, str)

    def pick(item: Any) -> str:
        if isinstance(item, dict):
            return str(item.get(attribute) or "")
        return str(getattr(item, attribute, "") or "")

    return by_pinyin(items, pick)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date,
        number=number,
        number_cell=number_cell,
        sort_pinyin=_sort_pinyin,
    )
