"""The indicator catalogue, as data: what each figure means, how it is computed from the
records, and which national tables it feeds.

Filing rules: an empty figure is 0, "-" means not applicable, figures are whole numbers.
A family computes its indicators for a set of associations and a year in one grouped query.
The organisation families count the governance and membership records; the activity families
take the figures of `service.activities.aggregates`, which the federation dashboards show too,
so the annual report and the dashboards count the same records the same way.

Every figure stands for its year as things happened, read from the dates of the events, never
from when a record was entered: states (associations, members, group members, congress and
committee in office) as at 31 December, from founding, joining, leaving and dissolution dates;
counts of events (meetings, activities, reports) by the day they took place. Recording
something that happened later leaves an earlier year's figures as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from flask import has_request_context
from flask_babel import get_locale

from service.activities import aggregates
from service.activities import statistics as activities_statistics
from service.governance import statistics as governance_statistics
from service.governance.statistics import GovernanceFigures
from service.members import statistics as members_statistics

NOT_APPLICABLE = "-"
Figure = int | str  # a whole number, or NOT_APPLICABLE
Figures = dict[str, Figure]


@dataclass(frozen=True)
class NationalTable:
    code: str
    name_zh: str
    name_en: str


# The national forms the figures are filed on; their layout (table number, rows, header
# block) is in `service.reporting.national_forms`.
CAST_ORG = NationalTable(
    "CAST-ORG", "中国科协综合统计 表1 组织建设", "CAST statistics, table 1: organisation"
)
CAST_ACAD = NationalTable(
    "CAST-ACAD", "中国科协综合统计 表3 学术交流活动", "CAST statistics, table 3: academic exchange"
)
CAST_POP = NationalTable(
    "CAST-POP",
    "中国科协综合统计 表5 科学技术普及活动",
    "CAST statistics, table 5: science popularisation",
)
CAST_YOUTH = NationalTable(
    "CAST-YOUTH",
    "中国科协综合统计 表6 青少年科技教育",
    "CAST statistics, table 6: youth S&T education",
)
CAST_OPEN = NationalTable(
    "CAST-OPEN",
    "中国科协综合统计 表9 科技开放与交流",
    "CAST statistics, table 9: opening-up and international exchange",
)
CAST_TECH = NationalTable(
    "CAST-TECH", "中国科协综合统计 表10 科技服务", "CAST statistics, table 10: S&T services"
)
CAST_SERV = NationalTable(
    "CAST-SERV",
    "中国科协综合统计 表11 为科技工作者服务",
    "CAST statistics, table 11: services to S&T workers",
)
MOST_POP = NationalTable("MOST-POP", "科技部全国科普统计调查", "MOST science-popularisation survey")
MOE_EXCH = NationalTable(
    "MOE-EXCH", "教育部高校科技统计 科技交流情况表", "MoE university S&T statistics: S&T exchange"
)
MOE_TRANSFER = NationalTable(
    "MOE-TRANSFER",
    "教育部高校科技统计 技术转让与知识产权情况表",
    "MoE university S&T statistics: technology transfer and intellectual property",
)
TABLES = (
    CAST_ORG,
    CAST_ACAD,
    CAST_POP,
    CAST_YOUTH,
    CAST_OPEN,
    CAST_TECH,
    CAST_SERV,
    MOE_EXCH,
    MOE_TRANSFER,
    MOST_POP,
)


class Records(NamedTuple):
    """The page listing the records behind a figure."""

    endpoint: str
    by_association: bool = False  # the page takes the association's id
    filters: tuple[tuple[str, str], ...] = ()  # fixed query arguments, e.g. the task
    by_year: bool = False  # the page filters by the report's year


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit: str  # as printed in the national tables
    definition: str
    family: str
    tables: tuple[str, ...]
    # The page listing the records behind the figure.
    records: Records | None = None
    may_be_not_applicable: bool = False


# A family: (association ids, year) -> {association id: {code: figure}}; absent codes are 0.
Compute = Callable[[Sequence[int], int], dict[int, Figures]]


def year_end(year: int) -> date:
    return date(year, 12, 31)


# --- one statement per table family -----------------------------------------------------
#
# Each package answers for its own tables with one statement per family of tables
# (`<package>.statistics`); the indicator families below each take their codes from one of
# those answers. While `compute` runs, an answer is read once and shared by every family
# that takes from it, so a compile costs one statement per table family, not per indicator
# family. Called alone (outside `compute`), a family reads its answer itself.

_shared: ContextVar[dict | None] = ContextVar("indicator_reads", default=None)


def _read(source: Callable, ids: Sequence[int], year: int):
    """`source(ids, year)`, read once per `compute` for every family that takes from it."""
    memo = _shared.get()
    if memo is None:
        return source(ids, year)
    key = (source, tuple(ids), year)
    if key not in memo:
        memo[key] = source(ids, year)
    return memo[key]


def _governance(ids: Sequence[int], year: int) -> dict[int, GovernanceFigures]:
    return governance_statistics.governance_figures(ids, year)


def _membership(ids: Sequence[int], year: int) -> dict[int, members_statistics.MemberCounts]:
    return members_statistics.member_counts_as_of(ids, year_end(year))


def _work(ids: Sequence[int], year: int) -> dict[int, dict[str, int]]:
    return activities_statistics.work_figures(ids, year)


def _associations(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Each association founded by the year's end and not dissolved by then (one suspended
    still exists, and counts). Founded: the federation's approval, else the founding date
    of its profile, else (neither on file) the day its record was made."""
    end = year_end(year)
    return {
        aid: {"ORG01": 1}
        for aid, figures in _read(_governance, ids, year).items()
        if figures.exists_on(end)
    }


