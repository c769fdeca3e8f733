"""Job titles (职称) as secretariats write them, to the title levels membership rules use.

Seeded with the common titles of the teaching, research, engineering, medical, library and
other professional series; each association may add or change words (`TitleWord`), which
win over the seeds.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A title level (职称等级), in rank order: what the words of every series come to.
    Membership's rules are written in these levels (`members.models.ProfessionalTitle`)."""

    NONE = "none"
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    ASSOCIATE_SENIOR = "associate_senior"
    SENIOR = "senior"

    @property
    def rank(self) -> int:
        return _RANKS[self]


# Read for every member an API page or a list shows (its eligibility): looked up, not searched.
_RANKS = {level: rank for rank, level in enumerate(Level)}


_SERIES = {
    Level.SENIOR: (
        "正高级 正高 教授 研究员 教授级高级工程师 正高级工程师 教授级高工 主任医师 主任药师 "
        "主任护师 主任技师 研究馆员 编审 正高级实验师 正高级会计师 正高级经济师 译审 "
        "正高级讲师 正高级教师 高级记者 播音指导 一级作家 一级编剧 一级演员"
    ),
    Level.ASSOCIATE_SENIOR: (
        "副高级 副高 副教授 副研究员 高级工程师 高工 副主任医师 副主任药师 副主任护师 "
        "副主任技师 副研究馆员 副编审 高级实验师 高级讲师 高级教师 高级会计师 高级经济师 "
        "高级农艺师 高级畜牧师 高级统计师 副译审 主任记者 高级兽医师"
    ),
    Level.INTERMEDIATE: (
        "中级 讲师 助理研究员 工程师 主治医师 主管药师 主管护师 主管技师 馆员 编辑 实验师 "
        "会计师 经济师 农艺师 统计师 翻译 记者 一级教师 兽医师"
    ),
    Level.JUNIOR: (
        "初级 助教 研究实习员 助理工程师 技术员 医师 医士 药师 药士 护师 护士 技师 技士 "
        "助理馆员 管理员 助理编辑 助理实验师 实验员 助理会计师 会计员 助理经济师 经济员 "
        "二级教师 三级教师 助理翻译"
    ),
    Level.NONE: "无 无职称 暂无 未评 未定级",
}
LEVEL_TEXT = {
    Level.NONE: "无",
    Level.JUNIOR: "初级",
    Level.INTERMEDIATE: "中级",
    Level.ASSOCIATE_SENIOR: "副高级",
    Level.SENIOR: "正高级",
}
SEEDED: dict[str, Level] = {
    word: level for level, words in _SERIES.items() for word in words.split()
}


def title_table(tenant_words: dict[str, str]) -> dict[str, Level]:
    """The seeds, with the association's own words over them."""
    return {**SEEDED, **{word: Level(level) for word, level in tenant_words.items()}}


def level_of(word: str, table: dict[str, Level]) -> Level | None:
    """The word itself, else the longest title written inside it (副教授（三级） is 副教授)."""
    if not word:
        return Level.NONE
    found = table.get(word)
    if found is not None:
        return found
    inside = [known for known in table if len(known) >= 2 and known in word]
    return table[max(inside, key=len)] if inside else None
