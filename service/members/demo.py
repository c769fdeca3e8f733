"""Demo membership for one association: a few hundred realistic members, the four student
and teacher group members, and the joining policy. Deterministic from the caller's random."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from service.auth.models import User
from service.members import history
from service.members.models import GroupMember, Member, MembershipPolicy
from tenants.db import db
from tenants.models import Association

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


def _members(rng: random.Random, tenant_id: int, count: int, founded: date) -> list[dict]:
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
                # No one joined before the association was founded.
                "joined_on": max(date(2016, 1, 1) + timedelta(days=rng.randint(0, 3500)), founded),
                "status": rng.choices(("active", "lapsed", "withdrawn"), (92, 5, 3))[0],
            }
        )
        rows[-1]["status_changed_on"] = _left_on(rows[-1], i)
    return rows


def _left_on(row: dict, i: int) -> date | None:
    """When a member who is no longer active left: one to four years after joining, never
    after today (derived from the row, so the random sequence stays the same)."""
    if row["status"] == "active":
        return None
    return min(row["joined_on"] + timedelta(days=365 + (i * 37) % 1100), date.today())


def load_membership(
    rng: random.Random, association: Association, university: str, founded: date
) -> None:
    count = rng.randint(220, 380)
    db.session.execute(sa.insert(Member), _members(rng, association.id, count, founded))
    history.record_untracked(association.id)
    # The group members joined one a year, from the autumn after the founding (2016 at
    # the earliest): all four by 2025.
    first = max(founded.year + 1, 2016)
    for n, (name, kind) in enumerate(GROUPS):
        db.session.add(
            GroupMember(
                tenant_id=association.id,
                name=f"{university}{name}",
                kind=kind,
                leader_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                member_count=rng.randint(40, 900),
                joined_on=date(first + n, 9, 1),
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


def link_member(user: User, tenant_id: int) -> None:
    """The demo member account is one of the association's members, with consent on record."""
    db.session.flush()
    member = db.session.scalars(
        sa.select(Member).where(Member.tenant_id == tenant_id, Member.status == "active").limit(1)
    ).one()
    member.name = "钱学明"
    member.user_id = user.id
    member.consent_version = 1
    member.consent_at = member.created_at
