"""Writing a spreadsheet for download, safely: every export goes through here.

Text that spreadsheet software would run as a formula (it begins with =, +, -, @ or a tab or
return) is written with a leading quote, whoever typed it: names of associations come from a
public form. CSV carries a BOM so that Excel on Chinese Windows reads the UTF-8 as Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula is written with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(header: list[str], rows: Iterable[list], title: str) -> bytes:
    """One sheet: the header row, then the rows, every cell neutralised, dates as ISO."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([neutralise(v) for v in header])
    for row in rows:
        sheet.append([v.isoformat() if isinstance(v, date) else neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(v) for v in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def workbook_bytes(book: Workbook) -> bytes:
    """A workbook laid out by hand (the national forms, the dashboards), every cell
    neutralised on the way out."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.value = neutralise(cell.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
