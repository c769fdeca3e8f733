"""The association's work in figures, for other packages (the annual report, the federation's
dashboards): every aggregate of `service.activities.aggregates` at once, in one statement.

The aggregates stay one grouped query each; here they are sent together as a UNION ALL, each
branch padded with zeros for the figures of the others, so a report's compile pays one round
trip (and one compiled statement) for the whole table family instead of one per aggregate.
The figures are the aggregates' own: the same columns, the same conditions.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from service.activities import aggregates
from service.activities.models import (
    Activity,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from tenants.db import db


def _columns(queries: list[aggregates.Grouped]) -> list[str]:
    return [name for query in queries for name in query.columns]


def work_figures(association_ids: Collection[int], year: int) -> aggregates.Figures:
    """Every figure of the activity, outcome and talent aggregates (suggestions aside: they
    are another package's) per association for `year`, zeros where nothing was recorded:
    `{association id: {figure: whole number}}`."""
    ids = sorted({int(a) for a in association_ids})
    if not ids:
        return {}
    queries = [query(year) for query in aggregates.QUERIES]
    names = _columns(queries)
    zero = sa.literal_column("0")
    branches = [
        query.select(ids).with_only_columns(
            query.model.tenant_id.label("tenant_id"),
            *((query.columns.get(name, zero)).label(name) for name in names),
        )
        for query in queries
    ]
    out = {a: dict.fromkeys(names, 0) for a in ids}
    for row in db.session.execute(sa.union_all(*branches)).mappings():
        figures = out[row["tenant_id"]]
        for name in names:
            figures[name] += int(row[name] or 0)
    return out


# The records the annual report counts, and how each is dated: (model, what the page calls
# them, the date column, counted when dated in the year (True) or in or before it).
# `service.reporting.amendments` notes every write of one under a locked year.
COUNTED_RECORDS: tuple[tuple[type, object, str, bool], ...] = (
    (Activity, _l("activities"), "starts_on", True),
    (ConsultingReport, _l("consulting reports"), "submitted_on", True),
    (TechTransfer, _l("technology transfers"), "signed_on", True),
    (Nomination, _l("nominations"), "year", True),
    (Exemplar, _l("exemplars"), "year", True),
)
