"""Bulk provisioning: an operator onboards a province's associations from a spreadsheet.

All or nothing: every row is checked first, and one bad row means nothing is created. The
report says, row by row, what is wrong or what was created.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import IO

import sqlalchemy as sa

from service.associations import services as associations
from service.federation import categories
from service.governance.jobs import recompute_findings
from service.governance.models import Establishment, LifecycleChange
from service.i18n import lazy_gettext as _l
from service.imports.engine import Context, Row, check_rows
from service.imports.fields import Field, suggest
from service.imports.reading import ImportRefused, Limits, UnsafeWorkbook, read_table
from service.imports.table import locate
from service.jobs import JobsUnavailable, enqueue_refresh
from service.validation import PHONE_PATTERN
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import Scope, system_scope, use_scope

log = logging.getLogger(__name__)

# An association is named after its university: "<university>科学技术协会", in 200 characters.
NAME_MAX = Association.name.type.length
UNIVERSITY_MAX = NAME_MAX - len("科学技术协会")
# The columns of the template, with the headings offices write instead; the field names
# (federation_code…) are accepted as headings too.
FIELDS = (
    Field("federation_code", "省份代码", "text", ("省份", "所属省份", "省份编码"), 20, True),
    Field(
        "university_name",
        "高校名称",
        "text",
        ("学校名称", "高校", "学校", "大学名称", "单位名称"),
        UNIVERSITY_MAX,
        True,
    ),
    Field("category", "高校类型", "text", ("学校类型", "高校类别", "办学类型", "类别"), 50, True),
    Field(
        "contact_name",
        "联系人",
        "name",
        ("联系人姓名", "科协联系人"),
        associations.contact_length("contact_name"),
    ),
    Field("contact_phone", "联系电话", "phone", ("电话", "手机", "手机号码", "联系方式"), 30),
    Field(
        "contact_email",
        "联系邮箱",
        "email",
        ("邮箱", "电子邮箱", "电子邮件", "E-mail"),
        associations.contact_length("contact_email"),
    ),
    Field("approved_on", "批准日期", "date", ("批准成立日期", "成立日期", "批准时间"), 10, True),
    Field(
        "document_number",
        "批准文号",
        "text",
        ("文号", "批复文号", "批准文件号"),
        Establishment.document_number.type.length,
        True,
    ),
    Field("charter_accepted_on", "承认章程日期", "date", ("章程承认日期", "承认章程时间"), 10),
)
FIELDS = tuple(
    Field(f.name, f.header, f.kind, (*f.aliases, f.name), f.max_length, f.required) for f in FIELDS
)
COLUMNS = {f.header: f.name for f in FIELDS}
HEADER_OF = {f.name: f.header for f in FIELDS}
REQUIRED = tuple(f.name for f in FIELDS if f.required)
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


def read_rows(stream: IO[bytes]) -> tuple[list[Row], list[str]]:
    """The association rows of the first sheet, read by the import engine, or what is
    wrong with the file. Title rows above the heading and footers below are skipped, the
    headings offices write are mapped, and values are normalised (full-width digits, +86
    phones, dates such as 2024.5.30 or Excel's); a zip bomb is refused before any XML is
    parsed, and a formula is a problem of its row, never read as its cached value."""
    content = stream.read(MAX_BYTES + 1)
    try:
        table = read_table("provisioning.xlsx", content, Limits(MAX_BYTES, MAX_ROWS))
    except UnsafeWorkbook as unsafe:
        return [], [str(unsafe)]
    except ImportRefused:
        return [], [str(_l("The file is not an Excel workbook (.xlsx)."))]
    located = locate(table, FIELDS)
    samples = [cells for _n, cells in located.body[:50]]
    columns = suggest(located.headers, samples, FIELDS, saved={})
    mapped = {c.field for c in columns if c.field}
    missing = [f.header for f in FIELDS if f.required and f.name not in mapped]
    if missing:
        return [], [str(_l("Columns missing: %(columns)s", columns="、".join(missing)))]
    if not located.body:
        return [], [str(_l("The sheet has no rows to import."))]
    if len(located.body) > MAX_ROWS:
        return [], [str(_l("At most %(n)d rows at a time.", n=MAX_ROWS))]
    return check_rows(located.body, columns, FIELDS, Context(titles={})), []


def _problem(column: str, value: str, message: str) -> str:
    """An engine problem as the report says it: the column, what is wrong, what was written."""
    if not value:
        return str(_l("%(column)s: %(message)s", column=column, message=message))
    return str(
        _l(
            "%(column)s: %(message)s (written: %(value)s)",
            column=column,
            message=message,
            value=value,
        )
    )


def _categories(federation_id: int) -> dict[str, str]:
    """The federation's category codes, by code and by name."""
    codes = categories.labels(federation_id)
    return {**{name: code for code, name in codes.items()}, **{code: code for code in codes}}


def check(rows: list[Row]) -> tuple[Report, list[dict]]:
    """Every row's problems (the engine's, then the directory's), and the clean values of
    every row."""
    federations = {}  # the directory of provinces, not tenant data: by code and by name
    for federation in db.session.scalars(sa.select(Federation)):
        federations[federation.code] = federations[federation.name] = federation
    existing = {
        tuple(row)
        for row in db.session.execute(sa.select(Association.federation_id, Association.name))
    }
    seen = set()
    report, clean = Report(), []
    for row in rows:
        values = row.values
        university = values.get("university_name") or ""
        report_row = RowReport(
            row.number, university or row.cells[row.column_index["university_name"]]
        )
        errors = report_row.errors
        errors += [_problem(*problem) for problem in row.problems]
        failed = {problem[0] for problem in row.problems}
        federation = federations.get(values.get("federation_code") or "")
        category = (
            _categories(federation.id).get(values.get("category") or "") if federation else None
        )
        name = f"{university}科学技术协会"
        if federation is None and HEADER_OF["federation_code"] not in failed:
            errors.append(str(_l("Unknown province code.")))
        if not university and HEADER_OF["university_name"] not in failed:
            errors.append(
                str(_l("Give the university's name (at most %(n)d characters).", n=UNIVERSITY_MAX))
            )
        elif federation and (federation.id, name) in existing:
            errors.append(str(_l("This university already has an association.")))
        elif federation and (federation.id, university) in seen:
            errors.append(str(_l("The university appears twice in the file.")))
        if category is None and HEADER_OF["category"] not in failed:
            errors.append(str(_l("Unknown university category.")))
        if values.get("approved_on") is None and HEADER_OF["approved_on"] not in failed:
            errors.append(str(_l("The approval date must be a date such as 2024-05-30.")))
        if not values.get("document_number") and HEADER_OF["document_number"] not in failed:
            errors.append(str(_l("Give the approval's document number.")))
        phone, email = values.get("contact_phone"), values.get("contact_email")
        if phone and not re.match(PHONE_PATTERN, phone):
            errors.append(
                _problem(
                    HEADER_OF["contact_phone"],
                    phone,
                    str(_l("Enter a mobile number or a landline such as 010-12345678.")),
                )
            )
        if email and not _EMAIL.match(email):
            errors.append(
                _problem(
                    HEADER_OF["contact_email"], email, str(_l("The e-mail address is not valid."))
                )
            )
        if federation:
            seen.add((federation.id, university))
        report.rows.append(report_row)
        if not errors:
            clean.append(
                {
                    "federation": federation,
                    "name": name,
                    "university": university,
                    "category": category,
                    "contact_name": values.get("contact_name"),
                    "contact_phone": phone,
                    "contact_email": email,
                    "approved_on": values["approved_on"],
                    "charter_accepted_on": values.get("charter_accepted_on"),
                    "document_number": values["document_number"],
                }
            )
    return report, clean


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
    associations.add_profile(
        tid,
        university_name=values["university"],
        category=values["category"],
        contact_name=values["contact_name"],
        contact_phone=values["contact_phone"],
        contact_email=values["contact_email"],
        founded_on=values["approved_on"],
    )
    db.session.add_all(
        [
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
    """Each new association's findings, computed once the associations are committed, so
    that the province's list shows them at once (as after an approval), each job in its own
    association's scope. With the queue unreachable the associations still stand: the daily
    recompute computes their findings."""
    for association_id in association_ids:
        try:
            with use_scope(Scope.association(association_id)):
                enqueue_refresh(recompute_findings, association_id)
        except JobsUnavailable:
            log.warning("first findings of association %s not queued", association_id)
            return  # the daily recompute computes them
