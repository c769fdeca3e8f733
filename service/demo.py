"""Demo data: a province with associations of every category, a second province for contrast,
and an account for every role. Loaded by `flask seed-demo` when the database is empty."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from service.activities.demo import load_activities, load_talent
from service.associations.models import AssociationProfile, Category
from service.auth.models import User
from service.auth.roles import Role
from service.auth.services import hash_password
from service.federation import categories
from service.federation import demo as federation_demo
from service.governance import compliance, establishment
from service.governance import demo as governance_demo
from service.governance import services as governance
from service.governance.models import Establishment
from service.members.demo import link_member, load_membership
from service.reporting.demo import load_reporting
from service.suggestions.demo import load_suggestions
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import system_scope

C = Category
FEDERATIONS = {
    "ZJ": ("浙江省高校科协联合会", "浙江省"),
    "SC": ("四川省高校科协联合会", "四川省"),
}
# (federation, university, category, contact, phone, address, founded)
UNIVERSITIES = [
    ("ZJ", "浙江大学", C.RESEARCH, "王建华", "13905710001", "杭州市西湖区余杭塘路866号", 2013),
    ("ZJ", "宁波大学", C.RESEARCH, "陈丽娟", "13905740002", "宁波市江北区风华路818号", 2015),
    ("ZJ", "浙江工业大学", C.RESEARCH, "李志强", "13905710003", "杭州市拱墅区潮王路18号", 2014),
    ("ZJ", "浙江理工大学", C.APPLIED, "张晓燕", "13905710004", "杭州市钱塘区2号大街928号", 2016),
    ("ZJ", "浙江工商大学", C.APPLIED, "刘国庆", "13905710005", "杭州市钱塘区学正街18号", 2017),
    ("ZJ", "中国计量大学", C.APPLIED, "赵敏", "13905710006", "杭州市钱塘区学源街258号", 2016),
    ("ZJ", "浙江科技大学", C.APPLIED, None, None, None, 2018),
    (
        "ZJ",
        "浙江师范大学",
        C.TEACHING_RESEARCH,
        "孙红梅",
        "13905790008",
        "金华市婺城区迎宾大道688号",
        2015,
    ),
    (
        "ZJ",
        "杭州师范大学",
        C.TEACHING_RESEARCH,
        "周文斌",
        "13905710009",
        "杭州市余杭区余杭塘路2318号",
        2016,
    ),
    (
        "ZJ",
        "温州医科大学",
        C.TEACHING_RESEARCH,
        "吴海燕",
        "13905770010",
        "温州市瓯海区茶山高教园区",
        2014,
    ),
    (
        "ZJ",
        "浙江中医药大学",
        C.TEACHING_RESEARCH,
        "郑建国",
        "13905710011",
        "杭州市滨江区滨文路548号",
        2017,
    ),
    (
        "ZJ",
        "金华职业技术大学",
        C.VOCATIONAL,
        "黄丽华",
        "13905790012",
        "金华市婺城区海棠西路1188号",
        2019,
    ),
    ("ZJ", "浙江机电职业技术大学", C.VOCATIONAL, None, "0571-86929800", None, 2020),
    (
        "ZJ",
        "杭州职业技术学院",
        C.VOCATIONAL,
        "何志明",
        "13905710014",
        "杭州市钱塘区学源街68号",
        2021,
    ),
    ("SC", "四川大学", C.RESEARCH, "杨晓东", "13908280001", "成都市武侯区一环路南一段24号", 2012),
    ("SC", "西南交通大学", C.RESEARCH, "罗静", "13908280002", "成都市郫都区犀安路999号", 2014),
    (
        "SC",
        "四川师范大学",
        C.TEACHING_RESEARCH,
        "谢明",
        "13908280003",
        "成都市龙泉驿区成龙大道二段1819号",
        2016,
    ),
    (
        "SC",
        "成都医学院",
        C.TEACHING_RESEARCH,
        "唐婷",
        "13908280004",
        "成都市新都区新都大道783号",
        2018,
    ),
]
# (username, display name, role, federation code or university)
ACCOUNTS = [
    ("operator", "平台运维", Role.OPERATOR, None),
    ("zj-officer", "浙江省科协 林主任", Role.FEDERATION_OFFICER, "ZJ"),
    ("zj-edu", "浙江省教育厅 高处长", Role.EDUCATION_SUPERVISOR, "ZJ"),
    ("sc-officer", "四川省科协 邓主任", Role.FEDERATION_OFFICER, "SC"),
    ("zju-admin", "浙江大学科协秘书处 王老师", Role.ASSOCIATION_ADMIN, "浙江大学"),
    ("zju-staff", "浙江大学科协秘书处 许老师", Role.ASSOCIATION_STAFF, "浙江大学"),
    ("zju-member", "浙江大学 会员 钱教授", Role.MEMBER, "浙江大学"),
    ("hznu-admin", "杭州师范大学科协秘书处 周老师", Role.ASSOCIATION_ADMIN, "杭州师范大学"),
    ("scu-admin", "四川大学科协秘书处 杨老师", Role.ASSOCIATION_ADMIN, "四川大学"),
]


# Governance per university, chosen so the federation's list shows every compliance state:
# (years since the last congress or None, committee met this year, met last year,
#  officers appointed, secretary-general approved, establishment approval on file)
GOVERNANCE = {
    "浙江大学": (1, True, True, True, True, True),  # in order
    "宁波大学": (3, True, True, True, True, True),  # congress due soon
    "浙江工业大学": (6, True, True, True, True, True),  # congress overdue
    "浙江理工大学": (2, False, False, True, True, True),  # committee missed last year
    "浙江工商大学": (2, True, True, True, False, True),  # secretary-general not approved
    "中国计量大学": (None, False, False, False, False, True),  # no congress yet
    "浙江师范大学": (2, True, True, True, True, False),  # approval not on file
    "杭州师范大学": (1, True, True, True, True, True),
    "温州医科大学": (4, True, True, True, True, True),
    "四川大学": (2, True, True, True, True, True),
    "西南交通大学": (5, False, True, True, True, True),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def _person(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + "晓明建华志强丽娟海燕文斌"[(n * 2) % 12 : (n * 2) % 12 + 2]


def _governance(association: Association, spec: tuple, today: date) -> None:
    """Record the bodies, officers and meetings one association's spec calls for."""
    years, met_this_year, met_last_year, officers, approved, established = spec
    tid = association.id
    if established:
        db.session.add(
            Establishment(
                tenant_id=tid,
                charter_accepted_on=date(2015, 3, 1),
                approved_on=date(2015, 5, 30),
                approved_by_federation_id=association.federation_id,
                document_number=f"科协发〔2015〕{tid}号",
            )
        )
    if years is None:
        return
    held_on = date(today.year - years, 4, 18)
    members = [
        governance.NewMember(_person(tid + i), "科学技术研究院" if i == 0 else f"第{i}学院", i < 3)
        for i in range(9)
    ]
    governance.hold_congress(
        tid,
        held_on=held_on,
        delegates=120 + tid,
        today=today,
        term_ends_on=None,  # in office until the next congress re-elects it
        members=members,
        standing_committee_formed_on=held_on,
    )
    # The committee a congress elects meets that same year too: its first year is checked
    # like any other (unless the spec has last year, the congress's, go without a meeting).
    elected_meets = held_on.year < today.year - 1 or met_last_year
    meeting_days = [held_on + timedelta(days=61)] if elected_meets else []
    meeting_days += [date(y, 3, 12) for y in range(held_on.year + 1, today.year - 1)]
    meeting_days += [date(today.year - 1, 3, 12)] if met_last_year else []
    meeting_days += (
        [date(today.year, 1, 8)] if met_this_year and today > date(today.year, 1, 8) else []
    )
    first = None
    for day in (d for d in meeting_days if d > held_on):
        meeting = governance.record_meeting(
            tid,
            body="committee",
            held_on=day,
            attendance=7,
            today=today,
            minutes="审议年度工作报告",
        )
        governance.record_meeting(
            tid, body="standing_committee", held_on=day, attendance=3, today=today
        )
        first = first or meeting
    if not officers:
        return
    governance.appoint(
        tid,
        post="chair",
        name=members[1].name,
        starts_on=held_on,
        eligibility="university_leader",
        eligibility_basis="副校长",
    )
    governance.appoint(
        tid,
        post="vice_chair",
        name=members[2].name,
        starts_on=held_on,
        eligibility="renowned_expert",
        eligibility_basis="国家杰出青年科学基金获得者",
    )
    if approved and first is not None:
        governance.appoint(
            tid,
            post="secretary_general",
            name=members[0].name,
            starts_on=first.held_on + timedelta(days=1),
            nominated_on=first.held_on - timedelta(days=10),
            approving_meeting_id=first.id,
        )
    governance.set_host_office(tid, "科学技术研究院")


