"""The dashboards as xlsx workbooks: the same numbers as the page and the API."""

from __future__ import annotations

from flask import Response
from openpyxl import Workbook

from service.associations import services as associations
from service.audit.services import record_each
from service.federation.metrics import BY_CODE, DASHBOARD_METRICS
from service.governance import compliance
from service.i18n import gettext as _
from service.imports.writing import workbook_bytes
from service.web.downloads import XLSX, download
from tenants.db import db


def _response(workbook: Workbook, name: str) -> Response:
    # Names and labels come from users (associations, categories): none may run as a formula.
    return download(workbook_bytes(workbook), name, XLSX)


def overview(data: dict, category_labels: dict[str, str]) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Overview")
    sheet.append([_("Year"), data["year"]])
    if data.get("category"):
        category = data["category"]
        sheet.append([_("University category"), category_labels.get(category, category)])
    sheet.append([_("Associations"), data["associations"]])
    for status, n in data["by_status"].items():
        sheet.append([str(associations.status_labels()[status]), n])
    sheet.append([_("Universities with an association"), data["coverage"]["with_association"]])
    sheet.append(
        [_("Universities without an association"), data["coverage"]["without_association"]]
    )
    sheet.append([_("Individual members"), data["members"]["individual"]])
    sheet.append([_("Group members"), data["members"]["group"]])
    sheet.append([_("Open problems"), data["open_problems"]])
    rules = {r.code: str(r.label) for r in compliance.RULES}
    findings = book.create_sheet(_("Findings by rule"))
    findings.append([_("Rule"), _("Associations")])
    for rule, n in data["findings_by_rule"].items():
        findings.append([rules[rule], n])
    members = book.create_sheet(_("Members by category"))
    members.append([_("University category"), _("Individual members"), _("Group members")])
    for code, counts in data["members_by_category"].items():
        members.append([category_labels.get(code, code), counts["individual"], counts["group"]])
    tasks = book.create_sheet(_("Activities per task"))
    year = data["year"]
    tasks.append([_("Task"), str(year - 1), str(year)])
    for code, counts in data["activities_by_task"].items():
        tasks.append([str(BY_CODE[code].label), counts["last_year"], counts["this_year"]])
    suffix = f"-{data['category']}" if data.get("category") else ""
    return _response(book, f"overview-{year}{suffix}.xlsx")


def table(rows: list[dict], year: int) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Associations")
    sheet.append(
        [
            _("Association"),
            _("University category"),
            _("Status"),
            _("Compliance"),
            *[str(m.label) for m in DASHBOARD_METRICS],
            _("Health score"),
        ]
    )
    for row in rows:
        sheet.append(
            [
                row["name"],
                row["category_label"],
                str(associations.status_labels()[row["status"]]),
                str(compliance.STATUS_LABELS[compliance.Status(row["compliance"])]),
                *[row["metrics"][m.code] for m in DASHBOARD_METRICS],
                row["health"],
            ]
        )
    return _response(book, f"associations-{year}.xlsx")


#: What an export of the association table held: the rows ticked, or every row of a filter.
CHOSEN, FILTERED = "chosen", "filter"


def logged_table(rows: list[dict], year: int, selection: str) -> Response:
    """The association table's export (`table`), logged in the log of every association
    it names: the federation's own readers see which associations' figures left the
    service, by whom and when; the association itself does not (`audit.visibility`)."""
    changes = {"selection": selection, "rows": len(rows), "format": "xlsx"}
    record_each(
        db.session,
        "export",
        "association_table",
        [
            (r["association_id"], r["association_id"], {"association": r["name"], **changes})
            for r in rows
        ],
    )
    return table(rows, year)


def category(view: dict) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Distribution")
    sheet.append(
        [
            _("Metric"),
            _("Minimum"),
            _("Lower quartile"),
            _("Median"),
            _("Upper quartile"),
            _("Maximum"),
            _("Leaders"),
            _("Laggards"),
        ]
    )
    for metric in view["metrics"]:
        d = metric["distribution"]
        sheet.append(
            [
                metric["label"],
                d["min"],
                d["q1"],
                d["median"],
                d["q3"],
                d["max"],
                "、".join(metric["leaders"]),
                "、".join(metric["laggards"]),
            ]
        )
    rows = book.create_sheet(_("Associations"))
    rows.append([_("Association"), *[str(m.label) for m in DASHBOARD_METRICS], _("Health score")])
    for a in view["associations"]:
        rows.append([a["name"], *[a["metrics"][m.code] for m in DASHBOARD_METRICS], a["health"]])
    return _response(book, f"category-{view['category']}-{view['year']}.xlsx")
