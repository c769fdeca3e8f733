"""The shared test world (the `world` fixture of tests/conftest.py): two federations of two
associations each, with a user of every role, tokens, and records of every domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from service.activities.models import (
    Activity,
    ActivityEvidence,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from service.associations.models import Category
from service.auth.models import ApiToken, TokenLevel, User
from service.auth.roles import Role
from service.federation import dashboards, rollups
from service.files.models import StoredFile
from service.members.models import GroupMember, Member, MemberApplication, MemberImport
from service.suggestions.models import Suggestion
from tenants.models import Association, Federation
from tests.factories.activities import make_work
from tests.factories.auth import make_token, make_user
from tests.factories.federation import make_federation_work
from tests.factories.files import make_stored_file
from tests.factories.governance import (
    make_application,
    make_application_document,
    make_governance,
)
from tests.factories.imports import make_failed_import, make_import_vocabulary
from tests.factories.members import make_member_application, make_membership
from tests.factories.reporting import make_reporting
from tests.factories.sso import make_sso_link
from tests.factories.tenants import make_association, make_federation


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
    association = make_association(federation, category=category)
    tenant = Tenant(association)
    for role in (Role.ASSOCIATION_ADMIN, Role.ASSOCIATION_STAFF, Role.MEMBER):
        tenant.users[role] = make_user(role, association=association)
    tenant.tokens["ro"] = make_token(TokenLevel.ASSOCIATION, association=association)
    tenant.tokens["rw"] = make_token(
        TokenLevel.ASSOCIATION, association=association, read_only=False
    )
    member_user = tenant.users[Role.MEMBER]
    tenant.members, tenant.groups = make_membership(association, member_user)
    tenant.imports = [
        make_failed_import(
            association,
            "old.csv",
            row=2,
            header="手机",
            field="phone",
            cell="123",
            message="不是手机号码",
        )
    ]
    tenant.activity_imports = [
        make_failed_import(
            association,
            "活动台账.xlsx",
            kind="activities",
            row=3,
            header="开始日期",
            field="starts_on",
            cell="去年",
            message="不是日期",
        )
    ]
    make_import_vocabulary(association)
    make_sso_link(association, member_user)
    tenant.applications = [make_member_application(association)]
    tenant.governance = make_governance(association)
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


def make_world() -> World:
    """Two federations x two associations; call inside system_scope."""
    a, b = _province(), _province()
    # The dashboards' rollups, as the jobs queued by these writes would leave them.
    tenants = [a.first, a.second, b.first, b.second]
    rollups.store([t.association.id for t in tenants], date.today().year)
    for province in (a, b):
        dashboards.store_category_views(province.federation.id, date.today().year)
    operator = make_user(Role.OPERATOR)
    national_a = make_token(TokenLevel.NATIONAL, federations=[a.federation])
    return World(a, b, operator, national_a)
