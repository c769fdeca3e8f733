"""Background work for federations: keeping the dashboards' rollups fresh.

`refresh_association` is queued after every write an association's rollup reads (the
session hook in `rollups`), `refresh_all` nightly. Both refresh the federation's category
views beside the rollups (`dashboards.store_category_views`). Each job's writes are
committed when it returns (`service.jobs.run_job`), after its scope is restored to none:
so each flushes while its scope is in force (`rollups.store` does).
"""

from __future__ import annotations

from datetime import date

from service.federation import dashboards, rollups
from tenants.scope import Scope, system_scope, use_scope


def refresh_association(association_id: int, year: int | None = None) -> int:
    """Recompute one association's rollups for `year` (this year by default); idempotent.
    A job for an association gone from the scope (or the database) does nothing."""
    if not rollups.exists(association_id):
        return 0
    year = year or date.today().year
    rollups.store([association_id], year)
    federation_id = rollups.federation_of(association_id)
    # The category views compare the association with its federation's others: they are
    # the federation's rows, computed and written in the federation's scope, not the
    # association's (which sees neither its peers' rollups nor the federation's rows).
    with use_scope(Scope.federation(federation_id)):
        dashboards.store_category_views(federation_id, year)
    return 1


def refresh_all(years: int = 2) -> int:
    """The nightly run: every association of the platform, this year and last (the
    overview sets one against the other; a late record of last year's work lands here)."""
    this_year = date.today().year
    with system_scope("nightly federation rollups"):
        ids = rollups.association_ids()
        for year in range(this_year - years + 1, this_year + 1):
            rollups.store(ids, year)
            for federation_id in rollups.federation_ids():
                dashboards.store_category_views(federation_id, year)
    return len(ids)
