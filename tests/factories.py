"""Factories. Each one that makes tenant data takes its tenant: there is no default tenant."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from service.activities.models import (
    Activity,
    ActivityEvidence,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from service.associations.models import AssociationProfile, Category
from service.auth import services as auth
from service.auth.models import ApiToken, TokenLevel, User
from service.auth.roles import ROLES, Level, Role
from service.federation import categories, guidance, problems, rollups
from service.federation.models import CategoryChange, Comment, GuidanceReceipt
from service.files.checks import CheckedUpload
from service.files.models import StoredFile
from service.governance import compliance, establishment
from service.governance import services as governance
from service.governance.models import (
    ApplicationDocument,
    ComplianceFinding,
    Establishment,
    FoundingDocument,
    LifecycleChange,
    Meeting,
    Reminder,
)
from service.imports.models import ImportMapping, ImportSheet, TitleWord
from service.members import history
from service.members.models import (
    GroupMember,
    GroupMemberStatusChange,
    Member,
    MemberApplication,
    MemberImport,
    MembershipPolicy,
)
from service.reporting import amendments, indicators
from service.reporting import services as reporting
from service.reporting.models import AnnualReport, NationalEndpoint
from service.sso.models import IdentityProvider, SsoLink
from service.suggestions.models import Suggestion
from service.suggestions.services import new_receipt_code, receipt_hash_of
from tenants.db import db
from tenants.models import Association, Federation, utcnow

PASSWORD = "correct horse battery"
# A cheap hash keeps the suite fast; the login tests also cover the production scrypt hash.
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_seq = itertools.count(1)


def make_federation(code: str | None = None) -> Federation:
    n = next(_seq)
    federation = Federation(
        code=code or f"F{n}", name=f"测试省高校科协联合会{n}", province=f"测试省{n}"
    )
    db.session.add(federation)
    db.session.flush()
    categories.seed_defaults(federation.id)
    return federation


def make_association(
    federation: Federation, *, name: str | None = None, category: Category = Category.RESEARCH
) -> Association:
    n = next(_seq)
    association = Association(federation_id=federation.id, name=name or f"测试大学{n}科学技术协会")
    db.session.add(association)
    db.session.flush()
    db.session.add(
        AssociationProfile(
            tenant_id=association.id,
            university_name=f"测试大学{n}",
            category=category.value,
            contact_name="张伟",
            contact_phone=f"139{n:08d}",
            contact_email=f"kexie{n}@example.edu.cn",
            address="测试市大学路1号",
        )
    )
    db.session.flush()
    return association


def make_user(
    role: Role,
    *,
    association: Association | None = None,
    federation: Federation | None = None,
    username: str | None = None,
) -> User:
    level = ROLES[role].level
    if level is Level.ASSOCIATION and association is None:
        raise TypeError(f"a {role} user needs its association")
    if level is Level.FEDERATION and federation is None:
        raise TypeError(f"a {role} user needs its federation")
    user = User(
        username=username or f"{role.value}-{next(_seq)}",
        display_name="测试用户",
        role=role.value,
        password_hash=_FAST_HASH,
        association_id=association.id if level is Level.ASSOCIATION else None,
        federation_id=federation.id if level is Level.FEDERATION else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_token(
    level: str,
    *,
    association: Association | None = None,
    federation: Federation | None = None,
    federations: list[Federation] | None = None,
    read_only: bool = True,
) -> tuple[ApiToken, str]:
    token, plaintext = auth.create_token(
        name=f"token-{next(_seq)}",
        level=level,
        created_by=None,
        association_id=association.id if association else None,
        federation_id=federation.id if federation else None,
        federation_ids=[f.id for f in federations or []],
        read_only=read_only,
    )
    db.session.flush()
    return token, plaintext


def make_member(association: Association, *, user: User | None = None, **fields) -> Member:
    n = next(_seq)
    values = {
        "name": f"会员{n}",
        "phone": f"137{n:08d}",
        "email": f"member{n}@example.edu.cn",
        "department": "物理学院",
        "title": "intermediate",
        **fields,
    }
    member = Member(tenant_id=association.id, user_id=user.id if user else None, **values)
    db.session.add(member)
    db.session.flush()
    history.record_untracked(association.id)  # its joining (and status), dated
    db.session.flush()
    return member


def make_group_member(association: Association, **fields) -> GroupMember:
    n = next(_seq)
    group = GroupMember(
        tenant_id=association.id,
        name=fields.pop("name", f"测试学院{n}科协"),
        kind=fields.pop("kind", "department"),
        member_count=fields.pop("member_count", 30),
        **fields,
    )
    db.session.add(group)
    db.session.flush()
    return group


GOVERNANCE_TODAY = date(2026, 6, 1)


def make_governance(association: Association, *, held_on: date = date(2024, 4, 20)) -> dict:
    """A founded, fully staffed association: charter and approval, a congress electing a
    committee with a standing committee, a meeting of each, chair, vice-chair,
    secretary-general, secretariat, and stored findings. Returns the rows tests point at."""
    tid = association.id
    db.session.add(
        Establishment(
            tenant_id=tid,
            charter_accepted_on=date(2019, 3, 1),
            approved_on=date(2019, 5, 30),
            approved_by_federation_id=association.federation_id,
            document_number=f"科协函〔2019〕{tid}号",
        )
    )
    members = [
        governance.NewMember("李明", "机械工程学院", True),
        governance.NewMember("王芳", "化学学院", True),
        governance.NewMember("赵强", "计算机学院"),
    ]
    congress = governance.hold_congress(
        tid,
        held_on=held_on,
        delegates=120,
        today=GOVERNANCE_TODAY,
        term_ends_on=date(2029, 4, 20),
        members=members,
        standing_committee_formed_on=held_on,
    )
    committee = governance.record_meeting(
        tid, body="committee", held_on=date(2025, 3, 10), attendance=3, today=GOVERNANCE_TODAY
    )
    standing = governance.record_meeting(
        tid,
        body="standing_committee",
        held_on=date(2025, 9, 10),
        attendance=2,
        today=GOVERNANCE_TODAY,
    )
    chair = governance.appoint(
        tid,
        post="chair",
        name="李明",
        starts_on=held_on,
        eligibility="university_leader",
        eligibility_basis="副校长",
    )
    governance.appoint(
        tid,
        post="vice_chair",
        name="王芳",
        starts_on=held_on,
        eligibility="renowned_expert",
        eligibility_basis="国家杰出青年科学基金获得者",
    )
    secretary = governance.appoint(
        tid,
        post="secretary_general",
        name="赵强",
        starts_on=date(2025, 3, 11),
        nominated_on=date(2025, 3, 1),
        approving_meeting_id=committee.id,
    )
    governance.set_host_office(tid, "科学技术研究院")
    standing.minutes_file_id = make_stored_file(association, name="常委会会议纪要.pdf").id
    founding = FoundingDocument(
        tenant_id=tid, file_id=make_stored_file(association, name="成立批复.pdf").id
    )
    db.session.add(founding)
    db.session.flush()
    db.session.add(
        LifecycleChange(
            tenant_id=tid,
            from_status="applying",
            to_status="active",
            reason="批准成立",
            actor="factory",
        )
    )
    compliance.store(tid, compliance.evaluate(tid, GOVERNANCE_TODAY), GOVERNANCE_TODAY)
    db.session.add(
        Reminder(
            tenant_id=tid,
            rule="congress",
            period="none",
            state="due_soon",
            due_on=date(2024, 1, 1),
            sent_on=date(2023, 12, 1),
        )
    )
    finding = db.session.scalar(
        sa.select(ComplianceFinding).where(
            ComplianceFinding.tenant_id == tid, ComplianceFinding.rule == "congress"
        )
    )
    return {
        "congress_id": congress.id,
        "term_id": congress.elected_term_id,
        "meeting_id": standing.id,
        "officer_id": chair.id,
        "secretary_id": secretary.id,
        "founding_document_id": founding.id,
        "finding_id": finding.id,
    }


def make_activity(association: Association, *, flush: bool = True, **fields) -> Activity:
    """A held academic exchange, shared with the federation unless told otherwise."""
    n = next(_seq)
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
    stored = StoredFile(
        tenant_id=activity.tenant_id,
        name="签到表.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        data=PDF_BYTES,
    )
    db.session.add(stored)
    db.session.flush()
    evidence = ActivityEvidence(
        tenant_id=activity.tenant_id, activity_id=activity.id, file_id=stored.id
    )
    db.session.add(evidence)
    return evidence


def make_suggestion(
    association: Association,
    *,
    user: User | None = None,
    escalated: bool = False,
    flush: bool = True,
    **fields,
) -> tuple[Suggestion, str | None]:
    """A named suggestion by `user`, or an anonymous one (with its receipt code) without."""
    code = None if user else new_receipt_code()
    suggestion = Suggestion(
        tenant_id=association.id,
        kind=fields.pop("kind", "suggestion"),
        theme=fields.pop("theme", "research_funding"),
        title=fields.pop("title", "建议简化科研经费报销流程"),
        body=fields.pop("body", "报销材料要求过多，建议精简。"),
        anonymous=user is None,
        submitter_user_id=user.id if user else None,
        receipt_hash=receipt_hash_of(code) if code else None,
        escalated_at=utcnow() if escalated else None,
        escalated_by="factory" if escalated else None,
        **fields,
    )
    db.session.add(suggestion)
    if flush:
        db.session.flush()
    return suggestion, code


def make_work(tenant) -> None:
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


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_stored_file(
    association: Association, *, name: str = "会议纪要.pdf", data: bytes = PDF_BYTES
) -> StoredFile:
    content_type = "application/pdf" if data.startswith(b"%PDF") else "image/png"
    stored = StoredFile(
        tenant_id=association.id,
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def application_data(**changes) -> dict:
    """What a university fills in to apply; keyword arguments change single answers."""
    return {
        "university_name": f"申请大学{next(_seq)}",
        "category": Category.APPLIED.value,
        "charter_accepted": True,
        "st_workers": 850,
        "host_office": "科研处",
        "proposed_chair": "刘洋",
        "proposed_chair_basis": "副校长",
        "proposed_vice_chairs": "陈晨（长江学者）\n黄磊（科研处处长）",
        "proposed_secretary_general": "马丽",
        "contact_name": "马丽",
        "contact_email": "mali@example.edu.cn",
        **changes,
    }


def tracking_key(page: str) -> str:
    """The key of an applicant's tracking link on a page or in a body: it rides after `#`."""
    return re.search(r"/establishment/track#([\w\-]+)", page).group(1)


