"""Reading an uploaded .xlsx or .csv safely into rows of cell values, nothing interpreted.

A workbook is refused before any XML is parsed if it unpacks to an unsafe size; CSV may be
UTF-8 or GBK/GB18030 (what Excel on Chinese Windows saves). Formulas are never evaluated: a
cell that spreadsheet software would run is read as a `Formula`, to be refused per row.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

from service.i18n import gettext as _

log = logging.getLogger(__name__)

# After a sign, only what a phone number or a number holds: "+86 138-0013-8000", "-12.5".
_SIGNED_NUMBER = re.compile(r"^[+\-][0-9０-９ ()（）\-.]+$")


# What a cell that might be a formula starts with (a quick test before the full one).
_RISKY = frozenset("=+-@\t\r\n ")


class ImportRefused(ValueError):
    """The whole file is refused: wrong type, too large, hostile, unreadable."""


class UnsafeWorkbook(ImportRefused):
    """A workbook that would unpack to an unsafe size (a zip bomb)."""


class Formula(str):
    """A cell's text that spreadsheet software would run as a formula."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unzipped_bytes: int = 100 * 1024 * 1024


def is_formula(text: str) -> bool:
    """`=…`, and `+`, `-` or `@` before anything but a number or a phone number; a leading
    tab or line break hides the same thing."""
    stripped = text.lstrip("\t\r\n ")
    if not stripped:
        return False
    if stripped[0] == "=" or stripped[0] == "@":
        return True
    if stripped[0] in "+-":
        return _SIGNED_NUMBER.match(stripped) is None
    return False


def check_file(filename: str, content: bytes, limits: Limits) -> None:
    """What is refused before reading: a file too large, of another type, empty, or (a
    workbook) a zip bomb. Cheap, so the API answers it at once."""
    if len(content) > limits.max_bytes:
        raise ImportRefused(_("The file is larger than %(mb)d MB.", mb=limits.max_bytes // 2**20))
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise ImportRefused(_("Only .xlsx and .csv files can be imported."))
    if not content.strip():
        raise ImportRefused(_("The file is empty."))
    if filename.lower().endswith(".xlsx"):
        check_zip(content, limits)


def read_table(filename: str, content: bytes, limits: Limits) -> list[list]:
    """Every row of the first sheet as a list of values (str, int, float, datetime, Formula
    or None), blank rows included so that row numbers are the ones the clerk sees. Rows
    given to the API as JSON (`ROWS_FILENAME`) come first as their headings."""
    if len(content) > limits.max_bytes:
        raise ImportRefused(_("The file is larger than %(mb)d MB.", mb=limits.max_bytes // 2**20))
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        reader = _xlsx_table
    elif lower.endswith(".csv"):
        reader = _csv_table
    elif filename == ROWS_FILENAME:
        reader = _json_table
    else:
        raise ImportRefused(_("Only .xlsx and .csv files can be imported."))
    try:
        table = reader(content, limits)
    except ImportRefused:
        raise
    except Exception as exc:  # a hostile or broken file: its fault, said as such, never a crash
        log.warning("unreadable import file", exc_info=True)
        raise ImportRefused(_("The file cannot be read; save it again from the template.")) from exc
    if not any(any(_filled(v) for v in row) for row in table):
        raise ImportRefused(_("The file is empty."))
    return table


def _filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def _xlsx_table(content: bytes, limits: Limits) -> list[list]:
    check_zip(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportRefused(_("The file is not a readable .xlsx workbook.")) from exc
    try:
        table = []
        for values in book.worksheets[0].iter_rows(values_only=True):
            if len(table) > limits.max_rows + 50:  # room for titles, notes and footers
                raise ImportRefused(_("More than %(n)d rows.", n=limits.max_rows))
            # With data_only=False a formula cell's value is its formula text, "=…".
            table.append(
                [
                    Formula(v) if isinstance(v, str) and v[:1] in _RISKY and is_formula(v) else v
                    for v in values
                ]
            )
        return table
    finally:
        book.close()


def check_zip(content: bytes, limits: Limits) -> None:
    """Refuse zip bombs before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise ImportRefused(_("The file is not a readable .xlsx workbook.")) from exc
    with archive:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > limits.max_unzipped_bytes or (ratio > 200 and info.file_size > 2**20):
                raise UnsafeWorkbook(_("The workbook unpacks to an unsafe size; it is refused."))


# The name under which rows sent as JSON are kept: {"headers": [...], "rows": [[...], ...]}.
ROWS_FILENAME = "rows.json"


def rows_content(headers: list[str], rows: list[list]) -> bytes:
    """Rows as the API received them (headings, then each row's cells), kept as the upload."""
    return json.dumps({"headers": headers, "rows": rows}, ensure_ascii=False).encode()


def _json_table(content: bytes, limits: Limits) -> list[list]:
    """The headings, then every row; text that spreadsheet software would run is a Formula,
    as in a file (an HR system may pass on what a clerk typed)."""
    data = json.loads(content)
    headers, rows = data["headers"], data["rows"]
    if len(rows) > limits.max_rows:
        raise ImportRefused(_("More than %(n)d rows.", n=limits.max_rows))
    scalar = (str, int, float, bool, type(None))
    if not all(isinstance(h, str) for h in headers) or not all(
        isinstance(row, list) and all(isinstance(v, scalar) for v in row) for row in rows
    ):
        raise ImportRefused(_("The file cannot be read; save it again from the template."))
    return [
        list(headers),
        *([Formula(v) if isinstance(v, str) and is_formula(v) else v for v in row] for row in rows),
    ]


def _csv_table(content: bytes, limits: Limits) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(_("The file's text encoding is neither UTF-8 nor GBK."))
    if "\x00" in text:
        raise ImportRefused(_("The file contains binary data."))
    table: list[list] = []
    try:
        for row in csv.reader(io.StringIO(text), strict=True):
            if len(table) > limits.max_rows + 50:
                raise ImportRefused(_("More than %(n)d rows.", n=limits.max_rows))
            table.append([Formula(c) if is_formula(c) else c for c in row])
    except csv.Error as exc:  # a cell past the csv module's limit, a stray or unclosed quote
        raise ImportRefused(
            _(
                "Line %(n)d cannot be read: a cell is far too long or a quote is not closed.",
                n=len(table) + 1,
            )
        ) from exc
    return table
