"""What an import fills: a model's fields, each with the headers secretariats give it and
the kind of value it holds; and the suggestion of a field for each column of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.imports import normalise

# Columns a roster has that are nobody's field: ignored unless the secretary maps them.
IGNORED_HEADERS = ("序号", "编号", "备注", "说明", "备考", "No.", "NO", "No")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{9,11})$")


@dataclass(frozen=True)
class Field:
    name: str  # the model's attribute
    header: str  # the template's heading
    kind: str  # text, name, phone, email, year, date, title, gender, flag, societies
    aliases: tuple[str, ...] = ()
    max_length: int = 100
    required: bool = False


def header_key(text: str) -> str:
    """A heading as compared: NFKC, no spaces, no trailing * (required marks)."""
    return re.sub(r"\s+", "", normalise.text(text)).rstrip("*")


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written
    field: str | None  # None: ignored
    how: str  # template, saved, alias, values, ignored, unknown

    @property
    def known(self) -> bool:
        """Mapped without guessing: the template's heading or the association's own."""
        return self.how in ("template", "saved")


def suggest(
    headers: list[str],
    samples: list[list],
    fields: tuple[Field, ...],
    saved: dict[str, str],
) -> list[Column]:
    """A field (or none) for each column: the association's saved choice for this heading,
    the template's heading, a known alias, a heading that contains one, then the values
    (phones, e-mails). A field is given to one column only."""
    taken: set[str] = set()
    by_header = {header_key(f.header): f.name for f in fields}
    aliases = {header_key(a): f.name for f in fields for a in f.aliases}
    ignored = {header_key(h) for h in IGNORED_HEADERS}
    columns: list[Column | None] = [None] * len(headers)

    def give(index: int, field: str | None, how: str) -> None:
        if field is not None:
            taken.add(field)
        columns[index] = Column(index, headers[index], field, how)

    keys = [header_key(h) for h in headers]
    for i, key in enumerate(keys):  # exact matches first, so a fuzzy one never takes theirs
        if not key:
            continue
        if key in saved and (saved[key] == "" or saved[key] not in taken):
            give(i, saved[key] or None, "saved")
        elif key in by_header and by_header[key] not in taken:
            give(i, by_header[key], "template")
        elif key in aliases and aliases[key] not in taken:
            give(i, aliases[key], "alias")
        elif key in ignored:
            give(i, None, "ignored")
    for i, key in enumerate(keys):
        if columns[i] is not None or not key:
            continue
        inside = [(len(a), f) for a, f in aliases.items() if len(a) >= 2 and a in key]
        inside += [(len(h), f) for h, f in by_header.items() if h in key]
        inside = [(n, f) for n, f in inside if f not in taken]
        if inside:
            give(i, max(inside)[1], "alias")
    for i in range(len(headers)):
        if columns[i] is None:
            guessed = _by_values([row[i] for row in samples if i < len(row)], taken, fields)
            give(i, guessed, "values" if guessed else "unknown")
    return [c for c in columns if c is not None]


def _by_values(values: list, taken: set[str], fields: tuple[Field, ...]) -> str | None:
    texts = [t for t in (normalise.text(v) for v in values) if t]
    if len(texts) < 2:
        return None
    for kind, test in (
        ("email", lambda t: _EMAIL.match(normalise.email(t))),
        ("phone", lambda t: _PHONE.match(normalise.phone(t))),
    ):
        candidates = [f.name for f in fields if f.kind == kind and f.name not in taken]
        if candidates and sum(1 for t in texts if test(t)) >= 0.8 * len(texts):
            return candidates[0]
    return None
