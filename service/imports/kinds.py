"""What one kind of import is (individual members, group members, activities): its fields,
its rules across fields and rows, how a row finds the record it matches, and how the rows
are written. The upload, the job, the review page and the audit are the same for all."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from service.imports.engine import Context, Row
from service.imports.fields import Field

# Where each kind's spec lives (`SPEC` in that module), imported when an upload needs it:
# the engine knows the kinds by name, never the domains' tables.
HOMES = {
    "members": "service.members.importing",
    "groups": "service.members.group_import",
    "activities": "service.activities.importing",
}


@dataclass(frozen=True)
class ImportKind:
    name: str  # member_import.kind
    fields: tuple[Field, ...]
    required: str  # the field without which no row can be read (its column must be mapped)
    # Rules across a row's fields, duplicates within the file, and each live row's existing
    # record (`Row.member`) with what would change (`Row.diff`); excluded rows are marked.
    check: Callable[[list[Row], Context], None]
    # Write the new rows and update the matched ones given (the empty list unless the
    # secretary asked); returns how many were updated. Never commits.
    write: Callable[[object, list[Row], list[Row]], int]
    entity: str  # the audit record's entity
    # For each field of kind "choice", the words a file may write, to their values.
    choices: Callable[[], dict[str, dict[str, str]]] = field(default=lambda: {})

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


def kind_spec(name: str) -> ImportKind:
    """The spec of an import kind; KeyError for a kind that does not exist."""
    return importlib.import_module(HOMES[name]).SPEC
