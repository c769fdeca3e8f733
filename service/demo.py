"""Demo data: a province with associations of every category, a second province for contrast,
and an account for every role. Loaded by `flask seed-demo` when the database is empty."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from service.associations.models import AssociationProfile, Category
from service.auth.models import User
from service.auth.roles import Role
from service.auth.services import hash_password
from service.members.models import GroupMember, Member, MembershipPolicy
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
    ("ZJ", "浙江师范大学", C.NORMAL, "孙红梅", "13905790008", "金华市婺城区迎宾大道688号", 2015),
    ("ZJ", "杭州师范大学", C.NORMAL, "周文斌", "13905710009", "杭州市余杭区余杭塘路2318号", 2016),
    ("ZJ", "温州医科大学", C.MEDICAL, "吴海燕", "13905770010", "温州市瓯海区茶山高教园区", 2014),
    ("ZJ", "浙江中医药大学", C.MEDICAL, "郑建国", "13905710011", "杭州市滨江区滨文路548号", 2017),
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
        C.NORMAL,
        "谢明",
        "13908280003",
        "成都市龙泉驿区成龙大道二段1819号",
        2016,
    ),
    ("SC", "成都医学院", C.MEDICAL, "唐婷", "13908280004", "成都市新都区新都大道783号", 2018),
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


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建国志红文斌宇浩凯晨欣怡子"
    "涵思雨梓轩俊峰海燕雪梅晓东立新永红春林国庆"
)
DEPARTMENTS = [
    ("计算机科学与技术学院", "计算机科学与技术"),
    ("机械工程学院", "机械工程"),
    ("材料科学与工程学院", "材料科学与工程"),
    ("化学系", "化学"),
    ("物理学院", "物理学"),
    ("数学科学学院", "数学"),
    ("生命科学学院", "生物学"),
    ("医学院", "临床医学"),
    ("电气工程学院", "电气工程"),
    ("土木工程学院", "土木工程"),
    ("经济学院", "应用经济学"),
    ("教育学院", "教育学"),
    ("环境与资源学院", "环境科学与工程"),
    ("信息与电子工程学院", "信息与通信工程"),
]
SOCIETIES = [
    "中国计算机学会",
    "中国机械工程学会",
    "中国化学会",
    "中国物理学会",
    "中国数学会",
    "中华医学会",
    "中国电机工程学会",
    "中国土木工程学会",
    "中国材料研究学会",
    "中国环境科学学会",
]
TITLES = [
    ("senior", 18),
    ("associate_senior", 34),
    ("intermediate", 36),
    ("junior", 8),
    ("none", 4),
]
POSITIONS = ["教授", "副教授", "讲师", "研究员", "副研究员", "高级工程师", "实验师", "科研秘书"]
GROUPS = [
    ("大学生科学技术协会", "undergraduate"),
    ("研究生科学技术协会", "graduate"),
    ("青年教师科学技术协会", "young_teacher"),
    ("离退休教师科学技术协会", "retired_teacher"),
]


def _members(rng: random.Random, tenant_id: int, count: int) -> list[dict]:
    """Realistic members: names, departments, titles in the proportions of a faculty."""
    rows = []
    for i in range(count):
        department, discipline = rng.choice(DEPARTMENTS)
        title = rng.choices([t for t, _w in TITLES], [w for _t, w in TITLES])[0]
        in_society = rng.random() < 0.35
        reason = None
        if not in_society and title in ("junior", "none"):
            reason = "青年科技骨干，经常务委员会同意接纳"
        rows.append(
            {
                "tenant_id": tenant_id,
                "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                "gender": rng.choice(("male", "female")),
                "birth_year": rng.randint(1960, 1995),
                "department": department,
                "discipline": discipline,
                "title": title,
                "position": rng.choice(POSITIONS),
                "phone": f"1{rng.choice('3578')}{tenant_id:03d}{i:06d}",
                "email": f"m{tenant_id:03d}{i:05d}@example.edu.cn",
                "societies": rng.choice(SOCIETIES) if in_society else None,
                "in_cast_society": in_society,
                "exception_reason": reason,
                "joined_on": date(2016, 1, 1) + timedelta(days=rng.randint(0, 3500)),
                "status": rng.choices(("active", "lapsed", "withdrawn"), (92, 5, 3))[0],
            }
        )
    return rows


def _membership(rng: random.Random, association: Association, university: str) -> None:
    db.session.execute(sa.insert(Member), _members(rng, association.id, rng.randint(220, 380)))
    for name, kind in GROUPS:
        db.session.add(
            GroupMember(
                tenant_id=association.id,
                name=f"{university}{name}",
                kind=kind,
                leader_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                member_count=rng.randint(40, 900),
            )
        )
    db.session.add(
        MembershipPolicy(
            tenant_id=association.id,
            rights_and_duties=(
                "会员享有选举权、被选举权和表决权，参加本会组织的学术交流和科普活动；"
                "会员应遵守本会章程，执行本会决议，维护科学道德和学术诚信。"
            ),
        )
    )


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
        associations = {}
        rng = random.Random(2026)  # noqa: S311 - demo data, the same on every machine
        for fed, university, category, contact, phone, address, founded in UNIVERSITIES:
            association = Association(federation=federations[fed], name=f"{university}科学技术协会")
            db.session.add(association)
            db.session.flush()
            associations[university] = association
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
            _membership(rng, association, university)
        for username, display, role, owner in ACCOUNTS:
            user = User(
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
                _link_member(user, associations[owner].id)
        db.session.commit()
    return [(u, r.value) for u, _d, r, _o in ACCOUNTS]


def _link_member(user: User, tenant_id: int) -> None:
    """The demo member account is one of the association's members, with consent on record."""
    db.session.flush()
    member = db.session.scalars(
        sa.select(Member).where(Member.tenant_id == tenant_id, Member.status == "active").limit(1)
    ).one()
    member.name = "钱学明"
    member.user_id = user.id
    member.consent_version = 1
    member.consent_at = member.created_at
