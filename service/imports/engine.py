"""One pass over a located table: each row's cells as written, its values normalised for the
mapped fields, what normalising changed, and every problem with the value as written and
what is expected. Whatever a model checks across fields, its importer checks after."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from service.i18n import gettext as _
from service.imports import normalise
from service.imports.fields import Column, Field
from service.imports.reading import Formula
from service.imports.titles import LEVEL_TEXT, Level, level_of
from service.validation import has_broken_characters, has_control_characters

# A cell as written is kept this long in the report (any field's limit is below it).
MAX_WRITTEN = 1000


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file is read and checked: the table's
    hundreds of thousands of cells are live all along, and each full collection would walk
    them all again for nothing (a third of an import's time). Cycles made meanwhile are
    collected once it is back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Row:
    number: int
    cells: list[str]  # every column of the file, as written (edits applied)
    values: dict = field(default_factory=dict)
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # column, before, after
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # column, value, message
    excluded: bool = False
    member: int | None = None  # the existing record the row matches, if any
    diff: list[tuple[str, str, str]] = field(default_factory=list)  # column, old, new
    # Shared by every row of a file: each mapped field's column heading and index.
    column_headers: dict[str, str] = field(default_factory=dict)
    column_index: dict[str, int] = field(default_factory=dict)

    def fail(self, column: str, value: str, message: str) -> None:
        self.problems.append((column, value, message))

    def column(self, field: str) -> str:
        """The field's column heading in this file (the template's when it is not mapped)."""
        return self.column_headers.get(field, field)

    def written(self, field: str) -> str:
        """The field's cell as written, or "" when no column is mapped to it."""
        index = self.column_index.get(field)
        return self.cells[index] if index is not None else ""

    def failed(self, field: str) -> bool:
        return any(p[0] == self.column(field) for p in self.problems)

    def fail_field(self, field: str, message: str) -> None:
        """A problem with a field, named by its column and the value as written."""
        self.fail(self.column(field), self.written(field), message)


@dataclass(frozen=True)
class Context:
    titles: dict[str, Level]
    societies: tuple[str, ...] = ()
    # For each field of kind "choice": the words a file may write (labels in Chinese and
    # English, and the values themselves), each to its value.
    choices: dict[str, dict[str, str]] = field(default_factory=dict)


def _reader(spec: Field, context: Context) -> Callable[[object], object]:
    """What turns a cell into the field's value (raising `Unreadable`)."""
    kind = spec.kind
    if kind == "choice":
        words = {normalise.choice_key(w): v for w, v in context.choices.get(spec.name, {}).items()}

        def choice(value: object) -> str:
            key = normalise.choice_key(value)
            found = words.get(key)
            if found is None and len(key) >= 3:  # 跨院系交流 for 跨院系学术交流, if only one fits
                near = {v for w, v in words.items() if _shortened(key, w)}
                found = near.pop() if len(near) == 1 else None
            if found is None:
                raise normalise.Unreadable(_("one of the choices of the template"))
            return found

        return choice
    if kind == "title":

        def title(value: object) -> str:
            word = normalise.text(value).replace(" ", "")
            level = level_of(word, context.titles)
            if level is None:
                raise normalise.Unreadable(
                    _("a title in the association's title table (教授, 讲师, 中级…)")
                )
            return level.value

        return title
    return {
        "name": normalise.name,
        "phone": normalise.phone,
        "email": normalise.email,
        "year": normalise.year,
        "date": normalise.day,
        "gender": normalise.gender,
        "flag": normalise.flag,
        "count": normalise.count,
    }.get(kind, normalise.text)


def check_rows(
    body: list[tuple[int, list]],
    columns: list[Column],
    fields: tuple[Field, ...],
    context: Context,
    edits: dict[str, str] | None = None,
    excluded: set[int] | frozenset = frozenset(),
    progress: Callable[[int, int], None] | None = None,
) -> list[Row]:
    """Every row, read field by field; `edits` ("row:column index" → text) are the
    secretary's fixes in the page, applied over the file's cells."""
    edits = edits or {}
    by_name = {f.name: f for f in fields}
    mapped = [(c, by_name[c.field], _reader(by_name[c.field], context)) for c in columns if c.field]
    width = len(columns)
    headers = {f.name: f.header for f in fields} | {c.field: c.header for c in columns if c.field}
    indexes = {c.field: c.index for c in columns if c.field}
    rows = []
    for done, (number, raw) in enumerate(body, start=1):
        cells = list(raw[:width]) + [None] * (width - len(raw))
        for index in range(width):
            edited = edits.get(f"{number}:{index}")
            if edited is not None:
                cells[index] = Formula(edited) if _formula_text(edited) else edited
        row = Row(
            number,
            [normalise.written(c)[:MAX_WRITTEN] for c in cells],
            excluded=number in excluded,
            column_headers=headers,
            column_index=indexes,
        )
        for column, spec, read in mapped:
            _read_cell(row, cells[column.index], column, spec, read)
        stray = [normalise.written(v) for v in raw[width:] if v is not None and normalise.text(v)]
        if stray:
            row.fail(
                _("(no heading)"),
                "、".join(stray)[:50],
                _("A value in a column without a heading; move it under one."),
            )
        rows.append(row)
        if progress is not None and done % 1000 == 0:
            progress(done, len(body))
    return rows


def _shortened(written: str, label: str) -> bool:
    """Whether the written word is the label with characters left out (in order)."""
    rest = iter(label)
    return len(label) > len(written) and all(ch in rest for ch in written)


def _formula_text(text: str) -> bool:
    from service.imports.reading import is_formula

    return is_formula(text)


def _read_cell(row: Row, value: object, column: Column, spec: Field, read) -> None:
    as_written = row.cells[column.index]
    if isinstance(value, Formula):
        row.fail(column.header, as_written, _("Formulas are not accepted; enter the value itself."))
        return
    if value is None or (isinstance(value, str) and not value.strip()):
        row.values[spec.name] = None
        return
    if isinstance(value, str) and (has_control_characters(value) or has_broken_characters(value)):
        row.fail(column.header, as_written, _("Remove the control or broken characters."))
        return
    try:
        result = read(value)
    except normalise.Unreadable as unreadable:
        row.fail(column.header, as_written, _("Expected %(what)s.", what=str(unreadable)))
        return
    if isinstance(result, str):
        if not result:
            row.values[spec.name] = None
            return
        if len(result) > spec.max_length:
            row.fail(column.header, as_written, _("At most %(n)d characters.", n=spec.max_length))
            return
    row.values[spec.name] = result
    shown = display(spec, result)
    if spec.kind != "choice" and shown != as_written:  # a choice is shown as written
        row.changes.append((column.header, as_written, shown))


def display(spec: Field, value: object) -> str:
    """A field's value as the preview shows it."""
    if value is None:
        return ""
    if spec.kind == "title":
        return LEVEL_TEXT.get(Level(value), str(value))
    if spec.kind == "gender":
        return {"male": "男", "female": "女"}.get(value, str(value))
    if spec.kind == "flag":
        return "是" if value else "否"
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()
