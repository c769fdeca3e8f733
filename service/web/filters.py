"""Jinja filters for what clerks read: Beijing time, numbers as in Excel, names by pinyin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g
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


def number_cell(value: Any, places: int = 2) -> Markup:
    """A right-aligned table cell holding a number (`<td class="num">`)."""
    return Markup('<td class="num">{}</td>').format(escape(number(value, places)))


def _sort_pinyin(items: Iterable[Any], attribute: str | None = None) -> list[Any]:
    """Jinja: `rows|sort_pinyin('name')`, items or dicts sorted by that field's pinyin."""
    if attribute is None:
        return by_pinyin(items, str)

    def pick(item: Any) -> str:
        if isinstance(item, dict):
            return str(item.get(attribute) or "")
        return str(getattr(item, attribute, "") or "")

    return by_pinyin(items, pick)


def display_name(author: str | None) -> str:
    """Who wrote or did something, by name: the display name of the account behind an audit
    label ("user:12 alice"), a "user:alice" or a bare username; anything else (a role, a
    removed account) as it was kept. Looked up once per request."""
    if not author:
        return ""
    names = g.setdefault("display_names", {})
    if author not in names:
        names[author] = _display_name(author)
    return names[author]


def _display_name(author: str) -> str:
    from service.auth import services as accounts

    owner = accounts.owners_of_labels([author]).get(author)
    if owner is not None and owner.name:
        return owner.name
    kind, _, rest = author.partition(":")
    username = rest if kind == "user" else author
    user = accounts.find_user(username) if username and " " not in username else None
    if user is not None:
        return user.display_name
    from service.audit.presentation import actor_names  # "system", a role, a gone account

    return actor_names([author])[author]


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date,
        number=number,
        number_cell=number_cell,
        sort_pinyin=_sort_pinyin,
        display_name=display_name,
    )