def set_password_token(text: str) -> str:
    """The token of a one-time set-password link (`/account/set-password#<token>`)."""
    return re.search(r"/account/set-password#([\w.\-]+)", text).group(1)


def make_application(federation: Federation) -> tuple[int, str]:
    """An application awaiting the federation's review: (its id, the applicant's key)."""
    application, key = establishment.submit(federation.id, application_data(), date(2026, 5, 1))
    return application.id, key


def make_application_document(application_id: int) -> int:
    """A supporting document (a small PDF) of an application; returns its id."""
    document = ApplicationDocument(
        application_id=application_id,
        name="学校同意成立科协的批复.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        data=PDF_BYTES,
    )
    db.session.add(document)
    db.session.flush()
    return document.id


@dataclass
class Tenant:
    """One association with a user of every association role, its tokens, and membership
    records of every kind."""

    association: Association
    users: dict[Role, User] = field(default_factory=dict)
    tokens: dict[str, tuple[ApiToken, str]] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    groups: list[GroupMember] = field(default_factory=list)
    imports: list[MemberImport] = field(default_factory=list)
    activity_imports: list[MemberImport] = field(default_factory=list)
    applications: list[MemberApplication] = field(default_factory=list)
    governance: dict[str, int] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    evidence: list[ActivityEvidence] = field(default_factory=list)
    consulting_reports: list[ConsultingReport] = field(default_factory=list)
    transfers: list[TechTransfer] = field(default_factory=list)
    nominations: list[Nomination] = field(default_factory=list)
    exemplars: list[Exemplar] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    receipt_code: str | None = None
    files: list[StoredFile] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)


