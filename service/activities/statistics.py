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
from service.i18n import lazy_gettext as _l
from service.sql import ASSOCIATION_IDS
from tenants.db import db
from tenants.reads import Owned, TenantRead


@dataclass(frozen=True)
class _Union:
    read: TenantRead
    names: tuple[tuple[str, ...], ...]  # per branch, the figures its columns hold in order
    years: tuple[int, ...]  # per branch, the year it counts
    width: int


@functools.lru_cache(maxsize=8)
def _work_union(years: tuple[int, ...]) -> _Union:
    """The aggregates of each of `years` as one UNION ALL: each branch is (tenant_id, its
    branch number, its figures in order), padded with zeros to the widest branch. A
    `TenantRead`: the scope's condition is written into each branch when it is built, so
    a compile does not copy and key this, the largest statement it sends, again each time."""
    queries = [(year, query(year)) for year in years for query in aggregates.QUERIES]
    width = max(len(query.columns) for _year, query in queries)
    zero = sa.literal_column("0")

    def build(owned: Owned) -> sa.CompoundSelect:
        branches = []
        for number, (_year, query) in enumerate(queries):
            values = list(query.columns.values())
            values += [zero] * (width - len(values))
            branches.append(
                query.select(None)
                .where(owned(query.model.__table__), query.model.tenant_id.in_(ASSOCIATION_IDS))
                .with_only_columns(
                    query.model.tenant_id.label("tenant_id"),
                    sa.literal_column(str(number)).label("branch"),
                    *(value.label(f"f{i}") for i, value in enumerate(values)),
                )
            )
        return sa.union_all(*branches)

    names = tuple(tuple(query.columns) for _year, query in queries)
    branch_years = tuple(year for year, _query in queries)
    return _Union(TenantRead(build), names, branch_years, width)


def work_figures(association_ids: Collection[int], year: int) -> aggregates.Figures:
    """Every figure of the activity, outcome and talent aggregates (suggestions aside: they
    are another package's) per association for `year`, zeros where nothing was recorded:
    `{association id: {figure: whole number}}`."""
    return work_figures_of_years(association_ids, (year,))[year]


def work_figures_of_years(
    association_ids: Collection[int], years: tuple[int, ...]
) -> dict[int, aggregates.Figures]:
    """As `work_figures`, for each of `years` at once: still one statement."""
    ids = sorted({int(a) for a in association_ids})
    years = tuple(sorted(set(years)))
    if not ids or not years:
        return {year: {} for year in years}
    union = _work_union(years)
    one_year = union.names[: len(aggregates.QUERIES)]
    every = [name for names in one_year for name in names]
    out = {year: {a: dict.fromkeys(every, 0) for a in ids} for year in years}
    for tenant_id, branch, *values in union.read.rows(db.session, {"association_ids": ids}):
        figures = out[union.years[branch]][tenant_id]
        for name, value in zip(union.names[branch], values, strict=False):
            figures[name] = int(value or 0)
    return out


def all_figures(
    association_ids: Collection[int], years: tuple[int, ...]
) -> dict[int, aggregates.Figures]:
    """Every figure of `aggregates.all_figures` (suggestions too), per association in the
    order given, for each of `years`: the work of every year in one statement, the
    suggestions in one a year (their package's own query)."""
    ids = list(dict.fromkeys(int(a) for a in association_ids))
    work = work_figures_of_years(ids, years)
    out: dict[int, aggregates.Figures] = {}
    for year in years:
        suggestions = aggregates.suggestions(ids, year) if ids else {}
        out[year] = {}
        for a in ids:
            merged = {**work[year].get(a, {}), **suggestions.get(a, {})}
            out[year][a] = {key: merged.get(key, 0) for key in aggregates.FIGURE_KEYS}
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