# Universities still without an association, applying to the Zhejiang federation.
APPLICATIONS = [
    ("湖州师范学院", C.TEACHING_RESEARCH, 620, "科技处", "沈建国", "副校长", None),
    (
        "嘉兴大学",
        C.APPLIED,
        740,
        "科学技术处",
        "陆海峰",
        "校长",
        "请补充副主席的任职依据和学术兼职情况。",
    ),
]


def _applications(federation_id: int, today: date) -> None:
    for university, category, workers, office, chair, basis, returned in APPLICATIONS:
        application, _key = establishment.submit(
            federation_id,
            {
                "university_name": university,
                "category": category.value,
                "charter_accepted": True,
                "st_workers": workers,
                "host_office": office,
                "proposed_chair": chair,
                "proposed_chair_basis": basis,
                "proposed_vice_chairs": "钱丽萍（长江学者）\n蒋文涛（科研处处长）",
                "proposed_secretary_general": "韩冬",
                "contact_name": "韩冬",
                "contact_email": f"kexie-apply-{len(university)}@example.edu.cn",
            },
            today - timedelta(days=12),
        )
        governance_demo.attach_founding_approval(application)
        if returned:
            establishment.return_for_revision(application, returned, "zj-officer")


def _work(associations, university_categories, users, today: date) -> None:
    """Two years of the five tasks' work, nominations and exemplars, and suggestions."""
    db.session.flush()
    ids = {university: a.id for university, a in associations.items()}
    load_activities(
        random.Random(2025),  # noqa: S311 - demo data, its own stream: same work every time
        {u: (ids[u], university_categories[u]) for u in ids},
        today,
    )
    officer = {
        a.id: users["zj-officer" if a.federation.code == "ZJ" else "sc-officer"]
        for a in associations.values()
    }
    load_talent(ids, {tid: f"user:{u.id} {u.username}" for tid, u in officer.items()}, today)
    members = {u.association_id: u.id for u in users.values() if u.role == Role.MEMBER.value}
    staff = {
        u.association_id: f"user:{u.id} {u.username}"
        for u in users.values()
        if u.role == Role.ASSOCIATION_ADMIN.value
    }
    load_suggestions(ids, members, staff, today)


