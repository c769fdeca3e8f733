"""The API's generic resource operations: what every record's endpoints repeat, written once.

An API module declares a `Resource` per kind of record (its schema; its `access_<thing>`
helper with the URL parameter of the id; the MethodView of one record, for `Location`; the
record a collection lives in, if any) and builds its MethodViews' operations from it:

- `listing`: a page of a scoped query (`X-Pagination` set);
- `reading`: one record, found by its access helper;
- `creating`: a new record through a service, answered 201 with its `Location`;
- `updating`: a change through a service, the record looked up before the body is read.

Each operation carries the decorators one written out by hand would (`requires`,
`found_first`, `arguments`, `response`, `paginate`), in the same order, so the OpenAPI
document describes it alike; its summary is the first argument. The request's unit of work
commits what the service wrote, and a refusal it raised is answered by `service.rest`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from marshmallow import Schema
from sqlalchemy import Select

from service.auth.roles import Permission
from service.rest import Blueprint, found_first, paginate

# How a 201 documents where the new record is.
LOCATION = {"Location": {"description": "The new record", "schema": {"type": "string"}}}


@dataclass(frozen=True)
class Within:
    """The record a collection lives in (an association's meetings): `param` in the URL,
    found by `access` first, so that another tenant's is a 404 before anything else."""

    param: str
    access: Callable[[int], Any]


@dataclass(frozen=True)
class Resource:
    """One kind of record on the API, and the operations built for it."""

    blp: Blueprint
    schema: type[Schema]
    access: Callable[[int], Any] | None = None  # the package's access_<thing>
    id_name: str | None = None  # the URL parameter `access` is given
    located_at: str | None = None  # the MethodView of one record, for `Location`
    within: Within | None = None

    def listing(
        self,
        summary: str,
        permission: Permission,
        query: Callable[..., Select],
        args: type[Schema] | None = None,
    ) -> Callable:
        """A page of `query(args, parent)` (without `args` when no `args` schema is given,
        without `parent` when the collection is not `within` one)."""

        def get(_view, *arguments, pagination_parameters, **url):
            return paginate(query(*arguments, *self._parent(url)), pagination_parameters)

        operation = self.blp.paginate()(_summarised(get, summary))
        operation = self.blp.response(200, self.schema(many=True))(operation)
        if args is not None:
            operation = self.blp.arguments(args, location="query")(operation)
        return self.blp.requires(permission)(operation)

    def reading(self, summary: str, permission: Permission) -> Callable:
        """The record with the URL's id, by the access helper."""
        self._needs("access", "id_name")

        def get(_view, **url):
            return self.access(url[self.id_name])

        operation = self.blp.response(200, self.schema)(_summarised(get, summary))
        return self.blp.requires(permission)(operation)

    def creating(
        self,
        summary: str,
        permission: Permission,
        body: type[Schema],
        create: Callable[..., Any],
    ) -> Callable:
        """`create(data, parent)` (without `parent` when the collection is not `within`
        one), answered 201 with the new record and its `Location`. The service flushes, so
        the record has its id."""
        self._needs("id_name", "located_at")

        def post(_view, data, **url):
            record = create(data, *self._parent(url))
            location = url_for(f"{self.blp.name}.{self.located_at}", **{self.id_name: record.id})
            return record, 201, {"Location": location}

        operation = self.blp.response(201, self.schema, headers=LOCATION)(
            _summarised(post, summary)
        )
        operation = self.blp.arguments(body)(operation)
        if self.within is not None:
            operation = found_first(self.within.access, self.within.param)(operation)
        return self.blp.requires(permission, write=True)(operation)

    def updating(
        self,
        summary: str,
        permission: Permission,
        body: type[Schema],
        update: Callable[[Any, dict], Any],
    ) -> Callable:
        """`update(record, changes)` on the record with the URL's id, which is looked up
        before the body is validated (another tenant's id is a 404, never a 422)."""
        self._needs("access", "id_name")

        def change(_view, changes, **url):
            return update(self.access(url[self.id_name]), changes)

        operation = self.blp.response(200, self.schema)(_summarised(change, summary))
        operation = self.blp.arguments(body)(operation)
        operation = found_first(self.access, self.id_name)(operation)
        return self.blp.requires(permission, write=True)(operation)

    def _needs(self, *parts: str) -> None:
        # Refused when the API module is imported, not at the first request.
        missing = [part for part in parts if getattr(self, part) is None]
        if missing:
            raise TypeError(f"this operation needs the resource's {', '.join(missing)}")

    def _parent(self, url: dict[str, Any]) -> tuple[Any, ...]:
        return (self.within.access(url[self.within.param]),) if self.within else ()


def _summarised(operation: Callable, summary: str) -> Callable:
    # smorest takes an operation's summary from its docstring.
    operation.__doc__ = summary
    return operation
