"""The indicator catalogue, as data: what each figure means, how it is computed from the
records, and which national tables it feeds.

Filing rules: an empty figure is 0, "-" means not applicable, figures are whole numbers.
A family computes its indicators for a set of associations and a year in one grouped query;
activity indicators are added later as one more family and its catalogue entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa

from service.governance.models import Body, CommitteeMember, CommitteeTerm, Congress, Meeting
from service.members.models import GroupMember, GroupMemberKind, Member, MemberStatus
from tenants.db import db
from tenants.models import Association

NOT_APPLICABLE = "-"
Figure = int | str  # a whole number, or NOT_APPLICABLE
Figures = dict[str, Figure]


@dataclass(frozen=True)
class NationalTable:
    code: str
    name_zh: str
    name_en: str


CAST_ORG = NationalTable("CAST-ORG", "中国科协综合统计·组织建设", "CAST statistics: organisation")
CAST_ACAD = NationalTable(
    "CAST-ACAD", "中国科协综合统计·学术交流", "CAST statistics: academic exchange"
)
CAST_POP = NationalTable(
    "CAST-POP", "中国科协综合统计·科学普及", "CAST statistics: science popularisation"
)
CAST_YOUTH = NationalTable(
    "CAST-YOUTH", "中国科协综合统计·青少年科技教育", "CAST statistics: youth S&T education"
)
CAST_SERV = NationalTable(
    "CAST-SERV", "中国科协综合统计·服务科技工作者", "CAST statistics: services to S&T workers"
)
MOST_POP = NationalTable("MOST-POP", "科技部全国科普统计调查", "MOST science-popularisation survey")
MOE_EXCH = NationalTable(
    "MOE-EXCH", "教育部高校科技交流统计表", "MoE university S&T exchange table"
)
TABLES = (CAST_ORG, CAST_ACAD, CAST_POP, CAST_YOUTH, CAST_SERV, MOST_POP, MOE_EXCH)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit: str  # as printed in the national tables
    definition: str
    family: str
    tables: tuple[str, ...]
    # The page listing the records behind the figure: (endpoint, needs association_id).
    records: tuple[str, bool] | None = None
    may_be_not_applicable: bool = False


# A family: (association ids, year) -> {association id: {code: figure}}; absent codes are 0.
Compute = Callable[[Sequence[int], int], dict[int, Figures]]


def year_end(year: int) -> date:
    return date(year, 12, 31)


def _end_of(year: int) -> datetime:
    return datetime.combine(year_end(year), time.max)


def _associations(ids: Sequence[int], year: int) -> dict[int, Figures]:
    rows = db.session.execute(
        sa.select(Association.id).where(
            Association.id.in_(ids), Association.created_at <= _end_of(year)
        )
    )
    return {aid: {"ORG01": 1} for (aid,) in rows}


def _members(ids: Sequence[int], year: int) -> dict[int, Figures]:
    rows = db.session.execute(
        sa.select(Member.tenant_id, sa.func.count())
        .where(
            Member.tenant_id.in_(ids),
            Member.status == MemberStatus.ACTIVE.value,
            Member.joined_on <= year_end(year),
        )
        .group_by(Member.tenant_id)
    )
    return {aid: {"ORG02": n} for aid, n in rows}


GROUP_CODES = {
    GroupMemberKind.UNDERGRADUATE: "ORG031",
    GroupMemberKind.GRADUATE: "ORG032",
    GroupMemberKind.YOUNG_TEACHER: "ORG033",
    GroupMemberKind.RETIRED_TEACHER: "ORG034",
    GroupMemberKind.DEPARTMENT: "ORG035",
    GroupMemberKind.OTHER: "ORG036",
}


def _group_members(ids: Sequence[int], year: int) -> dict[int, Figures]:
    rows = db.session.execute(
        sa.select(GroupMember.tenant_id, GroupMember.kind, sa.func.count())
        .where(
            GroupMember.tenant_id.in_(ids),
            GroupMember.status == "active",
            GroupMember.created_at <= _end_of(year),
        )
        .group_by(GroupMember.tenant_id, GroupMember.kind)
    )
    out: dict[int, Figures] = defaultdict(lambda: {"ORG03": 0})
    for aid, kind, n in rows:
        figures = out[aid]
        code = GROUP_CODES[GroupMemberKind(kind)]
        figures[code] = int(figures.get(code, 0)) + n
        figures["ORG03"] = int(figures["ORG03"]) + n
    return dict(out)


def _congresses(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Delegates of the congress in force at the year's end ("-" before the first), and
    congress sessions held in the year."""
    rows = db.session.execute(
        sa.select(Congress.tenant_id, Congress.held_on, Congress.delegates)
        .where(Congress.tenant_id.in_(ids), Congress.held_on <= year_end(year))
        .order_by(Congress.tenant_id, Congress.held_on, Congress.id)
    )
    out: dict[int, Figures] = {aid: {"ORG04": NOT_APPLICABLE} for aid in ids}
    for aid, held_on, delegates in rows:
        out[aid]["ORG04"] = delegates  # the latest one wins, in date order
        if held_on.year == year:
            out[aid]["ORG071"] = int(out[aid].get("ORG071", 0)) + 1
    return out


