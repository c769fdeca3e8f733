"""A report or roll-up in the official layouts: xlsx (a sheet per national table, Chinese
headers, units, the unit's name, blank signature and date cells), csv and JSON."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from service.members.tabular import neutralise
from service.reporting import indicators
from service.reporting.indicators import TABLES, Figures

HEADER = ["指标代码", "指标名称", "计量单位", "数值"]


def _cell(value: object) -> object:
    """Text is neutralised against formulas; a figure (a number, or "-" for not applicable,
    which no spreadsheet runs) is written as it is."""
    return value if value == indicators.NOT_APPLICABLE else neutralise(value)


def rows(figures: Figures, table_code: str | None = None) -> list[list]:
    chosen = indicators.in_table(table_code) if table_code else indicators.CATALOGUE
    return [[i.code, i.name_zh, i.unit, figures.get(i.code, 0)] for i in chosen]


def to_xlsx(unit_name: str, year: int, figures: Figures, version: int, digest: str | None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        lines = rows(figures, table.code)
        if not lines:
            continue
        sheet = book.create_sheet(table.code)
        sheet.append([table.name_zh])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(["填报单位：", neutralise(unit_name), "统计年度：", year])
        sheet.append(["版本：", version, "校验码：", digest or ""])
        sheet.append(HEADER)
        for line in lines:
            sheet.append([_cell(v) for v in line])
        sheet.append([])
        # Left blank for the hand signature and the seal, as on the paper form.
        sheet.append(["单位负责人（签字）：", "", "填表人（签字）：", ""])
        sheet.append(["（盖章）", "", "填报日期：", ""])
        for column, width in zip("ABCD", (22, 36, 16, 22), strict=True):
            sheet.column_dimensions[column].width = width
        for cell in sheet["D"]:
            cell.alignment = Alignment(horizontal="right")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(figures: Figures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*HEADER, "报送表"])
    for indicator in indicators.CATALOGUE:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    indicator.code,
                    indicator.name_zh,
                    indicator.unit,
                    figures.get(indicator.code, 0),
                    " ".join(indicator.tables),
                )
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8 Chinese


def to_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
