"""SQL shared by the statistics that no one package owns."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from tenants.db import db

# The parameters of the statistics' statements built once, given when they run: the
# associations counted, and the first and last days of the year counted (`of_year`).
ASSOCIATION_IDS = sa.bindparam("association_ids", expanding=True)
YEAR_START = sa.bindparam("year_start", type_=sa.Date)
YEAR_END = sa.bindparam("year_end", type_=sa.Date)


def of_year(year: int) -> dict[str, date]:
    """The values of YEAR_START and YEAR_END for `year`."""
    return {"year_start": date(year, 1, 1), "year_end": date(year, 12, 31)}


def one_of(column: sa.ColumnElement, values: Collection) -> sa.ColumnElement[bool]:
    """`column IN values`. On PostgreSQL, `column = ANY(:values)` with the values as one
    array: the statement's text is the same for any number of values, so psycopg parses and
    prepares it once, where an IN list of a federation's 150 associations is rendered value
    by value and parsed again at every execution."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
