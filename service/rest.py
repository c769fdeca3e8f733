"""The API's shared parts: an authenticated Blueprint, pagination limits, error shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps

from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from marshmallow import RAISE, Schema, fields
from werkzeug.routing import IntegerConverter

from service.auth.principal import current_principal
from service.auth.roles import Permission
from tenants.db import db

# Ids are INTEGER columns: a larger id in a URL or body is no row, never a database error.
ID_MAX = 2**31 - 1


def paginate(query, pagination_parameters) -> list:
    """One page of `query` for a `@blp.paginate()` view; sets the total for X-Pagination."""
    # No table holds more than ID_MAX rows, so any later page is empty; asking the database
    # for it would overflow its BIGINT offset.
    last_possible = ID_MAX // pagination_parameters.page_size
    page = db.paginate(
        query,
        page=min(pagination_parameters.page, last_possible),
        per_page=pagination_parameters.page_size,
        error_out=False,
    )
    pagination_parameters.item_count = page.total
    return page.items


class UtcDateTime(fields.DateTime):
    """A timestamp with its offset, as OpenAPI's date-time requires. The database stores
    UTC; SQLite hands it back without a zone, PostgreSQL with one."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL: a row id, so at most ID_MAX; beyond it, 404."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def id_parameter_schema(_converter: IdConverter) -> dict:
    return {"type": "integer", "minimum": 0, "maximum": ID_MAX}


def found_first(lookup: Callable[[int], object], param: str):
    """Look the URL's id up before the body is validated: another tenant's id is a 404
    whatever the body says, never a 422 that would confirm the id exists."""

    def decorator(func):
        @wraps(func)
        def wrapped(*args, **kwargs):
            lookup(kwargs[param])
            return func(*args, **kwargs)

        return wrapped

    return decorator


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = RAISE


class Blueprint(SmorestBlueprint):
    """A smorest Blueprint whose views need a bearer token and a permission.

    Documents 401 and 403 on every operation it wraps, as bemserver does.
    """

    def requires(self, permission: Permission, *, write: bool = False):
        def decorator(func):
            @wraps(func)
            def wrapped(*args, **kwargs):
                principal = current_principal()
                if not principal.is_authenticated:
                    abort(401, message="A valid bearer token is required.")
                if write and principal.read_only:
                    abort(403, message="This token is read-only.")
                if not principal.can(permission):
                    abort(403, message="This token may not do that.")
                return func(*args, **kwargs)

            wrapped.required_permission = permission
            for code in (401, 403):
                wrapped = self.alt_response(code, response="DEFAULT_ERROR")(wrapped)
            return wrapped

        return decorator
