"""Dumping the API's answers fast, to the same JSON (issue 21, item 2).

marshmallow spends most of a page's dump on its per-value machinery, not on formatting: for
every field of every row, `Field.serialize` goes through `get_value`, the schema's accessor,
`utils.get_value` and `_get_value_for_key` before the field's own `_serialize`. A 50-row page
of members is some 900 such chains, and cost more CPU than the query behind it.

`fast_dumping(schema)` plans a schema's fields once, when the API Blueprint is handed it, and
dumps each row by that plan: the value read as `utils.get_value` would read it, then the
field's own `_serialize`. A string that is already a `str` and an integer that is already an
`int` (or a None) are the formatting's identity and are kept as they are. Anything the plan
cannot read as marshmallow would (a field with its own `serialize` or `get_value`, a dotted
attribute, a schema with its own `get_attribute`) is dumped by marshmallow itself. Pre- and
post-dump hooks, `dump_default`, `data_key` and `many` behave as marshmallow's, so the
documented contract (tests/service/test_api_contract.py) is unchanged by construction.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from operator import attrgetter, itemgetter
from typing import Any

from marshmallow import Schema, fields, missing
from sqlalchemy.engine import Row

# tests/service/test_api_contract.py compares every read with marshmallow's own dump.
_plain: ContextVar[bool] = ContextVar("plain_marshmallow", default=False)

# How a planned field is dumped: its value read and formatted by the field's `_serialize`;
# computed by it from the object (a Method or Function field); or by `Field.serialize`.
READ, COMPUTED, BY_MARSHMALLOW = "read", "computed", "by marshmallow"


@contextlib.contextmanager
def plain_marshmallow() -> Iterator[None]:
    """Within it, every planned schema dumps through marshmallow itself."""
    token = _plain.set(True)
    try:
        yield
    finally:
        _plain.reset(token)


def fast_dumping(schema: Schema) -> Schema:
    """`schema` itself (the OpenAPI document describes the same instance), dumping through
    its plan; unchanged if marshmallow must read its values its own way."""
    if type(schema).get_attribute is not Schema.get_attribute:
        return schema
    if type(schema)._serialize is not Schema._serialize or "_serialize" in vars(schema):
        return schema
    plan, sources = [], []
    for name, field in schema.dump_fields.items():
        how, key, source, format_, default, identity = _planned(name, field)
        plan.append((how, key, name, source, len(sources), format_, default, identity))
        if how is READ:
            sources.append(source)
    read_all = attrgetter(*sources) if sources else None
    one_source = len(sources) == 1
    new_record = schema.dict_class

    @functools.cache
    def read_row(names: tuple[str, ...]) -> Callable[[Row], tuple] | None:
        # A database row's values by position. Its __getitem__ takes no name, so marshmallow
        # reads it by getattr, which gives the same values; a row without one of the
        # sources is read field by field.
        if read_all is None or not set(sources) <= set(names):
            return None
        positions = [names.index(source) for source in sources]
        return (lambda row: (row[positions[0]],)) if one_source else itemgetter(*positions)

    def one(obj: Any, reader: Callable[[Row], tuple] | None = None) -> dict:
        # An ORM object (no __getitem__) has every attribute read in one call, as getattr
        # would; a mapping, or an object missing one, is read field by field as marshmallow
        # does. `reader`: how the rows of one result are read (the same for each).
        values = None
        if isinstance(obj, Row):
            reader = reader or read_row(obj._fields)
            values = reader(obj) if reader is not None else None
        elif read_all is not None and not hasattr(obj, "__getitem__"):
            try:
                values = read_all(obj)
            except AttributeError:
                values = None
            else:
                values = (values,) if one_source else values
        out = new_record()
        for how, key, name, source, index, format_, default, identity in plan:
            if how is READ:
                value = values[index] if values is not None else _read(obj, source)
                if value is missing:
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                if identity is not None and (value is None or type(value) is identity):
                    out[key] = value
                else:
                    out[key] = format_(value, name, obj)
            elif how is COMPUTED:
                out[key] = format_(None, name, obj)
            else:
                value = format_(name, obj, accessor=schema.get_attribute)
                if value is not missing:
                    out[key] = value
        return out

    def serialize(obj: Any, *, many: bool = False) -> Any:
        if _plain.get():
            return Schema._serialize(schema, obj, many=many)
        if many and obj is not None:
            return [one(item, reader) for item, reader in _with_readers(obj)]
        return one(obj)

    def _with_readers(rows: Any) -> Iterator[tuple[Any, Callable[[Row], tuple] | None]]:
        # The rows of one result share its metadata: their fields are read once for all.
        metadata, reader = None, None
        for row in rows:
            if isinstance(row, Row) and row._parent is not metadata:
                metadata, reader = row._parent, read_row(row._fields)
            yield row, reader

    schema._serialize = serialize
    return schema


def dumped_attributes(schema: type[Schema]) -> set[str]:
    """The attributes `schema` reads to dump an object: what a select of rows for it holds."""
    return {field.attribute or name for name, field in schema().dump_fields.items()}


def _read(obj: Any, key: str) -> Any:
    # utils._get_value_for_key, for an undotted key.
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _planned(name: str, field: fields.Field) -> tuple:
    """(how, key, source, formatter, dump_default, identity): as `Schema._serialize` would."""
    key = field.data_key if field.data_key is not None else name
    kind = type(field)
    plain = kind.serialize is fields.Field.serialize and kind.get_value is fields.Field.get_value
    source = field.attribute if field.attribute is not None else name
    if not plain or "." in source:
        return (BY_MARSHMALLOW, key, source, field.serialize, missing, None)
    if not field._CHECK_ATTRIBUTE:
        return (COMPUTED, key, source, field._serialize, missing, None)
    return (READ, key, source, field._serialize, field.dump_default, _identity(field))


def _identity(field: fields.Field) -> type | None:
    """The type whose values (and None) the field's formatting returns unchanged."""
    if type(field) is fields.String:
        return str
    if type(field) is fields.Integer and not field.as_string:
        return int
    return None


__all__ = ["dumped_attributes", "fast_dumping", "plain_marshmallow"]
