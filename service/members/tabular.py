"""The member spreadsheet: one column list for the template, the import and the export.

Headers are Chinese (what secretariats already use); files are .xlsx or .csv, and CSV may be
UTF-8 or GBK/GB18030, which is what Excel on Chinese Windows saves.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook

from service.members.eligibility import Eligibility, eligibility
from service.members.models import Member, ProfessionalTitle
from service.validation import (
    PHONE_PATTERN,
    has_broken_characters,
    has_control_characters,
    has_stray_cells,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    example: str = ""


COLUMNS = (
    Column("name", "姓名", "张伟"),
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
# The longest text each column may hold: the member table's own limit, and for the columns
# that are words, not text (a year, a yes/no, a date), a little more than any such word.
MAX_LENGTH = {
    c.field: getattr(Member.__table__.c[c.field].type, "length", None) or 20 for c in COLUMNS
}
TITLE_WORDS = {
    "无": ProfessionalTitle.NONE,
    "初级": ProfessionalTitle.JUNIOR,
    "中级": ProfessionalTitle.INTERMEDIATE,
    "副高": ProfessionalTitle.ASSOCIATE_SENIOR,
    "副高级": ProfessionalTitle.ASSOCIATE_SENIOR,
    "正高": ProfessionalTitle.SENIOR,
    "正高级": ProfessionalTitle.SENIOR,
}
TITLE_TEXT = {
    ProfessionalTitle.NONE: "无",
    ProfessionalTitle.JUNIOR: "初级",
    ProfessionalTitle.INTERMEDIATE: "中级",
    ProfessionalTitle.ASSOCIATE_SENIOR: "副高级",
    ProfessionalTitle.SENIOR: "正高级",
}
GENDER_WORDS = {"男": "male", "女": "female"}
GENDER_TEXT = {"male": "男", "female": "女"}
YES, NO = {"是", "y", "yes", "1", "true"}, {"否", "", "n", "no", "0", "false"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(PHONE_PATTERN)
# Spreadsheet software runs a cell that starts like this as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportRefused(ValueError):
    """The whole file is refused: wrong type, too large, hostile, unreadable."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unzipped_bytes: int = 100 * 1024 * 1024


# --- reading ---------------------------------------------------------------------------


