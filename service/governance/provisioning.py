"""Bulk provisioning: an operator onboards a province's associations from a spreadsheet.

All or nothing: every row is checked first, and one bad row means nothing is created. The
report says, row by row, what is wrong or what was created.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from service.associations.models import AssociationProfile
from service.federation import categories
from service.governance.jobs import recompute_findings
from service.governance.models import Establishment, LifecycleChange
from service.imports.reading import Formula, ImportRefused, Limits, UnsafeWorkbook, read_table
from service.jobs import JobsUnavailable, enqueue
from service.validation import (
    PHONE_PATTERN,
    has_broken_characters,
    has_control_characters,
    has_stray_cells,
)
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import Scope, system_scope, use_scope

log = logging.getLogger(__name__)

# Column header (Chinese as clerks write it, or the English key) -> field.
COLUMNS = {
    "省份代码": "federation_code",
    "高校名称": "university_name",
    "高校类型": "category",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "联系邮箱": "contact_email",
    "批准日期": "approved_on",
    "批准文号": "document_number",
    "承认章程日期": "charter_accepted_on",
}
HEADER_OF = {field: header for header, field in COLUMNS.items()}
# An association is named after its university: "<university>科学技术协会", in 200 characters.
NAME_MAX = Association.name.type.length
UNIVERSITY_MAX = NAME_MAX - len("科学技术协会")
# The longest text each free-text column may hold (its column in the tables it fills).
TEXT_MAX = {
    "contact_name": AssociationProfile.contact_name.type.length,
    "contact_email": AssociationProfile.contact_email.type.length,
    "document_number": Establishment.document_number.type.length,
}
REQUIRED = ("federation_code", "university_name", "category", "approved_on", "document_number")
MAX_ROWS = 2000
MAX_BYTES = 10 * 2**20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class RowReport:
    number: int  # the spreadsheet's row number, as the clerk sees it
    university: str
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[RowReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    created: int = 0
    created_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(not r.errors for r in self.rows)


def read_rows(stream: IO[bytes]) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The data rows of the first sheet as (row number, {field: value}), or file problems.
    Read by the import engine's reader: a zip bomb is refused before any XML is parsed, and
    formulas are read as formulas (refused per row), never as their cached values."""
    not_a_workbook = str(_l("The file is not an Excel workbook (.xlsx)."))
    content = stream.read(MAX_BYTES + 1)
    try:
        table = read_table("provisioning.xlsx", content, Limits(MAX_BYTES, MAX_ROWS))
    except UnsafeWorkbook as unsafe:
        return [], [str(unsafe)]
    except ImportRefused:
        return [], [not_a_workbook]
    rows = _table(table)
    if isinstance(rows, str):
        return [], [rows]
    return rows, []


