"""Demo data of the federation: universities still without an association, guidance (one
to a category, partly acknowledged and answered), problems, comments, and the rollups of
this year and the two before, so the dashboards and trends have something to show; the
Zhejiang federation's page of exemplars is published."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from service.auth.models import User
from service.federation import exemplars, guidance, problems, rollups
from service.federation.models import Comment, GuidanceReceipt, University
from service.governance import compliance
from service.governance.models import ComplianceFinding
from tenants.db import db
from tenants.models import Association, Federation

UNCOVERED = {
    "ZJ": [
        ("浙江警察学院", "applied"),
        ("浙江金融职业学院", "vocational"),
        ("浙江树人学院", "private"),
        ("温州商学院", "private"),
    ],
    "SC": [("成都东软学院", "private"), ("四川交通职业技术学院", "vocational")],
}


def load(federations: dict[str, Federation], today: date) -> None:
    """Call inside the demo's system scope, after the associations and users exist."""
    for code, rows in UNCOVERED.items():
        for name, category in rows:
            db.session.add(
                University(federation_id=federations[code].id, name=name, category=category)
            )
    zj = federations["ZJ"].id
    _guidance(zj, today)
    _problems(zj)
    exemplars.set_published(zj, True, "user:zj-officer")
    db.session.flush()
    ids = list(db.session.scalars(sa.select(Association.id)))
    for year in (today.year - 2, today.year - 1, today.year):
        rollups.store(ids, year, today)


def _guidance(federation_id: int, today: date) -> None:
    to_research = guidance.issue(
        federation_id,
        title="关于研究型大学科协加强高层次学术交流的指导意见",
        body="请各研究型大学科协结合学科优势，制定本年度高层次学术交流计划，并于截止日期前报送。",
        audience="categories",
        targets=["research"],
        deadline=today + timedelta(days=30),
        response_required=True,
        files=[],
        actor="user:zj-officer",
    )
    to_all = guidance.issue(
        federation_id,
        title="关于做好年度工作总结报送工作的通知",
        body="请各高校科协于截止日期前确认收到本通知，并按要求报送年度工作总结。",
        audience="all",
        targets=[],
        deadline=today - timedelta(days=3),
        response_required=False,
        files=[],
        actor="user:zj-officer",
    )
    receipts = db.session.scalars(
        sa.select(GuidanceReceipt).order_by(GuidanceReceipt.tenant_id)
    ).all()
    research = [r for r in receipts if r.guidance_id == to_research.id]
    for receipt in research[:2]:
        guidance.acknowledge(receipt, "demo")
    if research:
        guidance.respond(research[0], "已制定年度学术交流计划，拟举办学术沙龙6场。", None, "demo")
    for receipt in [r for r in receipts if r.guidance_id == to_all.id][::2]:
        guidance.acknowledge(receipt, "demo")


def _problems(federation_id: int) -> None:
    officer = db.session.scalar(
        sa.select(User).where(
            User.federation_id == federation_id, User.role == "federation_officer"
        )
    )
    first = db.session.scalar(
        sa.select(Association).where(
            Association.federation_id == federation_id, Association.name.like("浙江工业大学%")
        )
    )
    if first is not None:
        overdue = problems.open_problem(
            federation_id,
            title="会员（代表）大会逾期未换届",
            description="距上次会员（代表）大会已超过五年，需督促尽快召开换届大会。",
            association_id=first.id,
            category=None,
            assignee_id=officer.id if officer else None,
            actor="user:zj-officer",
        )
        # The problem follows the overdue congress finding: it cannot be resolved before the
        # finding is explained (or the congress held and the term archived).
        for row in db.session.scalars(
            sa.select(ComplianceFinding).where(
                ComplianceFinding.tenant_id == first.id, ComplianceFinding.rule == "congress"
            )
        ):
            if compliance.as_finding(row).is_open:
                problems.link_finding(overdue, row, "user:zj-officer")
        db.session.add(
            Comment(
                federation_id=federation_id,
                association_id=first.id,
                body="请省科协督促该校科协在本学期内完成换届。",
                author="user:zj-edu",
            )
        )
    problems.open_problem(
        federation_id,
        title="高职院校科协团体会员发展不足",
        description="多数高职院校科协尚未建立院系科协，团体会员数偏少。",
        association_id=None,
        category="vocational",
        assignee_id=officer.id if officer else None,
        actor="user:zj-officer",
    )
