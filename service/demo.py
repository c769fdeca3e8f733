"""Demo data: a province with associations of every category, a second province for contrast,
and an account for every role. Loaded by `flask seed-demo` when the database is empty."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.associations.models import AssociationProfile, Category
from service.auth.models import User
from service.auth.roles import Role
from service.auth.services import hash_password
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
        db.session.commit()
    return [(u, r.value) for u, _d, r, _o in ACCOUNTS]