def _committees(ids: Sequence[int], year: int) -> dict[int, Figures]:
    """Members of the committee (and standing committee) in office at the year's end;
    "-" when none was in office, or the term has no standing committee."""
    end = year_end(year)
    standing = sa.func.sum(sa.case((CommitteeMember.on_standing_committee, 1), else_=0))
    rows = db.session.execute(
        sa.select(
            CommitteeTerm.tenant_id,
            CommitteeTerm.starts_on,
            sa.func.count(CommitteeMember.id),
            standing,
        )
        .outerjoin(
            CommitteeMember,
            sa.and_(
                CommitteeMember.tenant_id == CommitteeTerm.tenant_id,
                CommitteeMember.term_id == CommitteeTerm.id,
            ),
        )
        .where(
            CommitteeTerm.tenant_id.in_(ids),
            CommitteeTerm.starts_on <= end,
            sa.or_(CommitteeTerm.ends_on.is_(None), CommitteeTerm.ends_on >= end),
        )
        .group_by(CommitteeTerm.tenant_id, CommitteeTerm.id, CommitteeTerm.starts_on)
        .order_by(CommitteeTerm.tenant_id, CommitteeTerm.starts_on, CommitteeTerm.id)
    )
    out: dict[int, Figures] = {
        aid: {"ORG05": NOT_APPLICABLE, "ORG06": NOT_APPLICABLE} for aid in ids
    }
    for aid, _starts, members, standing_members in rows:  # the latest term wins
        out[aid] = {"ORG05": members, "ORG06": int(standing_members or 0) or NOT_APPLICABLE}
    return out


MEETING_CODES = {Body.COMMITTEE: "ORG072", Body.STANDING_COMMITTEE: "ORG073"}


def _meetings(ids: Sequence[int], year: int) -> dict[int, Figures]:
    rows = db.session.execute(
        sa.select(Meeting.tenant_id, Meeting.body, sa.func.count())
        .where(
            Meeting.tenant_id.in_(ids),
            Meeting.held_on.between(date(year, 1, 1), year_end(year)),
            Meeting.body.in_([b.value for b in MEETING_CODES]),
        )
        .group_by(Meeting.tenant_id, Meeting.body)
    )
    out: dict[int, Figures] = defaultdict(dict)
    for aid, body, n in rows:
        out[aid][MEETING_CODES[Body(body)]] = n
    return dict(out)


FAMILIES: dict[str, Compute] = {
    "associations": _associations,
    "members": _members,
    "group_members": _group_members,
    "congresses": _congresses,
    "committees": _committees,
    "meetings": _meetings,
}

_ORG = (CAST_ORG.code,)
_ORG_MOE = (CAST_ORG.code, MOE_EXCH.code)
_GROUPS = ("members.groups", False)
_GOV = ("governance.overview", True)


def _group(code: str, zh: str, en: str) -> Indicator:
    return Indicator(
        code, zh, en, "个", f"年末在册的{zh}团体会员数。", "group_members", _ORG, _GROUPS
    )


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        "ORG01",
        "高校科协数",
        "Associations",
        "个",
        "年末已成立的高校科协数；每个高校科协计 1。",
        "associations",
        _ORG_MOE,
        ("associations.profile", True),
    ),
    Indicator(
        "ORG02",
        "个人会员数",
        "Individual members",
        "人",
        "年末在册、状态为正常的个人会员数（当年12月31日前入会）。",
        "members",
        _ORG_MOE,
        ("members.index", False),
    ),
    Indicator(
        "ORG03",
        "团体会员数",
        "Group members",
        "个",
        "年末在册、状态为正常的团体会员总数，即下列各类之和。",
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
        "年末在任的最近一届会员（代表）大会的代表人数；尚未召开大会的填“-”。",
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
        "年末在任委员会的委员人数；没有在任委员会的填“-”。",
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
        "年末在任委员会中常务委员的人数；未设常务委员会的填“-”。",
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
        "当年召开的会员（代表）大会次数。",
        "congresses",
        _ORG,
        _GOV,
    ),
    Indicator(
        "ORG072",
        "召开委员会会议次数",
        "Committee meetings held",
        "次",
        "当年召开的委员会全体会议次数。",
        "meetings",
        _ORG,
        _GOV,
    ),
    Indicator(
        "ORG073",
        "召开常务委员会会议次数",
        "Standing committee meetings held",
        "次",
        "当年召开的常务委员会会议次数。",
        "meetings",
        _ORG,
        _GOV,
    ),
)
BY_CODE = {i.code: i for i in CATALOGUE}


def compute(
    association_ids: Sequence[int], year: int, progress: Callable[[int, int], None] | None = None
) -> dict[int, Figures]:
    """Every indicator for every association: one query per family, empty figures as 0."""
    ids = sorted(set(association_ids))
    out: dict[int, Figures] = {aid: {i.code: 0 for i in CATALOGUE} for aid in ids}
    for done, family in enumerate(FAMILIES.values(), start=1):
        if progress:
            progress(done - 1, len(FAMILIES))
        for aid, figures in family(ids, year).items():
            if aid in out:
                out[aid].update({code: _whole(value) for code, value in figures.items()})
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
    """The roll-up of several reports' figures, indicator by indicator."""
    out: Figures = {}
    for figures in reports:
        for indicator in CATALOGUE:
            value = figures.get(indicator.code, 0)
            out[indicator.code] = (
                add(out[indicator.code], value) if indicator.code in out else value
            )
    return {i.code: out.get(i.code, 0) for i in CATALOGUE}


def moved_a_lot(current: Figure, previous: Figure | None, threshold: float = 0.3) -> bool:
    """Whether a figure moved more than `threshold` from last year's (an explanation is due)."""
    if previous is None or NOT_APPLICABLE in (current, previous):
        return False
    if int(previous) == 0:
        return int(current) != 0
    return abs(int(current) - int(previous)) / int(previous) > threshold


def in_table(table_code: str) -> list[Indicator]:
    return [i for i in CATALOGUE if table_code in i.tables]
