"""A federation's annual reporting: a period whose reports are approved and rolled up, the
roll-up locked with its push queued, then amended after lock with a request to reopen."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from service.governance.models import Meeting
from service.reporting import amendments, indicators
from service.reporting import services as reporting
from service.reporting.models import AnnualReport, NationalEndpoint
from tenants.db import db

if TYPE_CHECKING:
    from tests.factories.world import Province, Tenant


def make_reporting(province: Province, year: int = 2025) -> dict[str, int]:
    """A period whose reports are approved (locked) and rolled up, the roll-up locked and its
    push queued for the federation's endpoint. Returns the ids tests point at."""
    federation = province.federation
    period = reporting.open_period(federation.id, year, date(year + 1, 3, 31), "factory")
    for tenant in (province.first, province.second):
        report = reporting.start_compile(tenant.association.id, period)
        report.figures = indicators.compute([tenant.association.id], year)[tenant.association.id]
        report.status = "submitted"
        reporting.approve(report, "factory")
        db.session.flush()
        tenant.reports = [report.id]
    db.session.add(NationalEndpoint(federation_id=federation.id, url="http://127.0.0.1:9/none"))
    db.session.flush()
    rollup = reporting.compile_rollup(federation.id, year)
    outbox = reporting.lock_rollup(rollup, "factory")
    db.session.flush()
    for tenant in (province.first, province.second):
        _amend_after_lock(tenant, year)
    return {"period_id": period.id, "rollup_id": rollup.id, "outbox_id": outbox.id}


def _amend_after_lock(tenant: Tenant, year: int) -> None:
    """Minutes written into a meeting of the locked year (an amendment after lock, which
    changes no figure), and the association's request to reopen."""
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(
            Meeting.tenant_id == tenant.association.id,
            Meeting.held_on.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .order_by(Meeting.id)
        .limit(1)
    )
    if meeting is not None:
        meeting.minutes = f"{meeting.minutes or ''}（锁定后补录）"
        db.session.flush()
    report = db.session.get(AnnualReport, tenant.reports[0])
    amendments.request_reopen(report, "补录了会议纪要，请核对后重新开启。", "factory")
    db.session.flush()
