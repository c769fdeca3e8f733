"""Web lists: the page ?page= asks for, 50 rows at a time."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy.pagination import Pagination

from service.validation import bounded_page
from tenants.db import db

PER_PAGE = 50


def page_of(
    query, per_page: int = PER_PAGE, number: int | None = None, count_at_most: int | None = None
) -> Pagination:
    """Page `number` of `query`, by default the one ?page= asks for. A page number that is
    no number is the first page; one past the last row (however many digits it has) is an
    empty page, never a database error. With `count_at_most`, rows are counted up to that
    bound only (a long log is never read whole to number its pages): `total` stops there and
    `counted_all` says whether it is the whole count."""
    requested = number if number is not None else request.args.get("page", 1, type=int)
    page = db.paginate(
        query,
        page=bounded_page(requested, per_page),
        per_page=per_page,
        error_out=False,
        count=count_at_most is None,
    )
    page.counted_all = True
    if count_at_most is not None:
        bounded = query.order_by(None).limit(count_at_most + 1).subquery()
        found = db.session.execute(sa.select(sa.func.count()).select_from(bounded)).scalar_one()
        page.total, page.counted_all = min(found, count_at_most), found <= count_at_most
    return page