def _table(table: list[list]) -> list[tuple[int, dict[str, Any]]] | str:
    """The rows under the first row's headings, or what is wrong with the sheet."""
    header = table[0] if table else []
    names = [COLUMNS.get(str(h).strip(), str(h).strip()) if h else None for h in header]
    missing = [h for h, f in COLUMNS.items() if f in REQUIRED and f not in names]
    if missing:
        return str(_l("Columns missing: %(columns)s", columns="、".join(missing)))
    out = []
    for number, values in enumerate(table[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        if has_stray_cells(names, values):
            return str(_l("Row %(n)d has a value in a column without a heading.", n=number))
        out.append((number, {n: v for n, v in zip(names, values, strict=False) if n}))
        if len(out) > MAX_ROWS:
            return str(_l("At most %(n)d rows at a time.", n=MAX_ROWS))
    if not out:
        return str(_l("The sheet has no rows to import."))
    return out


def _categories(federation_id: int) -> dict[str, str]:
    """The federation's category codes, by code and by name."""
    codes = categories.labels(federation_id)
    return {**{name: code for code, name in codes.items()}, **{code: code for code in codes}}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


def check(rows: list[tuple[int, dict[str, Any]]]) -> tuple[Report, list[dict]]:
    """Every row's problems, and the clean values of every row."""
    federations = {
        f.code: f for f in db.session.scalars(sa.select(Federation))
    }  # the directory of provinces, not tenant data
    existing = {
        tuple(row)
        for row in db.session.execute(sa.select(Association.federation_id, Association.name))
    }
    seen = set()
    report, clean = Report(), []
    for number, raw in rows:
        university = _text(raw.get("university_name"))
        row = RowReport(number, university)
        federation = federations.get(_text(raw.get("federation_code")))
        category = (
            _categories(federation.id).get(_text(raw.get("category"))) if federation else None
        )
        approved_on = _as_date(raw.get("approved_on"))
        phone, email = _text(raw.get("contact_phone")), _text(raw.get("contact_email"))
        name = f"{university}科学技术协会"
        if federation is None:
            row.errors.append(str(_l("Unknown province code.")))
        if not university or len(name) > NAME_MAX:
            row.errors.append(
                str(_l("Give the university's name (at most %(n)d characters).", n=UNIVERSITY_MAX))
            )
        elif federation and (federation.id, name) in existing:
            row.errors.append(str(_l("This university already has an association.")))
        elif (_text(raw.get("federation_code")), university) in seen:
            row.errors.append(str(_l("The university appears twice in the file.")))
        if category is None:
            row.errors.append(str(_l("Unknown university category.")))
        if approved_on is None:
            row.errors.append(str(_l("The approval date must be a date such as 2024-05-30.")))
        charter = raw.get("charter_accepted_on")
        charter_on = _as_date(charter) if _text(charter) else None
        if _text(charter) and charter_on is None:
            row.errors.append(str(_l("The charter date must be a date such as 2024-05-30.")))
        if not _text(raw.get("document_number")):
            row.errors.append(str(_l("Give the approval's document number.")))
        if phone and not re.match(PHONE_PATTERN, phone):
            row.errors.append(str(_l("Enter a mobile number or a landline such as 010-12345678.")))
        if email and not _EMAIL.match(email):
            row.errors.append(str(_l("The e-mail address is not valid.")))
        row.errors += _text_problems(raw)
        seen.add((_text(raw.get("federation_code")), university))
        report.rows.append(row)
        if not row.errors:
            clean.append(
                {
                    "federation": federation,
                    "name": name,
                    "university": university,
                    "category": category,
                    "contact_name": _text(raw.get("contact_name")) or None,
                    "contact_phone": phone or None,
                    "contact_email": email or None,
                    "approved_on": approved_on,
                    "charter_accepted_on": charter_on,
                    "document_number": _text(raw.get("document_number")),
                }
            )
    return report, clean


def _text_problems(raw: dict[str, Any]) -> list[str]:
    """Cells too long for their column, or holding control or broken characters."""
    problems = []
    for name, limit in TEXT_MAX.items():
        if len(_text(raw.get(name))) > limit:
            problems.append(
                str(_l("%(column)s: at most %(n)d characters.", column=HEADER_OF[name], n=limit))
            )
    for name, header in HEADER_OF.items():
        if isinstance(raw.get(name), Formula):
            problems.append(
                str(
                    _l(
                        "%(column)s: formulas are not accepted; enter the value itself.",
                        column=header,
                    )
                )
            )
            continue
        text = _text(raw.get(name))
        if has_control_characters(text) or has_broken_characters(text):
            problems.append(
                str(
                    _l(
                        "%(column)s: remove the control or broken characters.",
                        column=header,
                    )
                )
            )
    return problems


def provision(stream: IO[bytes], actor: str) -> Report:
    """Check the whole file, then create every association in it, or none."""
    rows, problems = read_rows(stream)
    if problems:
        return Report(problems=problems)
    with system_scope("operator provisions associations from a spreadsheet"):
        report, clean = check(rows)
        if not report.ok:
            return report
        report.created_ids = [_create(values, actor) for values in clean]
        db.session.flush()
    report.created = len(clean)
    return report


def _create(values: dict, actor: str) -> int:
    association = Association(
        federation_id=values["federation"].id, name=values["name"], status="active"
    )
    db.session.add(association)
    db.session.flush()
    tid = association.id
    db.session.add_all(
        [
            AssociationProfile(
                tenant_id=tid,
                university_name=values["university"],
                category=values["category"],
                contact_name=values["contact_name"],
                contact_phone=values["contact_phone"],
                contact_email=values["contact_email"],
                founded_on=values["approved_on"],
            ),
            Establishment(
                tenant_id=tid,
                charter_accepted_on=values["charter_accepted_on"],
                approved_on=values["approved_on"],
                approved_by_federation_id=values["federation"].id,
                document_number=values["document_number"],
            ),
            LifecycleChange(
                tenant_id=tid,
                from_status="applying",
                to_status="active",
                reason=str(_l("Provisioned from a spreadsheet by the platform operator.")),
                actor=actor,
            ),
        ]
    )
    return tid


def queue_first_findings(association_ids: list[int]) -> None:
    """After the commit: each new association's findings, so that the province's list shows
    them at once (as after an approval), each job in its own association's scope."""
    for association_id in association_ids:
        try:
            with use_scope(Scope.association(association_id)):
                enqueue(recompute_findings, association_id)
        except JobsUnavailable:
            log.warning("first findings of association %s not queued", association_id)
            return  # the daily recompute computes them
