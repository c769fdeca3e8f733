"""Values as secretariats write them, made into what the fields hold: full-width digits,
phones with +86 and dashes, Excel dates and 1978.05, e-mails in capitals, middle dots.

Each function takes a cell value (str, int, float, datetime) and returns the normalised
value, or raises `Unreadable` with what is expected.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from service.i18n import gettext as _


class Unreadable(ValueError):
    """The value cannot be read as the field's kind; the message says what is expected."""


_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year)
_SPACES = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）.·]")
_MIDDLE_DOTS = re.compile("[•‧∙⋅・･●．]")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_YEAR_MONTH = re.compile(
    r"^(\d{2}|\d{4})\s*[.\-/年]\s*(\d{1,2})\s*(?:[.\-/月]\s*(\d{1,2})?\s*日?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def text(value: object) -> str:
    """A cell as text: full-width letters and digits made ASCII (NFKC), trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value)
    return (unicodedata.normalize("NFKC", raw) if not raw.isascii() else raw).strip()


def written(value: object) -> str:
    """A cell as the clerk typed it, for reports: no normalisation at all."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(" ")
    return str(value)


def name(value: object) -> str:
    """Middle dots of every kind as ·, and the spaces padding a two-character name gone."""
    result = _MIDDLE_DOTS.sub("·", text(value))
    return _CJK_GAP.sub("", _SPACES.sub(" ", result))


def phone(value: object) -> str:
    digits = _PHONE_SEPARATORS.sub("", text(value))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits


def email(value: object) -> str:
    return _SPACES.sub("", text(value)).lower()


def year(value: object) -> int:
    """A year of birth from a year, an Excel date or serial, 1978.05, 1978年5月, 1978-5, 78.05."""
    return _as_date(value, two_digit_years=True).year


def day(value: object) -> date:
    """A date from an Excel date or serial, 2024-09-01, 2024/9/1, 2024年9月1日, 20240901;
    a month alone (2024.09) is its first day."""
    return _as_date(value, two_digit_years=False)


def _as_date(value: object, two_digit_years: bool) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Unreadable(_("a date"))
    if isinstance(value, int | float):
        number = float(value)
        if 1900 <= number < 2101:  # 1978, or 1978.05 typed as a number (1978.1 is October)
            month = round((number - int(number)) * 100) or 1
            return date(int(number), month if month <= 12 else 1, 1)
        if 1 <= number < 80_000:  # a date cell read without its format: Excel's serial
            return _EXCEL_EPOCH + timedelta(days=int(number))
        raise Unreadable(_("a date"))
    cleaned = text(value).replace(" ", "").removesuffix("年")
    if not cleaned:
        raise Unreadable(_("a date"))
    if cleaned.isdigit():
        if len(cleaned) == 4:
            return date(int(cleaned), 1, 1)
        if len(cleaned) == 5:
            return _as_date(int(cleaned), two_digit_years)
    found = _COMPACT_DATE.match(cleaned) or _YEAR_MONTH.match(cleaned)
    if found:
        y, m, d = found.group(1), found.group(2), found.group(3)
        year = int(y)
        if len(y) == 2:
            if not two_digit_years:
                raise Unreadable(_("a date such as 2024-09-01"))
            year += 1900 if year > date.today().year % 100 else 2000
        try:
            return date(year, int(m), int(d or 1))
        except ValueError as exc:
            raise Unreadable(_("a date such as 2024-09-01")) from exc
    raise Unreadable(_("a date such as 2024-09-01"))


GENDERS = {
    "男": "male",
    "男性": "male",
    "m": "male",
    "女": "female",
    "女性": "female",
    "f": "female",
    "male": "male",
    "female": "female",
}
YES = {"是", "y", "yes", "1", "true", "√", "✓", "有"}
NO = {"否", "n", "no", "0", "false", "×", "✗", "无", "不是"}


def gender(value: object) -> str:
    found = GENDERS.get(text(value).lower())
    if found is None:
        raise Unreadable(_("男 or 女, or empty"))
    return found


def flag(value: object) -> bool:
    word = text(value).lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise Unreadable(_("是 or 否"))


_COUNT = re.compile(r"^(\d+)(?:\.0+)?\s*(?:人次|人|场次|场|次|个|项|家|小时|名)?$")


def count(value: object) -> int:
    """A whole number 0 or more: 120, "1,200", "１２０", "120人", "3场"."""
    if isinstance(value, bool):
        raise Unreadable(_("a whole number, 0 or more"))
    if isinstance(value, int):
        if value < 0:
            raise Unreadable(_("a whole number, 0 or more"))
        return value
    if isinstance(value, float):
        if not value.is_integer() or value < 0:
            raise Unreadable(_("a whole number, 0 or more"))
        return int(value)
    found = _COUNT.match(text(value).replace(",", "").replace(" ", ""))
    if found is None:
        raise Unreadable(_("a whole number, 0 or more"))
    return int(found.group(1))


def choice_key(value: object) -> str:
    """A choice as compared: NFKC, no spaces, lower case."""
    return _SPACES.sub("", text(value)).lower()
