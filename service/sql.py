"""SQL shared by the statistics that no one package owns."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from tenants.db import db


def one_of(column: sa.ColumnElement, values: Collection) -> sa.ColumnElement[bool]:
    """`column IN values`. On PostgreSQL, `column = ANY(:values)` with the values as one
    array: the statement's text is the same for any number of values, so psycopg parses and
    prepares it once, where an IN list of a federation's 150 associations is rendered value
    by value and parsed again at every execution."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
