"""Background work for federations: keeping the dashboards' rollups fresh.

`refresh_association` is queued after every write an association's rollup reads (the
session hook in `rollups`), `refresh_all` nightly. Each job's writes are committed when it
returns (`service.jobs.run_job`), after its scope is restored to none: so each flushes while
its scope is in force (`rollups.store` does).
"""

from __future__ import annotations

from datetime import date

from service.federation import rollups
from tenants.scope import system_scope


def refresh_association(association_id: int, year: int | None = None) -> int:
    """Recompute one association's rollups for `year` (this year by default); idempotent.
    A job for an association gone from the scope (or the database) does nothing."""
    if not rollups.exists(association_id):
        return 0
    rollups.store([association_id], year or date.today().year)
    return 1


def refresh_all(years: int = 2) -> int:
    """The nightly run: every association of the platform, this year and last (the
    overview sets one against the other; a late record of last year's work lands here)."""
    this_year = date.today().year
    with system_scope("nightly federation rollups"):
        ids = rollups.association_ids()
        for year in range(this_year - years + 1, this_year + 1):
            rollups.store(ids, year)
    return len(ids)
