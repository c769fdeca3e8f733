"""Membership in figures, for other packages (the annual report, the federation's dashboards):
individual and group members as at a day, in one statement.

The two counts are `service.members.history`'s (from the dated status records, never from
when a record was entered), sent together as a UNION ALL: one round trip for the family.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from service.i18n import lazy_gettext as _l
from service.members import history
from service.members.models import GroupMember, GroupMemberKind, Member
from tenants.db import db
from tenants.reads import Owned, TenantRead


@dataclass
class MemberCounts:
    """One association's members on a day: individual members, and group members by kind."""

    individual: int = 0
    groups: dict[str, int] = field(default_factory=dict)

    @property
    def group_total(self) -> int:
        return sum(self.groups.values())


__all__ = [
    "DASHBOARD_RECORDS",
    "GroupMemberKind",  # the kinds of group member the counts are by
    "MemberCounts",
    "group_members_on",
    "individual_members_on",
    "member_counts_as_of",
]

# The individual members' branch has no kind: NULL marks it apart from every group kind.
_INDIVIDUAL = None


def _counts(owned: Owned) -> sa.CompoundSelect:
    """Individual members (kind NULL) and group members by kind as at :day, per association
    of :association_ids."""
    individual = history.members_on_query(owned).subquery()
    groups = history.group_members_on_query(owned).subquery()
    individual_rows = sa.select(
        individual.c[0].label("tenant_id"),
        sa.null().cast(sa.String(20)).label("kind"),
        individual.c[1].label("n"),
    )
    group_rows = sa.select(
        groups.c[0].label("tenant_id"), groups.c[1].label("kind"), groups.c[2].label("n")
    )
    return sa.union_all(individual_rows, group_rows)


_COUNTS = TenantRead(_counts)


def member_counts_as_of(association_ids: Collection[int], day: date) -> dict[int, MemberCounts]:
    """Individual and group members per association as at `day` (every association given is
    in the answer, with zeros where it had none)."""
    ids = sorted({int(a) for a in association_ids})
    if not ids:
        return {}
    out = {a: MemberCounts() for a in ids}
    for tenant_id, kind, n in _COUNTS.rows(db.session, {"association_ids": ids, "day": day}):
        if kind is _INDIVIDUAL:
            out[tenant_id].individual = int(n)
        else:
            out[tenant_id].groups[kind] = int(n)
    return out


def individual_members_on(association_ids: Collection[int], day: date) -> dict[int, int]:
    """Individual members per association as at `day` (those with none are absent)."""
    return history.members_on(list(association_ids), day)


def group_members_on(association_ids: Collection[int], day: date) -> dict[int, int]:
    """Group members (of every kind) per association as at `day` (those with none absent)."""
    out: dict[int, int] = {}
    for (aid, _kind), n in history.group_members_on(list(association_ids), day).items():
        out[aid] = out.get(aid, 0) + n
    return out


# Writes to these change a dashboard metric (see `service.governance.statistics`).
DASHBOARD_RECORDS: tuple[type, ...] = (Member, GroupMember)


# The records the annual report counts, and how each is dated (see
# `service.activities.statistics.COUNTED_RECORDS`): members at the year's end.
COUNTED_RECORDS: tuple[tuple[type, object, str, bool], ...] = (
    (Member, _l("individual members"), "joined_on", False),
    (GroupMember, _l("group members"), "created_at", False),
)
