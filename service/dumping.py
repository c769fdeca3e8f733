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
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from marshmallow import Schema, fields, missing

# tests/service/test_api_contract.py compares every read with marshmallow's own dump.
_plain: ContextVar[bool] = ContextVar("plain_marshmallow", default=False)

Step = Callable[[Any, dict], None]


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
    steps = [_step(schema, name, field) for name, field in schema.dump_fields.items()]
    new_record = schema.dict_class

    def one(obj: Any) -> dict:
        out = new_record()
        for step in steps:
            step(obj, out)
        return out

    def serialize(obj: Any, *, many: bool = False) -> Any:
        if _plain.get():
            return Schema._serialize(schema, obj, many=many)
        if many and obj is not None:
            return [one(item) for item in obj]
        return one(obj)

    schema._serialize = serialize
    return schema


def _read(obj: Any, key: str) -> Any:
    # utils._get_value_for_key, for an undotted key: an ORM row has no __getitem__.
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _step(schema: Schema, name: str, field: fields.Field) -> Step:
    """How one field is dumped into the record: as `Schema._serialize` would do it."""
    key = field.data_key if field.data_key is not None else name
    kind = type(field)
    plain = kind.serialize is fields.Field.serialize and kind.get_value is fields.Field.get_value
    source = field.attribute if field.attribute is not None else name
    if not plain or "." in source:
        return _by_marshmallow(schema, name, field, key)
    formatted = field._serialize
    if not field._CHECK_ATTRIBUTE:  # a Method or Function field computes from the object

        def computed(obj: Any, out: dict) -> None:
            out[key] = formatted(None, name, obj)

        return computed
    default = field.dump_default
    identity = _identity_type(field)

    def read(obj: Any, out: dict) -> None:
        value = _read(obj, source)
        if value is missing:
            value = default() if callable(default) else default
            if value is missing:
                return
        if value is None and identity is not None:
            out[key] = None
        elif identity is not None and type(value) is identity:
            out[key] = value
        else:
            out[key] = formatted(value, name, obj)

    return read


def _identity_type(field: fields.Field) -> type | None:
    """The type whose values the field's formatting returns unchanged (None for None too)."""
    if type(field) is fields.String:
        return str
    if type(field) is fields.Integer and not field.as_string:
        return int
    return None


def _by_marshmallow(schema: Schema, name: str, field: fields.Field, key: str) -> Step:
    def dumped(obj: Any, out: dict) -> None:
        value = field.serialize(name, obj, accessor=schema.get_attribute)
        if value is not missing:
            out[key] = value

    return dumped


__all__ = ["fast_dumping", "plain_marshmallow"]
