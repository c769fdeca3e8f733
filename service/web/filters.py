"""Jinja filters for what clerks read: Beijing time, numbers as in Excel, names by pinyin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from service.sorting import by_pinyin

# Users sit in China: every time is shown in Beijing time, whatever the server's zone.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


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


def number(value: Any, places: int = 2) -> str:
    """A figure as Excel shows it: thousands separated, no spurious ".0" (231.0 -> 231,
    75480000 -> 75,480,000), at most `places` decimals (2.50 -> 2.5). Text passes through."""
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
    figure = round(figure, places)
    if figure == figure.to_integral_value():
        return f"{int(figure):,}"
    return f"{figure:,f}".rstrip("0").rstrip(".")


def number_cell(value: Any, places: int = 2, label: Any = None) -> Markup:
    """A right-aligned table cell holding a number (`<td class="num">`); with `label`, the
    column's name that the cell shows beside it when a phone lays the row out as a card."""
    figure = escape(number(value, places))
    if label is None:
        return Markup('<td class="num">{}</td>').format(figure)
    return Markup('<td class="num" data-label="{}">{}</td>').format(label, figure)


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