def _members(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Individual members as at 31 December, from their dated status history."""
    return {
        aid: {"ORG02": counts.individual}
        for aid, counts in _read(_membership, ids, year).items()
        if counts.individual
    }


GROUP_CODES = {
    members_statistics.GroupMemberKind.UNDERGRADUATE: "ORG031",
    members_statistics.GroupMemberKind.GRADUATE: "ORG032",
    members_statistics.GroupMemberKind.YOUNG_TEACHER: "ORG033",
    members_statistics.GroupMemberKind.RETIRED_TEACHER: "ORG034",
    members_statistics.GroupMemberKind.DEPARTMENT: "ORG035",
    members_statistics.GroupMemberKind.OTHER: "ORG036",
}


def _group_members(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Group members as at 31 December: joined by then and active on that day."""
    out: dict[int, Figures] = {}
    for aid, counts in _read(_membership, ids, year).items():
        if not counts.groups:
            continue
        figures: Figures = {"ORG03": counts.group_total}
        for kind, n in counts.groups.items():
            code = GROUP_CODES[members_statistics.GroupMemberKind(kind)]
            figures[code] = int(figures.get(code, 0)) + n
        out[aid] = figures
    return out


def _congresses(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Delegates of the congress in force at the year's end ("-" before the first), and
    congress sessions held in the year."""
    out: dict[int, Figures] = {aid: {"ORG04": NOT_APPLICABLE} for aid in ids}
    for aid, figures in _read(_governance, ids, year).items():
        if figures.congress_delegates is not None:
            out[aid]["ORG04"] = figures.congress_delegates
        if figures.congresses_held:
            out[aid]["ORG071"] = figures.congresses_held
    return out


def _committees(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Members of the committee (and standing committee) in office at the year's end;
    "-" when none was in office, or the term has no standing committee."""
    out: dict[int, Figures] = {
        aid: {"ORG05": NOT_APPLICABLE, "ORG06": NOT_APPLICABLE} for aid in ids
    }
    for aid, figures in _read(_governance, ids, year).items():
        if figures.committee_members is not None:
            out[aid] = {
                "ORG05": figures.committee_members,
                "ORG06": figures.standing_members or NOT_APPLICABLE,
            }
    return out


def _meetings(ids: Sequence[int], year: int) -> dict[int, Figures]:
    out: dict[int, Figures] = {}
    for aid, figures in _read(_governance, ids, year).items():
        held = {"ORG072": figures.committee_meetings, "ORG073": figures.standing_meetings}
        if any(held.values()):
            out[aid] = {code: n for code, n in held.items() if n}
    return out


# --- the association's work: activities, outcomes, talent, suggestions -----------------------

Aggregate = Callable[[Sequence[int], int], aggregates.Figures]
Derive = Callable[[dict[str, int]], Figures]


def _from_work(codes: dict[str, str], derive: Derive | None = None) -> Compute:
    """A family taking figures of the association's work (one statement for all of them,
    `service.activities.statistics`): each under its indicator code, plus those `derive`
    works out from the figures."""

    def family(ids: Sequence[int], year: int) -> dict[int, Figures]:
        return _pick(_read(_work, ids, year), codes, derive)

    return family


def _from_aggregate(
    aggregate: Aggregate, codes: dict[str, str], derive: Derive | None = None
) -> Compute:
    """A family reading one aggregate of another package (one grouped query)."""

    def family(ids: Sequence[int], year: int) -> dict[int, Figures]:
        return _pick(_read(aggregate, ids, year), codes, derive)

    return family


def _pick(
    figures_by_association: dict[int, dict[str, int]],
    codes: dict[str, str],
    derive: Derive | None,
) -> dict[int, Figures]:
    out: dict[int, Figures] = {}
    for aid, figures in figures_by_association.items():
        out[aid] = {code: figures[key] for key, code in codes.items()}
        if derive:
            out[aid].update(derive(figures))
    return out


def _domestic_events(figures: dict[str, int]) -> Figures:
    return {"ACA011": figures["academic_events"] - figures["international_events"]}


YUAN_PER_WAN = 10_000


def _wan_yuan(yuan: int) -> int:
    """Yuan to whole 万元, rounded half up (the tables ask for whole numbers)."""
    return (yuan + YUAN_PER_WAN // 2) // YUAN_PER_WAN


def _transfer_value(figures: dict[str, int]) -> Figures:
    return {"ACA07": _wan_yuan(figures["tech_transfer_value_yuan"])}


FAMILIES: dict[str, Compute] = {
    "associations": _associations,
    "members": _members,
    "group_members": _group_members,
    "congresses": _congresses,
    "committees": _committees,
    "meetings": _meetings,
    "academic": _from_work(
        {
            "academic_events": "ACA01",
            "international_events": "ACA012",
            "academic_participants": "ACA02",
            "academic_papers": "ACA03",
        },
        _domestic_events,
    ),
    "consulting": _from_work(
        {"consulting_reports_submitted": "ACA04", "consulting_reports_adopted": "ACA05"},
    ),
    "tech_transfer": _from_work({"tech_transfer_contracts": "ACA06"}, _transfer_value),
    "popularisation": _from_work(
        {
            "popularisation_events": "POP01",
            "science_week_events": "POP011",
            "popularisation_day_events": "POP012",
            "popularisation_audience": "POP02",
            "venues_opened": "POP03",
            "venue_visitors": "POP04",
            "volunteers": "POP05",
            "volunteer_hours": "POP06",
        },
    ),
    "nominations": _from_work(
        {
            "nominations_provincial_or_higher": "TAL01",
            "awards_won_provincial_or_higher": "TAL02",
        },
    ),
    "exemplars": _from_work({"exemplars_recognised": "TAL03"}),
    "talent": _from_work({"member_day_events": "TAL04"}),
    "integrity": _from_work(
        {
            "integrity_lectures": "INT01",
            "integrity_audience": "INT02",
            "integrity_audience_undergraduate": "INT021",
            "integrity_audience_graduate": "INT022",
            "integrity_audience_young_teacher": "INT023",
        },
    ),
    "student_practice": _from_work(
        {
            "student_activities": "STU01",
            "student_participants": "STU02",
            "youth_science_camp_students": "STU03",
            "high_school_talent_students": "STU04",
        },
    ),
    "suggestions": _from_aggregate(
        aggregates.suggestions,
        {
            "suggestions_received": "SRV01",
            "suggestions_answered": "SRV02",
            "suggestions_escalated": "SRV03",
        },
    ),
}

_ORG = (CAST_ORG.code,)
_ORG_MOE = _ORG  # the MoE tables carry exchange and transfer items only
_GROUPS = Records("members.groups")
_GOV = Records("governance.overview", by_association=True)


def _group(code: str, zh: str, en: str) -> Indicator:
    return Indicator(
        code,
        zh,
        en,
        "个",
        f"当年12月31日在册的{zh}团体会员数（按加入日期和状态变更日期确定，同 ORG03）。",
        "group_members",
        _ORG,
        _GROUPS,
    )


_ACAD = (CAST_ACAD.code, MOE_EXCH.code)
_ACAD_ABROAD = (*_ACAD, CAST_OPEN.code)
_CONSULTING = (CAST_TECH.code,)
_TRANSFER = (CAST_TECH.code, MOE_TRANSFER.code)
_POP = (CAST_POP.code, MOST_POP.code)
_YOUTH = (CAST_YOUTH.code,)
_SERV = (CAST_SERV.code,)
_OUTCOMES = Records("activities.outcomes", by_year=True)
_SUGGESTIONS = Records("suggestions.inbox")
# What every activity figure counts, after the aggregates (one rule for the dashboards too).
_HELD = "只统计当年开始、状态为“已举办”或“已上报”的活动，计划中的不计。"


def _activities(task: str, subtype: str | None = None) -> Records:
    """The association's activity list, filtered to the task (and subtype) and the year."""
    filters = (("task", task), ("status", activities_statistics.COUNTED)) + (
        (("subtype", subtype),) if subtype else ()
    )
    return Records("activities.index", filters=filters, by_year=True)


ACTIVITY_CATALOGUE: tuple[Indicator, ...] = (
    # academic exchange
    Indicator(
        "ACA01",
        "学术交流活动次数",
        "Academic exchange events",
        "次",
        f"当年举办的学术交流活动次数（一条记录可计多次），即国内与国际之和。{_HELD}",
        "academic",
        _ACAD,
        _activities("academic"),
    ),
    Indicator(
        "ACA011",
        "其中：国内学术交流活动次数",
        "of which domestic",
        "次",
        f"学术交流活动中，类别不是“国际学术交流”的活动次数。{_HELD}",
        "academic",
        _ACAD,
        _activities("academic"),
    ),
    Indicator(
        "ACA012",
        "其中：国际学术交流活动次数",
        "of which international",
        "次",
        f"学术交流活动中，类别为“国际学术交流”的活动次数。{_HELD}",
        "academic",
        _ACAD_ABROAD,
        _activities("academic", "international"),
    ),
    Indicator(
        "ACA02",
        "学术交流活动参加人次",
        "Academic exchange participants",
        "人次",
        f"当年学术交流活动的参加人次之和。{_HELD}",
        "academic",
        _ACAD,
        _activities("academic"),
    ),
    Indicator(
        "ACA03",
        "交流论文和报告数",
        "Papers and reports presented",
        "篇",
        f"当年学术交流活动中交流的论文和报告篇数之和。{_HELD}",
        "academic",
        _ACAD,
        _activities("academic"),
    ),
    Indicator(
        "ACA04",
        "报送决策咨询报告数",
        "Decision-consulting reports submitted",
        "篇",
        "报送日期在当年的决策咨询报告篇数。",
        "consulting",
        _CONSULTING,
        _OUTCOMES,
    ),
    Indicator(
        "ACA05",
        "其中：被采纳的决策咨询报告数",
        "of which adopted",
        "篇",
        "当年报送的决策咨询报告中已被采纳的篇数。",
        "consulting",
        _CONSULTING,
        _OUTCOMES,
    ),
    Indicator(
        "ACA06",
        "技术转移合同数",
        "Technology-transfer contracts",
        "项",
        "签订日期在当年的技术转移（成果转化）合同项数。",
        "tech_transfer",
        _TRANSFER,
        _OUTCOMES,
    ),
    Indicator(
        "ACA07",
        "技术转移合同金额",
        "Technology-transfer contract value",
        "万元",
        "当年签订的技术转移合同金额之和，以万元为单位四舍五入为整数（每个高校科协各自取整，"
        "汇总时相加）。",
        "tech_transfer",
        _TRANSFER,
        _OUTCOMES,
    ),
    # science popularisation
    Indicator(
        "POP01",
        "科普活动次数",
        "Science popularisation events",
        "次",
        f"当年举办的科普活动次数（一条记录可计多次）。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    Indicator(
        "POP011",
        "其中：科技活动周活动次数",
        "of which Science and Technology Week",
        "次",
        f"科普活动中，类别为“科技活动周活动”的活动次数。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation", "science_week"),
    ),
    Indicator(
        "POP012",
        "其中：全国科普日活动次数",
        "of which National Science Popularisation Day",
        "次",
        f"科普活动中，类别为“全国科普日活动”的活动次数。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation", "popularisation_day"),
    ),
    Indicator(
        "POP02",
        "科普活动受众人次",
        "Science popularisation audience",
        "人次",
        f"当年科普活动的受众人次之和。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    Indicator(
        "POP03",
        "开放科普场馆数",
        "Venues opened to the public",
        "个",
        f"当年科普活动中向公众开放的实验室、场馆、标本室、示范基地个数之和。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    Indicator(
        "POP04",
        "开放场馆参观人次",
        "Visitors to the venues",
        "人次",
        f"当年开放场馆的参观人次之和。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    Indicator(
        "POP05",
        "科普志愿者人数",
        "Popularisation volunteers",
        "人",
        f"当年科普活动中参与服务的志愿者人数之和（按活动累计）。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    Indicator(
        "POP06",
        "科普志愿服务时长",
        "Volunteer hours",
        "小时",
        f"当年科普活动中志愿者服务的小时数之和。{_HELD}",
        "popularisation",
        _POP,
        _activities("popularisation"),
    ),
    # talent
    Indicator(
        "TAL01",
        "举荐省部级及以上奖项人次",
        "Nominations to provincial or higher awards",
        "人次",
        "当年度省部级及以上奖项的举荐中，经省级联合组织推荐（已推荐、已获奖或未获奖）的人次；"
        "待审和未获推荐的不计。",
        "nominations",
        _SERV,
        Records("talent.nominations", by_year=True),
    ),
    Indicator(
        "TAL02",
        "其中：获省部级及以上奖项人次",
        "of which awards won",
        "人次",
        "当年度举荐的省部级及以上奖项中已获奖的人次。",
        "nominations",
        _SERV,
        Records("talent.nominations", filters=(("status", "awarded"),), by_year=True),
    ),
    Indicator(
        "TAL03",
        "选树先进典型数",
        "Exemplars recognised",
        "个",
        "当年度推荐、经省级联合组织认定的先进典型（个人或集体）个数；待认定和未认定的不计。",
        "exemplars",
        _SERV,
        Records("talent.exemplars", filters=(("status", "recognised"),), by_year=True),
    ),
    Indicator(
        "TAL04",
        "全国科技工作者日（会员日）活动次数",
        "CAST Member Day events",
        "次",
        f"人才工作中，类别为“中国科协会员日活动”的活动次数。{_HELD}",
        "talent",
        _SERV,
        _activities("talent", "member_day"),
    ),
    # research integrity
    Indicator(
        "INT01",
        "科学道德和学风建设宣讲场次",
        "Research integrity lectures",
        "场",
        f"当年举办的科研诚信、科学道德和学风建设宣讲（报告会、研讨、培训）场次。{_HELD}",
        "integrity",
        _SERV,
        _activities("integrity"),
    ),
    Indicator(
        "INT02",
        "宣讲受众人次",
        "Integrity lecture audience",
        "人次",
        f"当年科学道德和学风建设宣讲的受众人次之和（含未注明对象的）。{_HELD}",
        "integrity",
        _SERV,
        _activities("integrity"),
    ),
    Indicator(
        "INT021",
        "其中：本科生",
        "of which undergraduates",
        "人次",
        f"宣讲对象为本科生的受众人次。{_HELD}",
        "integrity",
        _SERV,
        _activities("integrity"),
    ),
    Indicator(
        "INT022",
        "其中：研究生",
        "of which graduate students",
        "人次",
        f"宣讲对象为研究生的受众人次。{_HELD}",
        "integrity",
        _SERV,
        _activities("integrity"),
    ),
    Indicator(
        "INT023",
        "其中：青年教师",
        "of which young teachers",
        "人次",
        f"宣讲对象为青年教师的受众人次。{_HELD}",
        "integrity",
        _SERV,
        _activities("integrity"),
    ),
    # student practice
    Indicator(
        "STU01",
        "学生科技实践活动次数",
        "Student S&T practice activities",
        "次",
        f"当年组织的学生科技实践活动次数（一条记录可计多次）。{_HELD}",
        "student_practice",
        _YOUTH,
        _activities("student_practice"),
    ),
    Indicator(
        "STU02",
        "学生科技实践活动参与人次",
        "Student participants",
        "人次",
        f"当年学生科技实践活动的参与人次之和。{_HELD}",
        "student_practice",
        _YOUTH,
        _activities("student_practice"),
    ),
    Indicator(
        "STU03",
        "承办青少年高校科学营营员数",
        "Youth Science Camp students hosted",
        "人",
        f"当年承办的青少年高校科学营接待的中学生营员人数。{_HELD}",
        "student_practice",
        (CAST_YOUTH.code, MOST_POP.code),
        _activities("student_practice", "youth_science_camp"),
    ),
    Indicator(
        "STU04",
        "英才计划培养中学生数",
        "High-school Talent Programme students hosted",
        "人",
        f"当年“英才计划”中由本校导师培养的中学生人数。{_HELD}",
        "student_practice",
        _YOUTH,
        _activities("student_practice", "high_school_talent"),
    ),
    # services to S&T workers
    Indicator(
        "SRV01",
        "收到科技工作者意见建议数",
        "Suggestions received",
        "件",
        "当年收到的科技工作者意见、建议和诉求件数。",
        "suggestions",
        _SERV,
        _SUGGESTIONS,
    ),
    Indicator(
        "SRV02",
        "其中：已答复数",
        "of which answered",
        "件",
        "当年收到的意见建议中已答复或已办结的件数。",
        "suggestions",
        _SERV,
        _SUGGESTIONS,
    ),
    Indicator(
        "SRV03",
        "其中：上报省级联合组织数",
        "of which escalated",
        "件",
        "当年收到的意见建议中已上报省级联合组织的件数。",
        "suggestions",
        _SERV,
        _SUGGESTIONS,
    ),
)

CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        "ORG01",
        "高校科协数",
        "Associations",
        "个",
        "当年12月31日已成立且未撤销的高校科协数，每个计 1。成立日期以省级科协批准成立的日期为准，"
        "无批准记录的按登记的成立日期，二者均无的按建档日期；当日或之前已撤销的不计，"
        "暂停活动的仍计（仍然存在）。",
        "associations",
        _ORG_MOE,
        Records("associations.profile", by_association=True),
    ),
    Indicator(
        "ORG02",
        "个人会员数",
        "Individual members",
        "人",
        "当年12月31日在册的个人会员数：按每位会员带日期的状态记录（入会、失效、退会、去世、"
        "注销、恢复），截至当日最后一条记录为正常状态的会员。此后的变更不改变本年数字，"
        "已注销的会员在注销日期之前的年份仍计。",
        "members",
        _ORG_MOE,
        Records("members.index"),
    ),
    Indicator(
        "ORG03",
        "团体会员数",
        "Group members",
        "个",
        "当年12月31日在册的团体会员总数，即下列各类之和：加入日期在当日或之前，且按状态变更"
        "记录当日状态为正常（此后才退出或停止活动的仍计）。",
        "group_members",
        _ORG,
        _GROUPS,
    ),
    _group("ORG031", "本科生科协", "Undergraduate S&T associations"),
    _group("ORG032", "研究生科协", "Graduate S&T associations"),
    _group("ORG033", "青年教师科协", "Young teachers' S&T associations"),
    _group("ORG034", "离退休教师科协", "Retired teachers' S&T associations"),
    _group("ORG035", "院系科协", "Department S&T associations"),
    _group("ORG036", "其他团体会员", "Other group members"),
    Indicator(
        "ORG04",
        "会员（代表）大会代表数",
        "Congress delegates",
        "人",
        "当年12月31日在任的、召开日期在当日或之前的最近一届会员（代表）大会的代表人数；"
        "当日前尚未召开大会的填“-”。",
        "congresses",
        _ORG,
        _GOV,
        may_be_not_applicable=True,
    ),
    Indicator(
        "ORG05",
        "委员会委员数",
        "Committee members",
        "人",
        "当年12月31日在任委员会（任期开始于当日或之前、当日尚未届满）的委员人数；"
        "当日没有在任委员会的填“-”。",
        "committees",
        _ORG,
        _GOV,
        may_be_not_applicable=True,
    ),
    Indicator(
        "ORG06",
        "常务委员会委员数",
        "Standing committee members",
        "人",
        "当年12月31日在任委员会中常务委员的人数；未设常务委员会的填“-”。",
        "committees",
        _ORG,
        _GOV,
        may_be_not_applicable=True,
    ),
    Indicator(
        "ORG071",
        "召开会员（代表）大会次数",
        "Congress sessions held",
        "次",
        "召开日期在当年（1月1日至12月31日）的会员（代表）大会次数。",
        "congresses",
        _ORG,
        _GOV,
    ),
    Indicator(
        "ORG072",
        "召开委员会会议次数",
        "Committee meetings held",
        "次",
        "召开日期在当年（1月1日至12月31日）的委员会全体会议次数。",
        "meetings",
        _ORG,
        _GOV,
    ),
    Indicator(
        "ORG073",
        "召开常务委员会会议次数",
        "Standing committee meetings held",
        "次",
        "召开日期在当年（1月1日至12月31日）的常务委员会会议次数。",
        "meetings",
        _ORG,
        _GOV,
    ),
    *ACTIVITY_CATALOGUE,
)
BY_CODE = {i.code: i for i in CATALOGUE}
CODES = tuple(BY_CODE)


