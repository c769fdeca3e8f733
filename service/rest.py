"""The API's shared parts: an authenticated Blueprint, pagination limits, error shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, wraps

from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import resolve_schema_instance
from marshmallow import RAISE, Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import default_exceptions
from werkzeug.routing import IntegerConverter

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.dumping import fast_dumping
from service.errors import DomainError
from service.extensions import api
from service.unit_of_work import discard
from service.validation import ID_MAX, bounded_page
from tenants.db import db


def paginate(query, pagination_parameters) -> list:
    """One page of `query` for a `@blp.paginate()` view; sets the total for X-Pagination."""
    page = db.paginate(
        query,
        page=bounded_page(pagination_parameters.page, pagination_parameters.page_size),
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


def bounded_integers(schema: type[Schema] | Schema) -> Schema:
    """`schema` as an instance whose every integer field (nested ones, list items and dict
    values included) is held to 0..ID_MAX unless it already has a range with both ends.

    Every integer a request brings ends in a BIGINT column or compares with one; beyond
    ID_MAX, or below zero, it is a 422 with the field's message, never a database error.
    """
    instance = schema() if isinstance(schema, type) else schema
    for field in instance.fields.values():
        _bound(field)
    return instance


def _bound(field: fields.Field) -> None:
    if isinstance(field, fields.Integer):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        if not any(r.min is not None and r.max is not None for r in ranges):
            field.validators.append(validate.Range(min=0, max=ID_MAX))
    elif isinstance(field, fields.Nested):
        nested = field.schema
        for inner in nested.fields.values():
            _bound(inner)
    elif isinstance(field, fields.List):
        _bound(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _bound(inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _bound(field.value_field)


def refusal(error: DomainError):
    """The API's answer to a domain refusal: nothing of the request is kept, and the JSON
    error shape carries the kind's status (404, 409, 422) and the message; a 422 names each
    field to blame (`_schema` for the input as a whole)."""
    discard()
    http_error = default_exceptions[error.status]()
    http_error.data = {"message": str(error)}
    if error.status == 422:
        http_error.data["errors"] = {
            "json": {field or "_schema": [str(m)] for field, m in error.errors.items()}
        }
    return api.handle_http_exception(http_error)


class _ArgumentsParser(FlaskParser):
    """webargs' parser, which makes a schema given as a class anew for every request:
    flask-smorest hands it the pagination parameters' class. Here each class is made once."""

    def _get_schema(self, argmap, req) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)


@cache
def _instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


# X-Pagination's members, in the order flask-smorest's schema dumps them.
_PAGINATION_KEYS = tuple(PaginationMetadataSchema().dump_fields)


class Blueprint(SmorestBlueprint):
    """A smorest Blueprint whose views need a bearer token and a permission.

    Documents 401 and 403 on every operation it wraps, as bemserver does. Every argument
    schema (query, path, body) has its integers bounded (`bounded_integers`). Every
    response schema dumps through its plan (`service.dumping`), to the same JSON. A domain
    refusal raised in its views is answered by `refusal`, so views need no try/except.
    """

    PAGINATION_ARGUMENTS_PARSER = _ArgumentsParser()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.register_error_handler(DomainError, refusal)

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        """flask-smorest's X-Pagination, without making its schema for every page: its
        fields are integers, which it dumps as they are, in its own order."""
        if item_count == 0:
            return {"total": 0, "total_pages": 0}
        last = (item_count - 1) // page_size + 1
        found = {"total": item_count, "total_pages": last, "first_page": 1, "last_page": last}
        if page <= last:
            found["page"] = page
            if page > 1:
                found["previous_page"] = page - 1
            if page < last:
                found["next_page"] = page + 1
        return {key: found[key] for key in _PAGINATION_KEYS if key in found}

    def arguments(self, schema, **kwargs):
        return super().arguments(bounded_integers(schema), **kwargs)

    def response(self, status_code, schema=None, **kwargs):
        if schema is not None and not isinstance(schema, (str, dict)):
            schema = fast_dumping(resolve_schema_instance(schema))
        return super().response(status_code, schema, **kwargs)

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
