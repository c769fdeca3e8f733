"""Finding the table in a sheet as secretariats keep it: title rows, merged cells and notes
above the header, blank rows inside, footers (合计, 制表人, 填表说明) below."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.imports import normalise
from service.imports.fields import IGNORED_HEADERS, Field, header_key

FOOTER_WORDS = (
    "合计",
    "总计",
    "小计",
    "制表人",
    "制表",
    "填表说明",
    "填表人",
    "审核人",
    "负责人",
    "说明",
    "注",
)
HEADER_SEARCH_ROWS = 30


@dataclass
class Located:
    header_row: int  # row number as the clerk sees it (1-based)
    headers: list[str]
    body: list[tuple[int, list]]  # (row number, cells) of the rows that are not blank
    above: list[tuple[int, str]] = field(default_factory=list)  # title rows, notes
    footer: tuple[int, str] | None = None
    after_footer: int = 0  # rows with something in them below the footer, not read


def locate(table: list[list], fields: tuple[Field, ...]) -> Located:
    index = _header_index(table, fields)
    header_cells = table[index]
    headers = [normalise.written(h).strip() for h in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    located = Located(index + 1, headers, [])
    for i in range(index):
        said = _row_text(table[i])
        if said:
            located.above.append((i + 1, said))
    blank_before = False
    rows = table[index + 1 :]
    for offset, cells in enumerate(rows):
        number = index + 2 + offset
        filled = [c for c in cells if _filled(c)]
        if not filled:
            blank_before = True
            continue
        if _is_footer(filled, blank_before):
            located.footer = (number, _row_text(cells))
            located.after_footer = sum(
                1 for rest in rows[offset + 1 :] if any(_filled(c) for c in rest)
            )
            break
        located.body.append((number, list(cells)))
        blank_before = False
    return located


def _header_index(table: list[list], fields: tuple[Field, ...]) -> int:
    """The row, among the first ones, with most cells that are known headings; failing
    that, the first row with at least two cells of text."""
    known = {header_key(f.header) for f in fields}
    known |= {header_key(a) for f in fields for a in f.aliases}
    known |= {header_key(h) for h in IGNORED_HEADERS}
    best, best_score = None, 0
    for i, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = [header_key(c) for c in cells if isinstance(c, str) and c.strip()]
        score = sum(1 for k in keys if k in known or any(len(a) >= 2 and a in k for a in known))
        if score > best_score and len(keys) >= 2:
            best, best_score = i, score
    if best is not None:
        return best
    for i, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in cells if isinstance(c, str) and c.strip()) >= 2:
            return i
    return 0


def _filled(cell: object) -> bool:
    """Whether a cell holds anything; as `normalise.text(cell) != ""`, without normalising
    every cell of the file (a number or a date is never blank, and NFKC makes no blank of a
    text that was not)."""
    return cell is not None and (not isinstance(cell, str) or (cell != "" and not cell.isspace()))


def _is_footer(filled: list, blank_before: bool) -> bool:
    first = normalise.text(filled[0])
    if any(first.startswith(word) for word in FOOTER_WORDS) and (
        len(filled) <= 3 or not first.startswith("注")
    ):
        return True
    # A single line of text under a blank row, written as a sentence or dated: a note or a
    # signature, not a member (a lone name has no punctuation or digits).
    return (
        blank_before
        and len(filled) == 1
        and "·" not in first
        and (len(first) > 12 or any(ch in first for ch in "：:，,。0123456789"))
    )


def _row_text(cells: list) -> str:
    return " ".join(t for t in (normalise.written(c).strip() for c in cells) if t)[:200]


def given(table: list[list]) -> Located:
    """Rows handed over with their headings (the API's JSON rows): no title row or footer
    to find. Each row keeps its place in the list (from 1) as its number; blank ones are
    skipped, as in a file."""
    headers = [normalise.written(h).strip() for h in table[0]] if table else []
    body = [
        (number, list(cells))
        for number, cells in enumerate(table[1:], start=1)
        if any(c is not None and normalise.text(c) != "" for c in cells)
    ]
    return Located(0, headers, body)
