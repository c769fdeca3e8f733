"""The one counter every factory numbers what it makes by, so that names, phones and e-mail
addresses never collide within a run."""

from __future__ import annotations

import itertools

_numbers = itertools.count(1)


def serial() -> int:
    """The next number: shared by all the factories, so each one's rows are unlike the rest."""
    return next(_numbers)
