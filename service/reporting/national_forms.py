"""The national statistical forms the figures are filed on, as clerks know them: which form
(表1 组织建设 of the CAST comprehensive statistics, the MoE's 科技交流情况表, ...), which row
(行次) each indicator fills, and the block at the top right of every form (表号, 制定机关,
批准文号, 有效期至), which the platform operator sets per reporting year.

The indicator codes of `indicators.CATALOGUE` stay the key of every figure; this module is
the one place that lays them out on the forms. Each indicator's `tables` in the catalogue
names the same forms (a test holds the two together).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from service.reporting import indicators
from service.reporting.indicators import (
    CAST_ACAD,
    CAST_OPEN,
    CAST_ORG,
    CAST_POP,
    CAST_SERV,
    CAST_TECH,
    CAST_YOUTH,
    MOE_EXCH,
    MOE_TRANSFER,
    MOST_POP,
    Figure,
    Figures,
    NationalTable,
)
from service.reporting.models import FormHeader
from tenants.db import db


@dataclass(frozen=True)
class Series:
    """A national statistical system: its name and the body that draws up its forms."""

    name: str
    issuer: str  # 制定机关, the default of every form of the series


CAST = Series("中国科协综合统计", "中国科学技术协会")
MOE = Series("全国普通高等学校科技统计", "中华人民共和国教育部")
MOST = Series("全国科普统计调查", "中华人民共和国科学技术部")


@dataclass(frozen=True)
class Row:
    code: str  # the indicator
    label: str | None = None  # the form's own wording, where it differs from the indicator's


@dataclass(frozen=True)
class Form:
    table: NationalTable
    series: Series
    number: str | None  # 表1, 表3, ...; the MoE and MOST forms go by their name alone
    name: str
    rows: tuple[Row, ...]  # in the form's order: 行次 1, 2, 3, ...

    @property
    def code(self) -> str:
        return self.table.code

    @property
    def title(self) -> str:
        """As the form is headed, and its sheet named: "表1 组织建设"."""
        return f"{self.number} {self.name}" if self.number else self.name

    @property
    def units(self) -> str:
        """The 计量单位 of the header: the rows' unit when they share one, else the column's."""
        units = {indicators.BY_CODE[row.code].unit for row in self.rows}
        return units.pop() if len(units) == 1 else "见丙栏"


def _rows(*codes: str) -> tuple[Row, ...]:
    return tuple(Row(code) for code in codes)


_ACADEMIC = ("ACA01", "ACA011", "ACA012", "ACA02", "ACA03")
_POPULARISATION = ("POP01", "POP011", "POP012", "POP02", "POP03", "POP04", "POP05", "POP06")

FORMS: tuple[Form, ...] = (
    Form(
        CAST_ORG,
        CAST,
        "表1",
        "组织建设",
        _rows(
            "ORG01",
            "ORG02",
            "ORG03",
            "ORG031",
            "ORG032",
            "ORG033",
            "ORG034",
            "ORG035",
            "ORG036",
            "ORG04",
            "ORG05",
            "ORG06",
            "ORG071",
            "ORG072",
            "ORG073",
        ),
    ),
    Form(CAST_ACAD, CAST, "表3", "学术交流活动", _rows(*_ACADEMIC)),
    Form(CAST_POP, CAST, "表5", "科学技术普及活动", _rows(*_POPULARISATION)),
    Form(CAST_YOUTH, CAST, "表6", "青少年科技教育", _rows("STU01", "STU02", "STU03", "STU04")),
    # Alone on this form, the international events are a heading of their own, not "of which".
    Form(CAST_OPEN, CAST, "表9", "科技开放与交流", (Row("ACA012", "国际学术交流活动次数"),)),
    Form(CAST_TECH, CAST, "表10", "科技服务", _rows("ACA04", "ACA05", "ACA06", "ACA07")),
    Form(
        CAST_SERV,
        CAST,
        "表11",
        "为科技工作者服务",
        _rows(
            "TAL01",
            "TAL02",
            "TAL03",
            "TAL04",
            "INT01",
            "INT02",
            "INT021",
            "INT022",
            "INT023",
            "SRV01",
            "SRV02",
            "SRV03",
        ),
    ),
    Form(MOE_EXCH, MOE, None, "科技交流情况表", _rows(*_ACADEMIC)),
    Form(MOE_TRANSFER, MOE, None, "技术转让与知识产权情况表", _rows("ACA06", "ACA07")),
    Form(MOST_POP, MOST, None, "科普统计调查表", _rows(*_POPULARISATION, "STU03")),
)
BY_CODE: dict[str, Form] = {form.code: form for form in FORMS}


@dataclass(frozen=True)
class Placement:
    """Where an indicator is filed: a form and its row number (行次)."""

    form: Form
    row: int

    def as_dict(self) -> dict:
        return {
            "table": self.form.code,
            "series": self.form.series.name,
            "number": self.form.number,
            "name": self.form.name,
            "row": self.row,
        }


def placements(code: str) -> list[Placement]:
    """Every form and row an indicator fills, in the forms' order."""
    return [
        Placement(form, number)
        for form in FORMS
        for number, row in enumerate(form.rows, start=1)
        if row.code == code
    ]


