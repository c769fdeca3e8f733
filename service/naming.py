"""Rows named in a sentence: what a refusal or a confirmation about many rows says."""

from __future__ import annotations

from service.i18n import gettext as _

# A sentence names at most this many rows, then says how many more.
NAMED = 10


def named(names: list[str], most: int = NAMED) -> str:
    """“A”、“B” … and N more."""
    shown = "、".join(f"“{n}”" for n in names[:most])
    more = len(names) - most
    return _("%(names)s and %(n)d more", names=shown, n=more) if more > 0 else shown
