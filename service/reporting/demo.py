"""Demo reporting: last year's period open in every federation, every association's report
compiled from the demo records, all but the last approved, and a draft roll-up."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.reporting import indicators, services
from service.reporting.models import content_hash
from tenants.db import db
from tenants.models import Association, Federation


def load_reporting(today: date) -> None:
    """Call inside the demo's system scope."""
    year = today.year - 1
    for federation in db.session.scalars(sa.select(Federation).order_by(Federation.id)):
        period = services.open_period(federation.id, year, date(today.year, 3, 31), "demo")
        ids = db.session.scalars(
            sa.select(Association.id)
            .where(Association.federation_id == federation.id)
            .order_by(Association.id)
        ).all()
        figures = indicators.compute(ids, year)
        for aid in ids:
            report = services.start_compile(aid, period)
            report.figures = figures[aid]
            report.figures_hash = content_hash(figures[aid])
            report.status = "compiled"
            if aid != ids[-1]:  # one association is still working on its report
                report.status = "submitted"
                services.approve(report, "demo")
        db.session.flush()
        services.compile_rollup(federation.id, year)
