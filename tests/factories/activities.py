"""An association's work: held activities with their evidence, outcomes (a consulting report,
a technology transfer), a nomination, an exemplar, and its suggestions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from service.activities.models import (
    Activity,
    ActivityEvidence,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from service.auth.roles import Role
from tenants.db import db
from tenants.models import Association, utcnow
from tests.factories.files import store_file
from tests.factories.serial import serial
from tests.factories.suggestions import make_suggestion

if TYPE_CHECKING:
    from tests.factories.world import Tenant


def make_activity(association: Association, *, flush: bool = True, **fields) -> Activity:
    """A held academic exchange, shared with the federation unless told otherwise."""
    n = serial()
    values = {
        "task": "academic",
        "subtype": "inter_university",
        "title": f"第{n}届校际学术论坛",
        "starts_on": date(2026, 5, 10),
        "ends_on": date(2026, 5, 11),
        "place": "学术交流中心",
        "visibility": "federation",
        "status": "held",
        "events": 1,
        "participants": 120,
        "speakers": 8,
        "papers": 15,
        **fields,
    }
    activity = Activity(tenant_id=association.id, created_by="factory", **values)
    db.session.add(activity)
    if flush:
        db.session.flush()
    return activity


def make_evidence(activity: Activity) -> ActivityEvidence:
    """A sign-in sheet (a small PDF) kept as the activity's evidence."""
    stored = store_file(activity.tenant_id, "签到表.pdf")
    evidence = ActivityEvidence(
        tenant_id=activity.tenant_id, activity_id=activity.id, file_id=stored.id
    )
    db.session.add(evidence)
    return evidence


def make_work(tenant: Tenant) -> None:
    """Activities, evidence, outcomes, a nomination, an exemplar and suggestions."""
    association = tenant.association
    activity = make_activity(association, flush=False)
    tenant.activities = [activity, make_activity(association, visibility="private")]
    tenant.evidence = [make_evidence(activity)]
    report = ConsultingReport(
        tenant_id=association.id,
        title="关于加强高校科技成果转化的建议",
        recipient="省人民政府办公厅",
        recipient_level="provincial",
        submitted_on=date(2026, 3, 1),
        adopted=True,
        adopted_on=date(2026, 4, 1),
    )
    transfer = TechTransfer(
        tenant_id=association.id,
        title="高性能储能材料专利转让",
        partner="某新能源科技有限公司",
        mode="transfer",
        signed_on=date(2026, 6, 1),
        contracts=1,
        value_yuan=2_000_000,
    )
    nomination = Nomination(
        tenant_id=association.id,
        award="省科学技术奖",
        level="provincial",
        year=2026,
        nominee_name="李明",
        nominee_unit="机械工程学院",
        consent_given=True,
        consent_recorded_at=utcnow(),
        proposed_by="factory",
    )
    exemplar = Exemplar(
        tenant_id=association.id,
        kind="person",
        name="王芳",
        unit="化学学院",
        deeds="长期开展科普志愿服务",
        year=2026,
        consent_to_publish=True,
        consent_recorded_at=utcnow(),
        proposed_by="factory",
    )
    db.session.add_all([report, transfer, nomination, exemplar])
    tenant.consulting_reports, tenant.transfers = [report], [transfer]
    tenant.nominations, tenant.exemplars = [nomination], [exemplar]
    named, _code = make_suggestion(
        association, user=tenant.users[Role.MEMBER], escalated=True, flush=False
    )
    anonymous, code = make_suggestion(
        association, theme="evaluation", title="职称评审建议", flush=False
    )
    db.session.flush()
    tenant.suggestions = [named, anonymous]
    tenant.receipt_code = code