@dataclass(frozen=True)
class Section:
    """A part of the report: the indicators whose codes begin with `prefix`, as the catalogue
    groups them (组织建设, 学术交流, ...)."""

    prefix: str
    name_zh: str
    name_en: str

    @property
    def anchor(self) -> str:
        return f"section-{self.prefix.lower()}"

    def holds(self, indicator: Indicator) -> bool:
        return indicator.code.rstrip("0123456789") == self.prefix


SECTIONS = (
    Section("ORG", "组织建设", "Organisation"),
    Section("ACA", "学术交流", "Academic exchange"),
    Section("POP", "科普", "Science popularisation"),
    Section("TAL", "人才", "Talent"),
    Section("INT", "科研诚信", "Research integrity"),
    Section("STU", "学生科技实践", "Student S&T practice"),
    Section("SRV", "服务科技工作者", "Services to S&T workers"),
)


def sections() -> list[tuple[Section, list[Indicator]]]:
    """The catalogue in its sections, each indicator in catalogue order."""
    return [(section, [i for i in CATALOGUE if section.holds(i)]) for section in SECTIONS]


def name_of(code: str) -> str:
    """An indicator's name in the reader's language (Chinese unless the page is English)."""
    indicator = BY_CODE[code]
    return indicator.name_en if _english() else indicator.name_zh


