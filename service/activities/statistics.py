"""The association's work in figures, for other packages (the annual report, the federation's
dashboards): every aggregate of `service.activities.aggregates` at once, in one statement.

The aggregates stay one grouped query each; here they are sent together as a UNION ALL, each
branch padded with zeros for the figures of the others, so a report's compile pays one round
trip (and one compiled statement) for the whole table family instead of one per aggregate.
The figures are the aggregates' own: the same columns, the same conditions.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from service.activities import aggregates
from service.activities.models import (
    COUNTED as COUNTED,  # the activity list's filter of what the figures count
)
from service.activities.models import (
    Activity,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from tenants.db import db

# The association ids of a statement, given when it runs: the statement itself is built once
# per year and kept (building ~60 aggregate expressions costs more than running them).
IDS = sa.bindparam("association_ids", expanding=True)


@dataclass(frozen=True)
class _Union:
    statement: sa.CompoundSelect
    names: tuple[tuple[str, ...], ...]  # per branch, the figures its columns hold in order
    width: int


@functools.lru_cache(maxsize=8)
def _work_union(year: int) -> _Union:
    """The aggregates of `year` as one UNION ALL: each branch is (tenant_id, its branch
    number, its figures in order), padded with zeros to the widest branch."""
    queries = [query(year) for query in aggregates.QUERIES]
    width = max(len(query.columns) for query in queries)
    zero = sa.literal_column("0")
    branches = []
    for number, query in enumerate(queries):
        values = list(query.columns.values())
        values += [zero] * (width - len(values))
        branches.append(
            query.select(None)
            .where(query.model.tenant_id.in_(IDS))
            .with_only_columns(
                query.model.tenant_id.label("tenant_id"),
                sa.literal_column(str(number)).label("branch"),
                *(value.label(f"f{i}") for i, value in enumerate(values)),
            )
        )
    names = tuple(tuple(query.columns) for query in queries)
    return _Union(sa.union_all(*branches), names, width)


def work_figures(association_ids: Collection[int], year: int) -> aggregates.Figures:
    """Every figure of the activity, outcome and talent aggregates (suggestions aside: they
    are another package's) per association for `year`, zeros where nothing was recorded:
    `{association id: {figure: whole number}}`."""
    ids = sorted({int(a) for a in association_ids})
    if not ids:
        return {}
    union = _work_union(year)
    every = [name for names in union.names for name in names]
    out = {a: dict.fromkeys(every, 0) for a in ids}
    for tenant_id, branch, *values in db.session.execute(union.statement, {"association_ids": ids}):
        figures = out[tenant_id]
        for name, value in zip(union.names[branch], values, strict=False):
            figures[name] = int(value or 0)
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

# Writes to these change a dashboard metric (see `service.governance.statistics`).
DASHBOARD_RECORDS: tuple[type, ...] = (Activity,)
