"""The province's universities without an association yet: the coverage gap the federation
lists and works to close."""

from __future__ import annotations

import sqlalchemy as sa

from service.errors import Conflict
from service.federation.models import University
from service.i18n import lazy_gettext as _l
from service.sorting import pinyin_order
from service.unique_keys import claimed
from tenants.db import db


def listed(federation_id: int) -> list[University]:
    """The federation's list, by name (pinyin)."""
    return list(
        db.session.scalars(
            sa.select(University)
            .where(University.federation_id == federation_id)
            .order_by(pinyin_order(University.name))
        )
    )


def add(federation_id: int, name: str, category: str) -> University:
    """List a university; Conflict when the federation lists one of that name already
    (checked first; the unique key decides between two at the same moment)."""
    taken = _l("This university is already listed.")
    clash = sa.select(University.id).where(
        University.federation_id == federation_id, University.name == name
    )
    if db.session.scalar(clash) is not None:
        raise Conflict(taken, "name")
    university = University(federation_id=federation_id, name=name, category=category)
    with claimed(University, {"name": taken}):
        db.session.add(university)
    return university