def names_of(codes: Sequence[str]) -> str:
    """Indicators' names as a list in words: 个人会员数、团体会员数 (in English, commas)."""
    return (", " if _english() else "、").join(name_of(code) for code in codes)


def _english() -> bool:
    return has_request_context() and str(get_locale()).startswith("en")


def compute(
    association_ids: Sequence[int], year: int, progress: Callable[[int, int], None] | None = None
) -> dict[int, Figures]:
    """Every indicator for every association, empty figures as 0: one statement per table
    family (governance, membership, the association's work, suggestions), each read once and
    shared by the indicator families that take from it."""
    ids = sorted(set(association_ids))
    out: dict[int, Figures] = {aid: {i.code: 0 for i in CATALOGUE} for aid in ids}
    reads = _shared.set({})
    try:
        for done, family in enumerate(FAMILIES.values(), start=1):
            if progress:
                progress(done - 1, len(FAMILIES))
            for aid, figures in family(ids, year).items():
                if aid in out:
                    out[aid].update({code: _whole(value) for code, value in figures.items()})
    finally:
        _shared.reset(reads)
    return out


def _whole(value: Figure) -> Figure:
    return value if value == NOT_APPLICABLE else int(value)


def add(a: Figure, b: Figure) -> Figure:
    """Sum two figures: "-" contributes nothing; both "-" stays "-"."""
    if a == NOT_APPLICABLE:
        return b
    if b == NOT_APPLICABLE:
        return a
    return int(a) + int(b)


