"""The review page of an import (of any kind): the report shown bad rows first, the secretary's
mapping, fixes and exclusions taken from the page, the rejected rows in the file's layout,
and the association's own job-title words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.datastructures import MultiDict

from service.errors import RuleBroken
from service.i18n import gettext as _
from service.imports import services as imports
from service.imports.fields import Field
from service.imports.titles import SEEDED
from service.members import importing
from service.members.importing import MEMBER_FIELDS
from service.members.models import TITLE_LABELS, MemberImport

if TYPE_CHECKING:  # hints only: the engine's sheets and words are kept through its services
    from service.imports.models import ImportSheet, TitleWord

# Rows drawn in the page; the report download has every row, and the page says how many more.
SHOWN_BAD, SHOWN_GOOD = 1000, 200
ORDER = {"bad": 0, "changed": 1, "new": 2, "same": 3, "excluded": 4}


class ReviewRefused(RuleBroken):
    """The page's fields do not make a mapping or a fix (a field chosen twice, a row that
    is not in the file)."""


@dataclass
class ReviewView:
    report: dict
    rows: list[dict]  # bad rows first, then changed, new, unchanged, excluded (all keys set)
    hidden: int  # rows not drawn


REPORT_DEFAULTS = {
    "header_row": None,
    "above": [],
    "footer": None,
    "after_footer": 0,
    "columns": [],
    "unmapped": [],
    "rows": [],
    "counts": None,
}


def view_of(report: dict) -> ReviewView:
    report = {**REPORT_DEFAULTS, **report}
    rows = sorted(report["rows"], key=lambda r: (ORDER[r["state"]], r["n"]))
    shown, bad, good = [], 0, 0
    for row in rows:
        if row["state"] in ("bad", "excluded"):
            bad += 1
            if bad <= SHOWN_BAD:
                shown.append(row)
        else:
            good += 1
            if good <= SHOWN_GOOD:
                shown.append(row)
    return ReviewView(report, shown, len(rows) - len(shown))


def field_choices(fields: tuple[Field, ...] = MEMBER_FIELDS) -> list[tuple[str, str]]:
    return [("", _("(ignore this column)"))] + [(f.name, f.header) for f in fields]


def apply(
    sheet: ImportSheet,
    form: MultiDict,
    mode: str,
    on_match: str,
    fields: tuple[Field, ...] = MEMBER_FIELDS,
) -> None:
    """The page's mapping, fixed cells and excluded rows, onto the sheet."""
    report = sheet.report or {}
    columns = report.get("columns", [])
    known = {f.name for f in fields}
    mapping: dict[str, str] = {}
    for column in columns:
        chosen = form.get(f"map-{column['index']}", column["field"])
        if chosen and chosen not in known:
            raise ReviewRefused(_("Choose a field from the list."))
        if chosen and chosen in mapping.values():
            raise ReviewRefused(_("Each field can be given to one column only."))
        mapping[str(column["index"])] = chosen
    rows = {r["n"]: r for r in report.get("rows", [])}
    edits = dict(sheet.edits or {})
    for key, value in form.items():
        if not key.startswith("cell-"):
            continue
        try:
            _cell, number, index = key.split("-")
            row, index = rows[int(number)], int(index)
            before = row["cells"][index]
        except (ValueError, KeyError, IndexError) as exc:
            raise ReviewRefused(_("The page is out of date; open the import again.")) from exc
        if value != before:
            edits[f"{int(number)}:{index}"] = value[:500]
    excluded = set()
    for value in form.getlist("exclude"):
        if not value.isdigit() or int(value) not in rows:
            raise ReviewRefused(_("The page is out of date; open the import again."))
        excluded.add(int(value))
    sheet.mapping = mapping
    sheet.edits = edits
    sheet.excluded = sorted(excluded)
    sheet.mode = mode
    sheet.on_match = on_match


def resubmit(
    upload: MemberImport, form: MultiDict, mode: str, on_match: str, action: str | None
) -> None:
    """The secretary's choices onto the upload's sheet, and the upload queued again: to be
    checked once more, or written when `action` is "commit". Refused (ReviewRefused)
    before anything is changed when the page's fields do not make sense."""
    sheet = importing.sheet_of(upload)
    apply(sheet, form, mode, on_match, importing.spec_of(upload).fields)
    sheet.stage = "commit" if action == "commit" else "check"
    upload.status = "queued"


def rejected(report: dict) -> tuple[list[str], list[list[str]]]:
    """The file's headings and its rows with problems, as written, to fix and upload again."""
    header = [c["header"] for c in report.get("columns", [])]
    rows = [r["cells"] for r in report.get("rows", []) if r["state"] == "bad"]
    return header, rows


def title_words() -> tuple[list[TitleWord], dict[str, list[str]]]:
    """The association's own words, and the seeded words by level (those it has not changed)."""
    own = imports.own_title_words()
    changed = {w.word for w in own}
    seeded: dict[str, list[str]] = {level.value: [] for level in TITLE_LABELS}
    for word, level in SEEDED.items():
        if word not in changed:
            seeded[level.value].append(word)
    return own, seeded


def set_title_word(word: str, level: str) -> None:
    word = word.strip().replace(" ", "")
    imports.set_title_word(word, level)
