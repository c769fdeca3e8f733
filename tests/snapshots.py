"""What a refused request must leave unchanged: the row count of every table."""

from __future__ import annotations

import sqlalchemy as sa

from tenants.db import db
from tenants.scope import system_scope


def row_counts() -> dict[str, int]:
    """Rows in every table, the audit log included (a refused request writes no event)."""
    with system_scope("test: count the rows of every table"):
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
