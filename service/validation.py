"""Formats shared by web forms and API schemas, so both accept exactly the same input."""

from __future__ import annotations

import re
from datetime import date

from marshmallow import ValidationError as SchemaError
from marshmallow import fields
from wtforms import DateField as FormDateField
from wtforms import IntegerField as FormIntegerField
from wtforms import ValidationError as FormError
from wtforms.validators import NumberRange

from service.i18n import lazy_gettext as _l

# Ids (and every integer column) are BIGINT on PostgreSQL (tenants.db.BIGINT, migration
# 0030), and no table holds more rows than an id can number: a larger integer in a URL, a
# query or a body is no row and no page, never a database error.
ID_MAX = 2**63 - 1

# A mainland mobile number, or a landline with its area code (010-12345678). ASCII digits
# only: Python's \d also matches full-width and other scripts' digits.
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"

# Every date the service records (founding, congresses, meetings, terms, joining) lies in
# this range; a year 1000 or 9999 is a typing error, not a record.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
DATE_RANGE_MESSAGE = _l("Enter a date between 1900 and 2100.")
NUMBER_RANGE_MESSAGE = _l("Enter a whole number between 0 and %(max)d.", max=ID_MAX)

# NUL and the other C0/C1 controls (tab and line breaks excepted), and the bidirectional
# overrides and isolates that make text display in an order other than it is stored.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# A lone surrogate (JSON's "\ud800" escape) cannot be stored or encoded as UTF-8, and U+FFFD
# is what a form field's invalid UTF-8 bytes decode to: either way the text is broken.
BROKEN_CHARACTERS = re.compile("[\ud800-\udfff\ufffd]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def has_broken_characters(text: str) -> bool:
    return BROKEN_CHARACTERS.search(text) is not None


def has_stray_cells(fields: list, cells: list | tuple) -> bool:
    """A value under no heading: past the last one, or under a blank one. Refused, not
    silently dropped (a shifted row would otherwise import into the wrong columns)."""
    return any(
        str(cell).strip()
        for i, cell in enumerate(cells)
        if cell is not None and (i >= len(fields) or fields[i] is None)
    )


class PlausibleDate(fields.Date):
    """An API date within DATE_MIN..DATE_MAX."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        result = super()._deserialize(value, attr, data, **kwargs)
        if not DATE_MIN <= result <= DATE_MAX:
            raise SchemaError(str(DATE_RANGE_MESSAGE))
        return result


class DateField(FormDateField):
    """A form date within DATE_MIN..DATE_MAX."""

    def pre_validate(self, form) -> None:
        super().pre_validate(form)
        if self.data is not None and not DATE_MIN <= self.data <= DATE_MAX:
            raise FormError(DATE_RANGE_MESSAGE)


class IntegerField(FormIntegerField):
    """A form integer held to 0..ID_MAX unless its validators give a range with both ends:
    whatever it counts ends in a BIGINT column, where a larger number is an error."""

    def pre_validate(self, form) -> None:
        super().pre_validate(form)
        bounded = any(
            isinstance(v, NumberRange) and v.min is not None and v.max is not None
            for v in self.validators
        )
        if self.data is not None and not bounded and not 0 <= self.data <= ID_MAX:
            raise FormError(NUMBER_RANGE_MESSAGE)


def bounded_page(page: int, per_page: int) -> int:
    """`page` (1-based) clamped to the pages any table could have. A page past the last
    row is empty either way; beyond this one, its OFFSET would overflow the database's."""
    return max(1, min(page, ID_MAX // per_page))
