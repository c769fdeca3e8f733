"""A report or roll-up on the national forms: xlsx (a sheet per form, laid out as the paper
form: title, the block of 表号 and 制定机关, the filing unit and year, the 甲 乙 丙 1 columns,
the signature lines left blank), csv and JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet

from service.imports.writing import neutralise
from service.reporting import indicators, national_forms
from service.reporting.indicators import Figures
from service.reporting.national_forms import Header

HEADER = ["指标代码", "指标名称", "计量单位", "数值"]
# The columns of every form, and the line under them that names them as the forms do.
COLUMNS = ["指标名称", "代码", "计量单位", "数值"]
COLUMN_MARKS = ["甲", "乙", "丙", "1"]
# Signed by hand on the printed form (with the unit's seal); 联系电话 too is written by the
# signatory: the association's contact phone is personal data, masked above the association.
FOOTER = (("单位负责人：", "统计负责人："), ("填表人：", "联系电话："))


@dataclass(frozen=True)
class Filing:
    """Who files which version of which year's figures, and the forms' header blocks."""

    unit: str  # 填报单位: the association's or the federation's name
    year: int
    version: int
    digest: str | None
    filed_on: date | None  # 报出日期: the submission, or the lock of a roll-up
    headers: dict[str, Header]


def _cell(value: object) -> object:
    """Text is neutralised against formulas; a figure (a number, or "-" for not applicable,
    which no spreadsheet runs) is written as it is."""
    return value if value == indicators.NOT_APPLICABLE else neutralise(value)


THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _spanning(sheet: Worksheet, label: str, value: object) -> None:
    """A label and a value that takes the rest of the line (a long name, the hash)."""
    sheet.append([label, value])
    sheet.merge_cells(start_row=sheet.max_row, start_column=2, end_row=sheet.max_row, end_column=4)


def _write_sheet(book: Workbook, sheet_data: national_forms.Sheet, filing: Filing) -> None:
    form = sheet_data.form
    sheet = book.create_sheet(form.title)
    sheet.append([form.title])
    sheet.merge_cells("A1:D1")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    # The block at the top right, beside the series' name.
    for index, (label, value) in enumerate(sheet_data.header.block()):
        sheet.append([form.series.name if index == 0 else None, None, f"{label}：", _cell(value)])
    _spanning(sheet, "填报单位（盖章）：", _cell(filing.unit))
    sheet.append(["统计年度：", f"{filing.year}年", "计量单位：", form.units])
    start = sheet.max_row + 1
    sheet.append(COLUMNS)
    sheet.append(COLUMN_MARKS)
    for line in sheet_data.lines:
        sheet.append([_cell(line.label), line.row_code, line.indicator.unit, _cell(line.value)])
    for row in sheet.iter_rows(min_row=start, max_row=sheet.max_row, max_col=4):
        for cell in row:
            cell.border = BOX
        row[1].alignment = row[2].alignment = Alignment(horizontal="center")
        row[3].alignment = Alignment(horizontal="right")
    for row in sheet.iter_rows(min_row=start, max_row=start + 1, max_col=4):
        for cell in row:
            cell.alignment = Alignment(horizontal="center")
            cell.font = Font(bold=cell.row == start)
    sheet.append([])
    for left, right in FOOTER:
        sheet.append([left, None, right, None])
    sheet.append(
        ["报出日期：", national_forms.format_date(filing.filed_on), "版本：", filing.version]
    )
    if filing.digest:
        _spanning(sheet, "校验码：", filing.digest)
    for column, width in zip("ABCD", (40, 14, 14, 28), strict=True):
        sheet.column_dimensions[column].width = width


def to_xlsx(filing: Filing, figures: Figures) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet_data in national_forms.sheets(figures, filing.headers):
        _write_sheet(book, sheet_data, filing)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _filed_on(indicator: indicators.Indicator) -> str:
    """The forms and rows an indicator fills: "表1 组织建设 第02行; 科技交流情况表 第01行"."""
    return "; ".join(
        f"{p.form.title} 第{national_forms.row_code(p.row)}行"
        for p in national_forms.placements(indicator.code)
    )


def to_csv(figures: Figures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*HEADER, "报送表及行次"])
    for indicator in indicators.CATALOGUE:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    indicator.code,
                    indicator.name_zh,
                    indicator.unit,
                    figures.get(indicator.code, 0),
                    _filed_on(indicator),
                )
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8 Chinese


def to_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
