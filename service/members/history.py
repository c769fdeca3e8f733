"""Membership as at a day, from the dates things happened.

Each individual member's status is kept as dated rows (`MemberStatusChange`), from its
joining on; a group member has its joining date and its dated status changes. The annual
statistics and the dashboards count members and group members as at a day from these, so
a year's figures never change when something happens later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from service.members.models import (
    GroupMember,
    GroupMemberStatusChange,
    Member,
    MemberChange,
    MemberStatus,
    MemberStatusChange,
)
from service.sql import ASSOCIATION_IDS
from tenants.db import db
from tenants.reads import Owned, TenantRead

# The change that leads into each status (an erasure is recorded as ERASED, see `erased`).
CHANGE_INTO = {
    MemberStatus.ACTIVE: MemberChange.REINSTATED,
    MemberStatus.LAPSED: MemberChange.LAPSED,
    MemberStatus.WITHDRAWN: MemberChange.WITHDREW,
    MemberStatus.DECEASED: MemberChange.DIED,
}


def _record(member: Member, change: MemberChange, status: str, on: date) -> None:
    db.session.add(
        MemberStatusChange(
            tenant_id=member.tenant_id,
            member_id=member.id,
            change=change.value,
            status=status,
            changed_on=on,
        )
    )


def joined(member: Member) -> None:
    """Record a new member's joining (the member must have its id: flush first)."""
    _record(member, MemberChange.JOINED, MemberStatus.ACTIVE.value, member.joined_on)


def last_change_on(member: Member) -> date | None:
    return db.session.scalar(
        sa.select(sa.func.max(MemberStatusChange.changed_on)).where(
            MemberStatusChange.member_id == member.id
        )
    )


def changed(member: Member, status: MemberStatus, on: date, erased: bool = False) -> None:
    """Record that the member is in `status` from `on`."""
    change = MemberChange.ERASED if erased else CHANGE_INTO[status]
    _record(member, change, status.value, on)


def joining_moved(member: Member) -> None:
    """The joining date was corrected: the "joined" row follows it."""
    db.session.execute(
        sa.update(MemberStatusChange)
        .where(
            MemberStatusChange.member_id == member.id,
            MemberStatusChange.change == MemberChange.JOINED.value,
        )
        .values(changed_on=member.joined_on)
    )


def record_untracked(tenant_id: int) -> None:
    """Give the association's members inserted in bulk (imports, demo) their history: the
    joining, and the current status when not active, at the day it changed. The joinings
    are made in the database (one statement however many members: an import's 10,000 took
    a third of a second as rows sent one by one)."""
    # The history is matched on the whole key (tenant, member), as Citus co-locates the two
    # tables by tenant; the scope's criteria do not reach a select inside an INSERT.
    tracked = sa.exists().where(
        MemberStatusChange.tenant_id == Member.tenant_id,
        MemberStatusChange.member_id == Member.id,
    )
    untracked = sa.and_(Member.tenant_id == tenant_id, ~tracked)
    left = db.session.execute(
        sa.select(Member.id, Member.joined_on, Member.status, Member.status_changed_on)
        .where(untracked, Member.status != MemberStatus.ACTIVE.value)
        .order_by(Member.id)
    ).all()
    joinings = sa.select(
        Member.tenant_id,
        Member.id,
        sa.literal(MemberChange.JOINED.value),
        sa.literal(MemberStatus.ACTIVE.value),
        Member.joined_on,
    ).where(untracked)
    columns = ["tenant_id", "member_id", "change", "status", "changed_on"]
    db.session.execute(sa.insert(MemberStatusChange).from_select(columns, joinings))
    # After the joinings, so that at the same day the status change is the later row.
    if left:
        db.session.execute(
            sa.insert(MemberStatusChange),
            [
                {
                    "tenant_id": tenant_id,
                    "member_id": member_id,
                    "change": CHANGE_INTO[MemberStatus(status)].value,
                    "status": status,
                    "changed_on": changed_on or joined_on,
                }
                for member_id, joined_on, status, changed_on in left
            ],
        )


# The day the reads below count members on, given when they run (with ASSOCIATION_IDS).
DAY = sa.bindparam("day", type_=sa.Date)


def members_on(association_ids: Sequence[int], day: date) -> dict[int, int]:
    """Individual members per association as at `day`: those whose latest change on or
    before it left them active (erased members count for the days they were members)."""
    rows = _MEMBERS_ON.rows(db.session, {"association_ids": list(association_ids), "day": day})
    return {tenant_id: n for tenant_id, n in rows}


def members_on_query(owned: Owned) -> sa.Select:
    """(association id, members) of the associations :association_ids as at :day, for a
    `TenantRead` (`members_on` runs it)."""
    changes = MemberStatusChange.__table__
    ranked = (
        sa.select(
            changes.c.tenant_id,
            changes.c.status,
            sa.func.row_number()
            .over(
                partition_by=(changes.c.tenant_id, changes.c.member_id),
                order_by=(changes.c.changed_on.desc(), changes.c.id.desc()),
            )
            .label("rank"),
        )
        .where(
            owned(changes), changes.c.tenant_id.in_(ASSOCIATION_IDS), changes.c.changed_on <= DAY
        )
        .subquery()
    )
    return (
        sa.select(ranked.c.tenant_id, sa.func.count())
        .where(ranked.c.rank == 1, ranked.c.status == MemberStatus.ACTIVE.value)
        .group_by(ranked.c.tenant_id)
    )


_MEMBERS_ON = TenantRead(members_on_query)


def _group_status_on(owned: Owned) -> sa.ColumnElement:
    """A group member's status on :day: after its latest change by then; before its first
    change after it, what that change started from; with no change, its status now."""
    groups, changes = GroupMember.__table__, GroupMemberStatusChange.__table__

    def change(column: sa.ColumnElement, *conditions) -> sa.Select:
        """The group member's changes under `conditions`, each subquery with its own
        owner condition, correlated to the group member of the outer query."""
        return (
            sa.select(column)
            .where(
                owned(changes),
                changes.c.tenant_id == groups.c.tenant_id,
                changes.c.group_member_id == groups.c.id,
                *conditions,
            )
            .limit(1)
            .correlate(groups)
        )

    after_last = change(changes.c.to_status, changes.c.changed_on <= DAY).order_by(
        changes.c.changed_on.desc(), changes.c.id.desc()
    )
    before_next = change(changes.c.from_status, changes.c.changed_on > DAY).order_by(
        changes.c.changed_on, changes.c.id
    )
    return sa.func.coalesce(
        after_last.scalar_subquery(), before_next.scalar_subquery(), groups.c.status
    )


def group_members_on(association_ids: Sequence[int], day: date) -> dict[tuple[int, str], int]:
    """Active group members per association and kind as at `day`: joined by then, and
    active on that day."""
    parameters = {"association_ids": list(association_ids), "day": day}
    rows = _GROUP_MEMBERS_ON.rows(db.session, parameters)
    return {(tenant_id, kind): n for tenant_id, kind, n in rows}


def group_members_on_query(owned: Owned) -> sa.Select:
    """(association id, kind, group members) of the associations :association_ids as at
    :day, for a `TenantRead`."""
    groups = GroupMember.__table__
    return (
        sa.select(groups.c.tenant_id, groups.c.kind, sa.func.count())
        .where(
            owned(groups),
            groups.c.tenant_id.in_(ASSOCIATION_IDS),
            groups.c.joined_on <= DAY,
            _group_status_on(owned) == "active",
        )
        .group_by(groups.c.tenant_id, groups.c.kind)
    )


_GROUP_MEMBERS_ON = TenantRead(group_members_on_query)
