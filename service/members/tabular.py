"""The member spreadsheet: one column list for the template, the import and the export.

Headers are Chinese (what secretariats already use); files are .xlsx or .csv, and CSV may be
UTF-8 or GBK/GB18030, which is what Excel on Chinese Windows saves.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.imports import writing
from service.imports.normalise import written
from service.imports.reading import ImportRefused, Limits, read_table
from service.imports.table import locate
from service.imports.titles import LEVEL_TEXT
from service.imports.writing import neutralise
from service.members.models import ProfessionalTitle

__all__ = ["COLUMNS", "ImportRefused", "Limits", "read_rows"]


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    example: str = ""


COLUMNS = (
    Column("name", "姓名", "张伟"),
    Column("staff_number", "工号", "20010123"),
    Column("gender", "性别", "男"),
    Column("birth_year", "出生年份", "1982"),
    Column("department", "院系", "计算机科学与技术学院"),
    Column("discipline", "学科", "计算机科学与技术"),
    Column("title", "职称", "副高级"),
    Column("position", "职务", "副院长"),
    Column("phone", "手机", "13800138000"),
    Column("email", "电子邮箱", "zhangwei@example.edu.cn"),
    Column("societies", "所属学会", "中国计算机学会"),
    Column("in_cast_society", "中国科协所属学会会员", "是"),
    Column("exception_reason", "例外理由", ""),
    Column("joined_on", "入会日期", "2024-09-01"),
)
HEADERS = {c.header: c.field for c in COLUMNS}
# The export's last column: the member's status. Not a column of the import template (a
# status is changed on the member's page, with its date, not by a file); an import that
# meets it in an exported file leaves it aside.
STATUS_HEADER = "状态"
TITLE_TEXT = LEVEL_TEXT
GENDER_TEXT = {"male": "男", "female": "女"}
# Spreadsheet software runs a cell that starts like this as a formula.


def read_rows(filename: str, content: bytes, limits: Limits) -> list[tuple[int, dict]]:
    """(row number, {field: text as written}) for each row of a file in the template's
    layout: the engine's reading and table finding, without normalising."""
    from service.members.importing import MEMBER_FIELDS

    located = locate(read_table(filename, content, limits), MEMBER_FIELDS)
    fields = [HEADERS.get(h.rstrip("*")) for h in located.headers]
    return [
        (number, {f: written(v).strip() for f, v in zip(fields, cells, strict=False) if f})
        for number, cells in located.body
    ]


# --- writing ---------------------------------------------------------------------------


def export_row(member, masked_fields: dict) -> list:
    values = []
    for column in COLUMNS:
        value = getattr(member, column.field)
        if column.field == "title":
            value = TITLE_TEXT.get(ProfessionalTitle(value), "")
        elif column.field == "gender":
            value = GENDER_TEXT.get(value or "", "")
        elif column.field == "in_cast_society":
            value = "是" if value else "否"
        elif column.field in masked_fields:
            value = masked_fields[column.field](value)
        values.append(neutralise("" if value is None else value))
    return values


def to_xlsx(header: list[str], rows: list[list], title: str = "会员") -> bytes:
    return writing.to_xlsx(header, rows, title)


def template_xlsx() -> bytes:
    return to_xlsx([c.header for c in COLUMNS], [[c.example for c in COLUMNS]])