def total(reports: Sequence[Figures]) -> Figures:
    """The roll-up of several reports' figures, indicator by indicator: the sum of the
    figures, "-" contributing nothing, and "-" only where every report says "-" (as `add`
    folds them). Column by column: each report's figures in catalogue order taken at once
    (`_in_order`), each indicator's column summed in C; a code a report lacks is 0 there."""
    if not reports:
        return dict.fromkeys(CODES, 0)
    rows = [_row(figures) for figures in reports]
    out: Figures = {}
    for code, column in zip(CODES, zip(*rows, strict=True), strict=True):
        if column.count(NOT_APPLICABLE):
            numbers = [value for value in column if value != NOT_APPLICABLE]
            out[code] = sum(map(int, numbers)) if numbers else NOT_APPLICABLE
        else:
            out[code] = sum(map(int, column))
    return out


_in_order = itemgetter(*CODES)


def _row(figures: Figures) -> tuple:
    try:
        return _in_order(figures)
    except KeyError:  # a report without some indicator: 0 there
        return tuple(figures.get(code, 0) for code in CODES)


def moved_a_lot(current: Figure, previous: Figure | None, threshold: float = 0.3) -> bool:
    """Whether a figure moved more than `threshold` from last year's (an explanation is due)."""
    if previous is None or NOT_APPLICABLE in (current, previous):
        return False
    if int(previous) == 0:
        return int(current) != 0
    return abs(int(current) - int(previous)) / int(previous) > threshold


def in_table(table_code: str) -> list[Indicator]:
    return [i for i in CATALOGUE if table_code in i.tables]