def read_rows(filename: str, content: bytes, limits: Limits) -> list[tuple[int, dict]]:
    """(row number as the clerk sees it, {field: text}) for each non-empty data row."""
    if len(content) > limits.max_bytes:
        raise ImportRefused(_("The file is larger than %(mb)d MB.", mb=limits.max_bytes // 2**20))
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        reader = _xlsx_table
    elif lower.endswith(".csv"):
        reader = _csv_table
    else:
        raise ImportRefused(_("Only .xlsx and .csv files can be imported."))
    try:
        table = reader(content, limits)
    except ImportRefused:
        raise
    except Exception as exc:  # a hostile or broken file: its fault, said as such, never a crash
        log.warning("unreadable import file", exc_info=True)
        raise ImportRefused(_("The file cannot be read; save it again from the template.")) from exc
    if not table:
        raise ImportRefused(_("The file is empty."))
    header, *body = table
    fields = _fields(header)
    rows = []
    for number, cells in enumerate(body, start=2):
        if not any(str(c).strip() for c in cells):
            continue
        if has_stray_cells(fields, cells):
            raise ImportRefused(_("Row %(n)d has a value in a column without a heading.", n=number))
        rows.append((number, {f: str(v).strip() for f, v in zip(fields, cells, strict=False) if f}))
    return rows


def _fields(header: list) -> list[str | None]:
    names = [str(h or "").strip().rstrip("*") for h in header]
    unknown = [_shortened(n) for n in names if n and n not in HEADERS]
    if unknown:
        raise ImportRefused(
            _("Unknown columns: %(names)s. Use the template.", names="、".join(unknown[:10]))
        )
    if "姓名" not in names:
        raise ImportRefused(_("The column 姓名 is missing. Use the template."))
    return [HEADERS.get(n) for n in names]


def _shortened(text: str, length: int = 20) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _xlsx_table(content: bytes, limits: Limits) -> list[list]:
    _check_zip(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportRefused(_("The file is not a readable .xlsx workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        table = []
        for row in sheet.iter_rows():
            if len(table) > limits.max_rows:
                raise ImportRefused(_("More than %(n)d rows.", n=limits.max_rows))
            table.append([_cell_text(cell) for cell in row])
        return table
    finally:
        book.close()


def _cell_text(cell) -> str:
    if cell.data_type == "f":
        return "=FORMULA"  # reported per row below; never evaluated
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_zip(content: bytes, limits: Limits) -> None:
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
                raise ImportRefused(_("The workbook unpacks to an unsafe size; it is refused."))


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
    table = []
    try:
        for row in csv.reader(io.StringIO(text), strict=True):
            if len(table) > limits.max_rows:
                raise ImportRefused(_("More than %(n)d rows.", n=limits.max_rows))
            table.append(row)
    except csv.Error as exc:  # a cell past the csv module's limit, a stray or unclosed quote
        raise ImportRefused(
            _(
                "Line %(n)d cannot be read: a cell is far too long or a quote is not closed.",
                n=len(table) + 1,
            )
        ) from exc
    return table


# --- validating ------------------------------------------------------------------------


def parse_member(row: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
    """A row's values as Member fields, and (column header, message) for each problem."""
    errors: list[tuple[str, str]] = []
    data: dict = {}
    header = {c.field: c.header for c in COLUMNS}

    def fail(field: str, message: str) -> None:
        errors.append((header[field], message))

    for field, text in row.items():
        if text.startswith(FORMULA_STARTS):
            fail(field, _("Formulas are not accepted; enter the value itself."))
        elif has_control_characters(text) or has_broken_characters(text):
            fail(field, _("Remove the control or broken characters."))
        elif len(text) > MAX_LENGTH[field]:
            fail(field, _("At most %(n)d characters.", n=MAX_LENGTH[field]))
        data[field] = text or None
    if errors:  # a formula row is refused as it stands; its other checks would only echo it
        return data, errors
    if not data.get("name"):
        fail("name", _("The name is required."))
    phone, email = data.get("phone"), data.get("email")
    if not phone and not email:
        fail("phone", _("Give a phone number or an e-mail address."))
    if phone and not PHONE.match(phone):
        fail("phone", _("Not a mobile or landline number."))
    if email:
        if not EMAIL.match(email) or len(email) > 120:
            fail("email", _("Not an e-mail address."))
        data["email"] = email.lower()
    _parse_choice(data, "title", TITLE_WORDS, fail, _("Use 无, 初级, 中级, 副高级 or 正高级."))
    _parse_choice(data, "gender", GENDER_WORDS, fail, _("Use 男 or 女, or leave it empty."))
    _parse_year(data, fail)
    _parse_date(data, fail)
    flag = (data.get("in_cast_society") or "").lower()
    if flag in YES:
        data["in_cast_society"] = True
    elif flag in NO:
        data["in_cast_society"] = False
    else:
        fail("in_cast_society", _("Use 是 or 否."))
    if not errors:
        status = eligibility(data["in_cast_society"], data["title"], data.get("exception_reason"))
        if status is Eligibility.NOT_ELIGIBLE:
            fail("exception_reason", _("Not eligible: give the reason for an exception."))
    return data, errors


def _parse_choice(data, field, words, fail, message) -> None:
    text = data.get(field)
    if field == "title" and not text:
        data[field] = ProfessionalTitle.NONE.value
    elif text:
        if text not in words:
            fail(field, message)
        else:
            data[field] = str(words[text])


def _parse_year(data, fail) -> None:
    text = data.get("birth_year")
    if text:
        if not text.isdigit() or not 1930 <= int(text) <= date.today().year - 16:
            fail("birth_year", _("Give a four-digit year of birth."))
        else:
            data["birth_year"] = int(text)


def _parse_date(data, fail) -> None:
    text = data.get("joined_on")
    if not text:
        data.pop("joined_on", None)
        return
    try:
        data["joined_on"] = date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError:
        fail("joined_on", _("Write the date as 2024-09-01."))


# --- writing ---------------------------------------------------------------------------


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula is written with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([v.isoformat() if isinstance(v, date) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8 Chinese


def template_xlsx() -> bytes:
    return to_xlsx([c.header for c in COLUMNS], [[c.example for c in COLUMNS]])