def row_code(number: int) -> str:
    """The 代码 (乙) column: the row number, two digits as printed on the forms."""
    return f"{number:02d}"


@dataclass(frozen=True)
class Line:
    """One row of a filled-in form: 指标名称 (甲), 代码 (乙), 计量单位 (丙), 数值 (1)."""

    indicator: indicators.Indicator
    label: str
    number: int
    value: Figure

    @property
    def row_code(self) -> str:
        return row_code(self.number)


def lines(form: Form, figures: Figures) -> list[Line]:
    return [
        Line(
            indicators.BY_CODE[row.code],
            row.label or indicators.BY_CODE[row.code].name_zh,
            number,
            figures.get(row.code, 0),
        )
        for number, row in enumerate(form.rows, start=1)
    ]


# --- the header block, per reporting year --------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The block at the top right of a form, as printed for one year: what the operator
    set, the defaults otherwise (the series' issuer; nothing for the others, which only the
    approval of the forms fixes)."""

    form_number: str = ""  # 表号
    issuer: str = ""  # 制定机关
    approval_number: str = ""  # 批准文号
    valid_until: date | None = None  # 有效期至
    configured: bool = False

    def block(self) -> list[tuple[str, str]]:
        return [
            ("表号", self.form_number),
            ("制定机关", self.issuer),
            ("批准文号", self.approval_number),
            ("有效期至", format_date(self.valid_until)),
        ]


def format_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def default_header(form: Form) -> Header:
    return Header(issuer=form.series.issuer)


def default_headers() -> dict[str, Header]:
    return {form.code: default_header(form) for form in FORMS}


def header_of(form: Form, row: FormHeader | None) -> Header:
    default = default_header(form)
    if row is None:
        return default
    return Header(
        form_number=row.form_number or default.form_number,
        issuer=row.issuer or default.issuer,
        approval_number=row.approval_number or default.approval_number,
        valid_until=row.valid_until or default.valid_until,
        configured=True,
    )


def saved_headers(year: int) -> dict[str, FormHeader]:
    """The rows the operator saved for the year, by form code."""
    rows = db.session.scalars(sa.select(FormHeader).where(FormHeader.year == year))
    return {row.table_code: row for row in rows}


def headers_for(year: int) -> dict[str, Header]:
    """Every form's header block for the reporting year."""
    saved = saved_headers(year)
    return {form.code: header_of(form, saved.get(form.code)) for form in FORMS}


@dataclass(frozen=True)
class Sheet:
    """One form filled in: its header block and rows."""

    form: Form
    header: Header
    lines: list[Line]


def sheets(figures: Figures, headers: Mapping[str, Header]) -> list[Sheet]:
    return [Sheet(form, headers[form.code], lines(form, figures)) for form in FORMS]


HEADER_FIELDS = ("form_number", "issuer", "approval_number", "valid_until")


def save_header(year: int, form: Form, values: Mapping[str, object], actor: str) -> None:
    """Keep the operator's header block of a form for a year (audited like every other
    write). All fields empty: the form prints the defaults again."""
    row = saved_headers(year).get(form.code)
    if not any(values.get(name) for name in HEADER_FIELDS):
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = FormHeader(year=year, table_code=form.code)
        db.session.add(row)
    for name in HEADER_FIELDS:
        setattr(row, name, values.get(name) or None)
    row.updated_by = actor
