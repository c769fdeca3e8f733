"""The options of select fields, in the shape wtforms 3.3 takes (tuples are deprecated)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as options; a lazy label stays lazy, so it is shown in the
    visitor's language."""
    return [SelectChoice(value, label) for value, label in pairs]