def is_empty() -> bool:
    with system_scope("check whether demo data is needed"):
        return db.session.scalar(sa.select(sa.func.count(Federation.id))) == 0


def load(password: str) -> list[tuple[str, str]]:
    """Insert the demo; returns (username, role label) pairs for printing."""
    password_hash = hash_password(password)
    with system_scope("load demo data"):
        federations = {
            code: Federation(code=code, name=name, province=province)
            for code, (name, province) in FEDERATIONS.items()
        }
        db.session.add_all(federations.values())
        db.session.flush()
        for federation in federations.values():
            categories.seed_defaults(federation.id)
        associations = {}
        university_categories = {}
        rng = random.Random(2026)  # noqa: S311 - demo data, the same on every machine
        for fed, university, category, contact, phone, address, founded in UNIVERSITIES:
            association = Association(federation=federations[fed], name=f"{university}科学技术协会")
            db.session.add(association)
            db.session.flush()
            associations[university] = association
            university_categories[university] = category
            db.session.add(
                AssociationProfile(
                    tenant_id=association.id,
                    university_name=university,
                    category=category.value,
                    contact_name=contact,
                    contact_phone=phone,
                    contact_email=f"kexie{association.id:03d}@example.edu.cn" if contact else None,
                    address=address,
                    founded_on=date(founded, 5, 30),
                )
            )
            load_membership(rng, association, university, date(founded, 5, 30))
        users = {}
        for username, display, role, owner in ACCOUNTS:
            user = users[username] = User(
                username=username,
                display_name=display,
                role=role.value,
                password_hash=password_hash,
            )
            if owner in federations:
                user.federation_id = federations[owner].id
            elif owner:
                user.association_id = associations[owner].id
            db.session.add(user)
            if role is Role.MEMBER:
                link_member(user, associations[owner].id)
        today = date.today()
        for university, spec in GOVERNANCE.items():
            _governance(associations[university], spec, today)
        db.session.flush()
        for association in associations.values():
            findings = compliance.evaluate(association.id, today)
            compliance.store(association.id, findings, today)
        _applications(federations["ZJ"].id, today)
        _work(associations, university_categories, users, today)
        federation_demo.load(federations, today)
        load_reporting(today)
        db.session.commit()
    return [(u, r.value) for u, _d, r, _o in ACCOUNTS]
