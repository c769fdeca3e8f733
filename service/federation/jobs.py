"""Background work for federations: keeping the dashboards' rollups fresh.

`refresh_association` is queued after every write an association's rollup reads (the
session hook in `rollups`), `refresh_all` nightly. They live with the rollup tables they
write (`rollups`), where queued jobs name them (`service.federation.rollups:...`); this
module is where a reader finds every job of the package.
"""

from __future__ import annotations

from service.federation.rollups import refresh_all, refresh_association

__all__ = ["refresh_all", "refresh_association"]