@dataclass
class Province:
    federation: Federation
    first: Tenant
    second: Tenant
    users: dict[Role, User] = field(default_factory=dict)
    tokens: dict[str, tuple[ApiToken, str]] = field(default_factory=dict)
    application: tuple[int, str] = (0, "")
    application_document: int = 0
    guidance_id: int = 0
    # Sent to the second association only: foreign to the first.
    private_guidance_id: int = 0
    guidance_file_id: int = 0
    receipt_id: int = 0
    problem_id: int = 0
    reporting: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    a: Province
    b: Province
    operator: User
    national_a: tuple[ApiToken, str]


def _tenant(federation: Federation, category: Category) -> Tenant:
    tenant = Tenant(make_association(federation, category=category))
    for role in (Role.ASSOCIATION_ADMIN, Role.ASSOCIATION_STAFF, Role.MEMBER):
        tenant.users[role] = make_user(role, association=tenant.association)
    tenant.tokens["ro"] = make_token(TokenLevel.ASSOCIATION, association=tenant.association)
    tenant.tokens["rw"] = make_token(
        TokenLevel.ASSOCIATION, association=tenant.association, read_only=False
    )
    association = tenant.association
    tenant.members = [
        make_member(association, user=tenant.users[Role.MEMBER], in_cast_society=True),
        make_member(association, title="senior"),
    ]
    group = make_group_member(association)
    db.session.add(
        GroupMemberStatusChange(
            tenant_id=association.id, group_member_id=group.id, to_status="active"
        )
    )
    tenant.groups = [group]
    db.session.add(MembershipPolicy(tenant_id=association.id, rights_and_duties="遵守章程"))
    upload = MemberImport(
        tenant_id=association.id,
        filename="old.csv",
        content=b"",
        status="failed",
        errors=[{"row": 2, "column": "手机", "message": "不是手机号码"}],
        created_by="t",
    )
    db.session.add(upload)
    db.session.flush()
    db.session.add(
        ImportSheet(
            tenant_id=association.id,
            member_import_id=upload.id,
            stage="review",
            report={
                "columns": [{"index": 0, "header": "手机", "field": "phone", "how": "template"}],
                "rows": [{"n": 2, "cells": ["123"], "state": "bad", "problems": []}],
            },
        )
    )
    tenant.imports = [upload]
    activity_upload = MemberImport(
        tenant_id=association.id,
        kind="activities",
        filename="活动台账.xlsx",
        content=b"",
        status="failed",
        errors=[{"row": 3, "column": "开始日期", "message": "不是日期"}],
        created_by="t",
    )
    db.session.add(activity_upload)
    db.session.flush()
    db.session.add(
        ImportSheet(
            tenant_id=association.id,
            member_import_id=activity_upload.id,
            stage="review",
            report={
                "columns": [
                    {"index": 0, "header": "开始日期", "field": "starts_on", "how": "template"}
                ],
                "rows": [{"n": 3, "cells": ["去年"], "state": "bad", "problems": []}],
            },
        )
    )
    tenant.activity_imports = [activity_upload]
    db.session.add(
        ImportMapping(tenant_id=association.id, kind="members", header="手机号码", field="phone")
    )
    db.session.add(TitleWord(tenant_id=association.id, word="主任医师", level="senior"))
    provider = IdentityProvider(
        tenant_id=association.id,
        name="统一身份认证",
        server_url=f"https://cas{association.id}.example.edu.cn/cas",
    )
    db.session.add(provider)
    db.session.flush()
    member_user = tenant.users[Role.MEMBER]
    db.session.add(
        SsoLink(
            tenant_id=association.id,
            provider_id=provider.id,
            subject=f"member{member_user.id}",
            user_id=member_user.id,
        )
    )
    application = MemberApplication(
        tenant_id=association.id,
        name="申请人",
        phone=f"136{next(_seq):08d}",
        title="associate_senior",
        consent_version=1,
    )
    db.session.add(application)
    db.session.flush()
    tenant.applications = [application]
    tenant.governance = make_governance(tenant.association)
    make_work(tenant)
    tenant.files = [make_stored_file(association)]
    return tenant


def _province() -> Province:
    federation = make_federation()
    province = Province(
        federation,
        _tenant(federation, Category.RESEARCH),
        _tenant(federation, Category.TEACHING_RESEARCH),
    )
    for role in (Role.FEDERATION_OFFICER, Role.EDUCATION_SUPERVISOR):
        province.users[role] = make_user(role, federation=federation)
    province.tokens["ro"] = make_token(TokenLevel.FEDERATION, federation=federation)
    province.application = make_application(federation)
    province.application_document = make_application_document(province.application[0])
    make_federation_work(province)
    province.reporting = make_reporting(province)
    return province


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


def make_world() -> World:
    """Two federations x two associations; call inside system_scope."""
    a, b = _province(), _province()
    # The dashboards' rollups, as the jobs queued by these writes would leave them.
    tenants = [a.first, a.second, b.first, b.second]
    rollups.store([t.association.id for t in tenants], date.today().year)
    operator = make_user(Role.OPERATOR)
    national_a = make_token(TokenLevel.NATIONAL, federations=[a.federation])
    return World(a, b, operator, national_a)
