"""Web lists: the page ?page= asks for, 50 rows at a time."""

from __future__ import annotations

from flask import request
from flask_sqlalchemy.pagination import Pagination

from service.validation import bounded_page
from tenants.db import db

PER_PAGE = 50


def page_of(query, per_page: int = PER_PAGE, number: int | None = None) -> Pagination:
    """Page `number` of `query`, by default the one ?page= asks for. A page number that is
    no number is the first page; one past the last row (however many digits it has) is an
    empty page, never a database error."""
    requested = number if number is not None else request.args.get("page", 1, type=int)
    return db.paginate(
        query, page=bounded_page(requested, per_page), per_page=per_page, error_out=False
    )
