"""What each package tells the audit log about its own records: what a kind of record is
called, the forms that edit it (their labels are its fields' labels), and the labels of its
coded values.

The log is read in `presentation`; the words are the owning packages'. Each package fills
this registry from its own `audit_words` module, which the application factory imports
(`service.create_app`), so that audit imports no other package's models or forms. A kind
of record nobody registers is still shown, by its table's name and its codes as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# table name -> what the record is called ("activity" -> 活动)
ENTITY_LABELS: dict[str, Any] = {}
# table name -> the forms that edit it
FORMS: dict[str, list[type]] = {}
# field -> label, whatever the record (a form's own label wins)
FIELD_LABELS: dict[str, Any] = {}
# field -> code -> label, whatever the record
VALUE_LABELS: dict[str, dict[str, Any]] = {}
# (table name, field) -> code -> label: codes that mean something else on another record
# (each kind of record has its own statuses)
RECORD_VALUE_LABELS: dict[tuple[str, str], Mapping[str, Any]] = {}


def register(
    *,
    entities: Mapping[str, Any] = {},
    forms: Mapping[str, Iterable[type]] = {},
    fields: Mapping[str, Any] = {},
    values: Mapping[str, Mapping[str, Any]] = {},
    record_values: Mapping[tuple[str, str], Mapping[str, Any]] = {},
) -> None:
    """Add a package's words. Values of one field from two packages are merged (a `level`
    is an award's or an API token's); everything else is the owning package's alone."""
    ENTITY_LABELS.update(entities)
    for entity, entity_forms in forms.items():
        FORMS.setdefault(entity, []).extend(f for f in entity_forms if f not in FORMS[entity])
    FIELD_LABELS.update(fields)
    for field, labels in values.items():
        VALUE_LABELS.setdefault(field, {}).update({str(k): v for k, v in labels.items()})
    RECORD_VALUE_LABELS.update(record_values)
