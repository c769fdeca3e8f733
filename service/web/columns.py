"""Which columns a wide table shows: a choice each user makes once and keeps.

The choice is kept in the user's session (a signed cookie), not in the database: it is a
way of looking, not a record. A table names its columns and a default of a few; the name
column (or whatever `fixed` holds) is always shown. The form is plain HTML (checkboxes and
a button), so it works without JavaScript under the strict CSP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import session

# A default shows at most this many columns, the fixed ones included.
MAX_DEFAULT = 8


@dataclass(frozen=True)
class ColumnChoice:
    """The columns of one table that a user may show or hide."""

    key: str  # the session key the choice is kept under
    labels: Mapping[str, object]  # every optional column, in the table's order
    default: tuple[str, ...]
    fixed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert len(self.fixed) + len(self.default) <= MAX_DEFAULT, self.key
        assert set(self.default) <= set(self.labels), self.key

    def shown(self) -> list[str]:
        """The columns shown now: the user's choice, else the default; in the table's order."""
        kept = session.get(self.key)
        chosen = set(kept) & set(self.labels) if isinstance(kept, list) else set()
        return [c for c in self.labels if c in (chosen or set(self.default))]

    def remember(self, codes: Iterable[str]) -> list[str]:
        """Keep this choice (unknown codes are ignored; none known means the default)."""
        chosen = [c for c in self.labels if c in set(codes)]
        if chosen:
            session[self.key] = chosen
        else:
            session.pop(self.key, None)
        return self.shown()

    def reset(self) -> list[str]:
        session.pop(self.key, None)
        return self.shown()
