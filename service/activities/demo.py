"""Demo work for every association: two years (2025 and 2026) of activities of the five
tasks, consulting reports and technology transfers, varied by university category (research
universities do more international exchange, vocational colleges more popularisation), and a
few nominations and exemplars at each step of their approval. Deterministic from the caller's
random; inserted in bulk so that `flask seed-demo` stays quick."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from service.activities.models import (
    Activity,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from service.associations.models import Category
from tenants.db import db

YEARS = (2025, 2026)
C = Category
# Activities a year per task, by category, before a ±25% spread.
PER_YEAR = {
    C.RESEARCH: {"academic": 18, "popularisation": 8, "talent": 6, "integrity": 5, "student": 8},
    C.TEACHING_RESEARCH: {
        "academic": 12,
        "popularisation": 11,
        "talent": 5,
        "integrity": 5,
        "student": 9,
    },
    C.APPLIED: {"academic": 9, "popularisation": 11, "talent": 4, "integrity": 4, "student": 9},
    C.VOCATIONAL: {"academic": 4, "popularisation": 18, "talent": 3, "integrity": 3, "student": 11},
    C.PRIVATE: {"academic": 5, "popularisation": 12, "talent": 3, "integrity": 3, "student": 10},
}
# Share of academic exchange that is international, by category.
INTERNATIONAL = {
    C.RESEARCH: 0.35,
    C.TEACHING_RESEARCH: 0.15,
    C.APPLIED: 0.08,
    C.VOCATIONAL: 0.03,
    C.PRIVATE: 0.04,
}
# (consulting reports, technology transfers) a year, and the transfer value range in 万元.
OUTCOMES = {
    C.RESEARCH: (6, 5, (80, 1200)),
    C.TEACHING_RESEARCH: (3, 3, (30, 500)),
    C.APPLIED: (2, 4, (20, 300)),
    C.VOCATIONAL: (1, 3, (5, 60)),
    C.PRIVATE: (1, 2, (5, 80)),
}


def _category(code: str) -> Category:
    """A federation may name its own categories; those get the applied profile."""
    try:
        return Category(code)
    except ValueError:
        return Category.APPLIED


TOPICS = [
    "人工智能与智能制造",
    "新材料与先进能源",
    "生物医药与健康",
    "碳达峰碳中和",
    "数字经济与治理",
    "海洋科学与工程",
    "集成电路",
    "现代农业与乡村振兴",
    "智慧城市与交通",
    "量子信息",
]
COUNTRIES = ["美国", "德国", "英国", "日本", "新加坡", "法国", "韩国", "澳大利亚", "加拿大", "荷兰"]
PARTNERS = ["高校", "研究院", "科技有限公司", "集团有限公司"]
CO_UNIVERSITIES = ["浙江大学", "复旦大学", "上海交通大学", "南京大学", "四川大学", "同济大学"]
CO_INSTITUTES = ["中国科学院宁波材料所", "之江实验室", "中国科学院成都生物所", "省农业科学院"]
CO_ENTERPRISES = ["海康威视", "吉利控股集团", "正泰集团", "东方电气", "华为技术有限公司"]
RECIPIENTS = [
    ("省人民政府办公厅", "provincial"),
    ("省科学技术厅", "provincial"),
    ("市人民政府", "local"),
    ("中国科协调研宣传部", "national"),
    ("省发展和改革委员会", "provincial"),
]


def _day(rng: random.Random, year: int, months=(3, 4, 5, 6, 9, 10, 11, 12)) -> date:
    month = rng.choice(months)
    return date(year, month, rng.randint(1, 28))


def _status(starts: date, ends: date, today: date, rng: random.Random) -> str:
    if starts > today:
        return "planned"
    if ends > today - timedelta(days=30) or rng.random() < 0.1:
        return "held"
    return "reported"


def _blank() -> dict:
    return {
        "events": 1,
        "participants": 0,
        "speakers": 0,
        "papers": 0,
        "foreign_participants": 0,
        "countries": None,
        "audience": 0,
        "volunteers": 0,
        "volunteer_hours": 0,
        "venues_opened": 0,
        "venue_visitors": 0,
        "mentors": 0,
        "mentees": 0,
        "talents_selected": 0,
        "projects": 0,
        "secondary_students": 0,
        "speaker_kind": None,
        "speaker_name": None,
        "audience_group": None,
    }


def _academic(rng, university, year, international_share):
    international = rng.random() < international_share
    topic = rng.choice(TOPICS)
    subtype = (
        "international"
        if international
        else rng.choice(
            ["cross_department", "cross_discipline", "inter_university", "institute_enterprise"]
        )
    )
    titles = {
        "international": f"{year}{topic}国际学术研讨会",
        "cross_department": f"{university}{topic}跨院系学术沙龙",
        "cross_discipline": f"{topic}交叉学科论坛",
        "inter_university": f"长三角高校{topic}学术联盟年会",
        "institute_enterprise": f"{topic}校企协同创新对接会",
    }
    participants = rng.randint(150, 600) if international else rng.randint(40, 260)
    speakers = rng.randint(8, 40) if international else rng.randint(3, 15)
    figures = {
        "participants": participants,
        "speakers": speakers,
        "papers": rng.randint(speakers, speakers * 3),
    }
    co = []
    if subtype == "inter_university":
        co = [{"name": n, "kind": "university"} for n in rng.sample(CO_UNIVERSITIES, 2)]
    elif subtype == "institute_enterprise":
        co = [
            {"name": rng.choice(CO_INSTITUTES), "kind": "institute"},
            {"name": rng.choice(CO_ENTERPRISES), "kind": "enterprise"},
        ]
    if international:
        countries = rng.sample(COUNTRIES, rng.randint(2, 6))
        figures |= {
            "foreign_participants": rng.randint(len(countries) * 2, participants // 4),
            "countries": countries,
        }
    days = rng.randint(1, 3) if international else 1
    return subtype, titles[subtype], figures, co, days


def _popularisation(rng, university, year):
    subtype = rng.choices(
        [
            "science_week",
            "popularisation_day",
            "open_lab",
            "museum_base",
            "talk",
            "exhibition",
            "essays_works",
            "volunteer_community",
            "volunteer_village",
            "volunteer_enterprise",
            "volunteer_school",
        ],
        [3, 3, 2, 1, 3, 1, 1, 2, 2, 1, 2],
    )[0]
    place = {
        "volunteer_community": "社区",
        "volunteer_village": "乡村",
        "volunteer_enterprise": "企业",
        "volunteer_school": "中小学",
    }
    titles = {
        "science_week": f"{year}年科技活动周“科技创新 强国有我”系列活动",
        "popularisation_day": f"{year}年全国科普日主题活动",
        "open_lab": "重点实验室公众开放日",
        "museum_base": "校史馆和标本馆科普开放",
        "talk": f"“{rng.choice(TOPICS)}”科普讲座",
        "exhibition": "前沿科技成果科普展",
        "essays_works": "大学生科普作品征集",
    }
    title = titles.get(subtype) or f"大学生科普志愿服务进{place[subtype]}"
    events = rng.randint(3, 12) if subtype in ("science_week", "popularisation_day") else 1
    figures = {"events": events, "audience": rng.randint(80, 900) * events}
    if subtype in ("talk", "science_week", "popularisation_day"):
        figures["speakers"] = rng.randint(1, 3) * events
    if subtype.startswith("volunteer") or subtype in ("science_week", "popularisation_day"):
        volunteers = rng.randint(10, 60)
        figures |= {"volunteers": volunteers, "volunteer_hours": volunteers * rng.randint(3, 12)}
    if subtype in ("open_lab", "museum_base", "science_week"):
        venues = rng.randint(1, 6)
        figures |= {"venues_opened": venues, "venue_visitors": venues * rng.randint(100, 600)}
    months = {"science_week": (5,), "popularisation_day": (9,)}.get(subtype)
    return subtype, title, figures, months


def _talent(rng, university, year):
    subtype = rng.choices(
        ["mentoring", "young_talent", "member_day", "society_support"], [3, 2, 2, 1]
    )[0]
    titles = {
        "mentoring": "资深科学家青年人才“传帮带”计划",
        "young_talent": f"{year}年度青年科技人才托举项目遴选",
        "member_day": f"{year}年中国科协会员日主题活动",
        "society_support": "挂靠学会学术年会服务保障",
    }
    if subtype == "mentoring":
        mentors = rng.randint(5, 20)
        mentees = mentors * rng.randint(1, 3)
        figures = {"mentors": mentors, "mentees": mentees, "participants": mentors + mentees}
    elif subtype == "young_talent":
        figures = {"talents_selected": rng.randint(3, 12), "participants": rng.randint(20, 80)}
    elif subtype == "member_day":
        figures = {"participants": rng.randint(80, 400), "speakers": rng.randint(1, 4)}
    else:
        figures = {"participants": rng.randint(50, 300), "speakers": rng.randint(5, 20)}
    months = (5,) if subtype == "member_day" else None
    return subtype, titles[subtype], figures, months


def _integrity(rng, university, year):
    kind = rng.choices(["academician", "professor", "other"], [1, 4, 2])[0]
    group = rng.choice(["undergraduate", "graduate", "young_teacher"])
    audience = {"undergraduate": (300, 1200), "graduate": (150, 800), "young_teacher": (40, 200)}
    speaker = {"academician": "院士", "professor": "教授", "other": "研究员"}[kind]
    title = {
        "undergraduate": "新生科学道德和学风建设宣讲",
        "graduate": "研究生学术规范与科研诚信专题报告",
        "young_teacher": "青年教师科研诚信与学术规范培训",
    }[group]
    figures = {
        "audience": rng.randint(*audience[group]),
        "speakers": 1,
        "speaker_kind": kind,
        "speaker_name": rng.choice("王李张刘陈杨黄赵吴周") + speaker,
        "audience_group": group,
    }
    return ("lecture" if rng.random() < 0.8 else "seminar"), title, figures, None


def _student(rng, university, year):
    subtype = rng.choices(
        [
            "association_guidance",
            "extracurricular_project",
            "competition",
            "research_participation",
            "youth_science_camp",
            "high_school_talent",
        ],
        [2, 3, 3, 2, 1, 1],
    )[0]
    titles = {
        "association_guidance": "大学生科协、研究生科协工作指导会",
        "extracurricular_project": "大学生课外科技创新项目立项",
        "competition": "“挑战杯”大学生课外学术科技作品竞赛校赛",
        "research_participation": "本科生进实验室科研训练计划",
        "youth_science_camp": f"{year}年青少年高校科学营分营",
        "high_school_talent": "中学生英才计划培养",
    }
    if subtype in ("youth_science_camp", "high_school_talent"):
        students = rng.randint(40, 120) if subtype == "youth_science_camp" else rng.randint(4, 15)
        figures = {
            "secondary_students": students,
            "mentors": max(2, students // rng.randint(5, 10)),
            "participants": rng.randint(10, 40),
        }
        months = (7,) if subtype == "youth_science_camp" else None
    else:
        participants = rng.randint(30, 600)
        figures = {
            "participants": participants,
            "mentors": rng.randint(3, 30),
            "projects": rng.randint(5, max(6, participants // 5))
            if subtype != "association_guidance"
            else 0,
        }
        months = None
    return subtype, titles[subtype], figures, months


def _activity_rows(rng, tid, university, category, groups, today) -> list[dict]:
    rows = []
    category = _category(category)
    counts = PER_YEAR[category]
    makers = {
        "popularisation": ("popularisation", _popularisation),
        "talent": ("talent", _talent),
        "integrity": ("integrity", _integrity),
        "student": ("student_practice", _student),
    }
    for year in YEARS:
        for kind, base in counts.items():
            for _ in range(max(1, round(base * rng.uniform(0.75, 1.25)))):
                co = []
                days = 1
                if kind == "academic":
                    task = "academic"
                    subtype, title, figures, co, days = _academic(
                        rng, university, year, INTERNATIONAL[category]
                    )
                    months = None
                else:
                    task, maker = makers[kind]
                    subtype, title, figures, months = maker(rng, university, year)
                starts = _day(rng, year, months) if months else _day(rng, year)
                if subtype == "science_week":
                    starts, days = date(year, 5, rng.randint(17, 20)), 5
                elif subtype == "popularisation_day":
                    starts, days = date(year, 9, rng.randint(15, 18)), 3
                elif subtype == "member_day":
                    starts = date(year, 5, 30)
                ends = starts + timedelta(days=days - 1)
                status = _status(starts, ends, today, rng)
                values = _blank() | figures
                if status == "planned":  # promises, not figures
                    values = _blank() | {k: v for k, v in figures.items() if not isinstance(v, int)}
                organiser = None
                if task == "student_practice" and groups:
                    organiser = groups.get(rng.choice(["undergraduate", "graduate"]))
                elif task == "integrity" and groups and rng.random() < 0.4:
                    organiser = groups.get("graduate")
                public = subtype in ("science_week", "popularisation_day", "youth_science_camp")
                visibility = (
                    "public"
                    if public or rng.random() < 0.3
                    else rng.choices(["federation", "private"], [3, 1])[0]
                )
                stamp = datetime.combine(min(ends, today), datetime.min.time())
                rows.append(
                    {
                        "tenant_id": tid,
                        "task": task,
                        "subtype": subtype,
                        "title": title,
                        "starts_on": starts,
                        "ends_on": ends,
                        "place": f"{university}"
                        + rng.choice(["学术交流中心", "图书馆报告厅", "科技园", "大学生活动中心"]),
                        "description": None,
                        "organiser_group_id": organiser,
                        "co_organisers": co or None,
                        "visibility": visibility,
                        "status": status,
                        **values,
                        "held_at": stamp if status != "planned" else None,
                        "reported_at": stamp + timedelta(days=20) if status == "reported" else None,
                        "created_by": "demo",
                        "created_at": stamp - timedelta(days=30),
                        "updated_at": stamp,
                    }
                )
    return rows


def _outcome_rows(rng, tid, category, today) -> tuple[list[dict], list[dict]]:
    reports, transfers = [], []
    per_report, per_transfer, (low, high) = OUTCOMES[_category(category)]
    for year in YEARS:
        for _ in range(max(0, round(per_report * rng.uniform(0.6, 1.4)))):
            submitted = _day(rng, year)
            if submitted > today:
                continue
            recipient, level = rng.choice(RECIPIENTS)
            adopted = rng.random() < 0.45 and submitted + timedelta(days=45) <= today
            reports.append(
                {
                    "tenant_id": tid,
                    "title": f"关于推动{rng.choice(TOPICS)}高质量发展的建议",
                    "authors": None,
                    "recipient": recipient,
                    "recipient_level": level,
                    "submitted_on": submitted,
                    "adopted": adopted,
                    "adopted_on": submitted + timedelta(days=45) if adopted else None,
                    "adoption_note": "获主要领导批示" if adopted else None,
                    "created_at": datetime.combine(submitted, datetime.min.time()),
                }
            )
        for _ in range(max(0, round(per_transfer * rng.uniform(0.6, 1.4)))):
            signed = _day(rng, year)
            if signed > today:
                continue
            contracts = rng.randint(1, 3)
            transfers.append(
                {
                    "tenant_id": tid,
                    "title": f"{rng.choice(TOPICS)}相关专利{rng.choice(['转让', '许可'])}",
                    "partner": rng.choice(["浙江", "四川", "江苏", "广东"]) + rng.choice(PARTNERS),
                    "mode": rng.choice(
                        ["transfer", "licence", "joint_development", "technical_service"]
                    ),
                    "signed_on": signed,
                    "contracts": contracts,
                    "value_yuan": rng.randint(low, high) * 10_000 * contracts,
                    "created_at": datetime.combine(signed, datetime.min.time()),
                }
            )
    return reports, transfers


def load_activities(
    rng: random.Random, associations: dict[str, tuple[int, Category]], today: date
) -> None:
    """Two years of work for every association: {university: (tenant id, category)}."""
    from service.members.models import GroupMember

    groups: dict[int, dict[str, int]] = {}
    for tenant_id, kind, group_id in db.session.execute(
        sa.select(GroupMember.tenant_id, GroupMember.kind, GroupMember.id)
    ):
        groups.setdefault(tenant_id, {})[kind] = group_id
    activities, reports, transfers = [], [], []
    for university, (tid, category) in associations.items():
        activities += _activity_rows(rng, tid, university, category, groups.get(tid, {}), today)
        more_reports, more_transfers = _outcome_rows(rng, tid, category, today)
        reports += more_reports
        transfers += more_transfers
    db.session.execute(sa.insert(Activity), activities)
    if reports:
        db.session.execute(sa.insert(ConsultingReport), reports)
    if transfers:
        db.session.execute(sa.insert(TechTransfer), transfers)


# (university, award, level, year, nominee, unit, consent, status, reason)
NOMINATIONS = [
    ("浙江大学", "国家自然科学奖", "national", 2025, "钱学明", "物理学院", True, "awarded", None),
    ("浙江大学", "中国青年科技奖", "national", 2026, "林晓东", "化学系", True, "endorsed", None),
    (
        "浙江大学",
        "浙江省科学技术进步奖",
        "provincial",
        2026,
        "陈丽娟",
        "机械工程学院",
        False,
        "proposed",
        None,
    ),
    (
        "宁波大学",
        "浙江省自然科学奖",
        "provincial",
        2025,
        "周海燕",
        "海洋学院",
        True,
        "not_awarded",
        None,
    ),
    (
        "浙江工业大学",
        "浙江省青年科技奖",
        "provincial",
        2026,
        "吴志强",
        "材料学院",
        True,
        "proposed",
        None,
    ),
    (
        "杭州师范大学",
        "浙江省科学技术进步奖",
        "provincial",
        2025,
        "孙文斌",
        "生命科学学院",
        True,
        "declined",
        "推荐材料不完整，请补充后于下一年度申报。",
    ),
    (
        "四川大学",
        "四川省科学技术进步奖",
        "provincial",
        2025,
        "杨建华",
        "华西医院",
        True,
        "awarded",
        None,
    ),
    ("四川大学", "中国专利奖", "national", 2026, "罗静", "高分子学院", True, "proposed", None),
]
# (university, kind, name, unit, deeds, year, consent, status, published, reason)
EXEMPLARS = [
    (
        "浙江大学",
        "team",
        "“求是”青年科普讲师团",
        "物理学院",
        "十年来走进全省 300 余所中小学开展科普讲座，惠及学生 20 余万人次。",
        2025,
        True,
        "recognised",
        True,
        None,
    ),
    (
        "浙江大学",
        "person",
        "王海燕",
        "医学院",
        "扎根基层开展健康科普，带领志愿团队服务山区群众。",
        2026,
        True,
        "proposed",
        False,
        None,
    ),
    (
        "金华职业技术大学",
        "team",
        "乡村振兴科技服务队",
        "农林学院",
        "常年驻村开展农业技术培训，推广新品种新技术 30 余项。",
        2025,
        True,
        "recognised",
        True,
        None,
    ),
    (
        "杭州师范大学",
        "person",
        "周文斌",
        "教育学院",
        "组织中学生英才计划培养，指导学生获全国奖项。",
        2025,
        False,
        "recognised",
        False,
        None,
    ),
    (
        "温州医科大学",
        "team",
        "眼健康科普志愿服务队",
        "眼视光学院",
        "开展青少年近视防控科普，覆盖 120 所学校。",
        2026,
        True,
        "proposed",
        False,
        None,
    ),
    (
        "宁波大学",
        "person",
        "陈立新",
        "海洋学院",
        "事迹材料与年度推荐范围不符。",
        2025,
        True,
        "declined",
        False,
        "事迹与本年度推荐方向不符。",
    ),
    (
        "四川大学",
        "team",
        "华西健康科普团队",
        "华西医院",
        "持续开展抗震救灾与公共卫生科普，获社会广泛好评。",
        2025,
        True,
        "recognised",
        True,
        None,
    ),
]


def load_talent(tenant_ids: dict[str, int], officers: dict[int, str], today: date) -> None:
    """Nominations and exemplars at every step; `officers` names who decided, by tenant."""
    decided = datetime.combine(today - timedelta(days=40), datetime.min.time())
    for university, award, level, year, name, unit, consent, status, reason in NOMINATIONS:
        tid = tenant_ids[university]
        db.session.add(
            Nomination(
                tenant_id=tid,
                award=award,
                level=level,
                year=year,
                nominee_name=name,
                nominee_unit=unit,
                citation="在本领域取得系统性创新成果。",
                consent_given=consent,
                consent_recorded_at=decided - timedelta(days=30) if consent else None,
                status=status,
                proposed_by="demo",
                decided_by=officers[tid] if status != "proposed" else None,
                decided_at=decided if status != "proposed" else None,
                decision_reason=reason,
                outcome_recorded_at=decided if status in ("awarded", "not_awarded") else None,
            )
        )
    for university, kind, name, unit, deeds, year, consent, status, published, reason in EXEMPLARS:
        tid = tenant_ids[university]
        db.session.add(
            Exemplar(
                tenant_id=tid,
                kind=kind,
                name=name,
                unit=unit,
                deeds=deeds,
                year=year,
                consent_to_publish=consent,
                consent_recorded_at=decided - timedelta(days=30) if consent else None,
                status=status,
                proposed_by="demo",
                decided_by=officers[tid] if status != "proposed" else None,
                decided_at=decided if status != "proposed" else None,
                decision_reason=reason,
                published=published,
                published_at=decided if published else None,
            )
        )
