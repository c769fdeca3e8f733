"""A federation's work across its associations: guidance (with receipts and a response), a
category change each, a problem following a finding, and a comment."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from service.associations.models import Category
from service.federation import guidance, problems
from service.federation.models import CategoryChange, Comment, GuidanceReceipt
from service.files.checks import CheckedUpload
from service.governance.models import ComplianceFinding
from tenants.db import db
from tests.factories.files import PDF_BYTES

if TYPE_CHECKING:
    from tests.factories.world import Province


def make_federation_work(province: Province) -> None:
    """Guidance with an attachment to every association (each gets a receipt; the first
    responds with a file), guidance to the second only, a category change each, a problem
    about the first association and a comment."""
    attachment = CheckedUpload("通知.pdf", "application/pdf", PDF_BYTES)
    issued = guidance.issue(
        province.federation.id,
        title="关于开展年度工作总结的通知",
        body="请各高校科协于年底前报送年度工作总结。",
        audience="all",
        targets=[],
        deadline=date(2026, 12, 31),
        response_required=True,
        files=[attachment],
        actor="factory",
    )
    private = guidance.issue(
        province.federation.id,
        title="关于整改秘书处工作的意见",
        body="请于一个月内完成整改。",
        audience="associations",
        targets=[province.second.association.id],
        deadline=None,
        response_required=False,
        files=[],
        actor="factory",
    )
    first = province.first.association.id
    receipt = db.session.scalar(
        sa.select(GuidanceReceipt).where(
            GuidanceReceipt.tenant_id == first, GuidanceReceipt.guidance_id == issued.id
        )
    )
    guidance.respond(receipt, "已部署落实。", province.first.files[0], "factory")
    province.guidance_id, province.private_guidance_id = issued.id, private.id
    province.guidance_file_id = guidance.files(issued.id)[0].id
    province.receipt_id = receipt.id
    for tenant in (province.first, province.second):
        db.session.add(
            CategoryChange(
                tenant_id=tenant.association.id,
                from_code=None,
                to_code=Category.RESEARCH.value,
                reason="初始分类",
                actor="factory",
            )
        )
    problem = problems.open_problem(
        province.federation.id,
        title="秘书处人员不足",
        description="秘书处仅一名兼职人员。",
        association_id=province.first.association.id,
        category=None,
        assignee_id=None,
        actor="factory",
    )
    db.session.add(
        Comment(
            federation_id=province.federation.id,
            association_id=province.first.association.id,
            body="请关注换届进度。",
            author="factory",
        )
    )
    # The problem follows a finding of its association (in order: it does not block); not
    # the congress finding of `governance["finding_id"]`, which tests link themselves.
    followed = db.session.scalar(
        sa.select(ComplianceFinding)
        .where(
            ComplianceFinding.tenant_id == province.first.association.id,
            ComplianceFinding.id != province.first.governance["finding_id"],
        )
        .order_by(ComplianceFinding.id)
        .limit(1)
    )
    problems.link_finding(problem, followed, "factory")
    db.session.flush()
    province.problem_id = problem.id
