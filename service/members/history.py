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
from tenants.db import db

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
    untracked = sa.and_(
        Member.tenant_id == tenant_id,
        ~sa.exists().where(MemberStatusChange.member_id == Member.id),
    )
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


def members_on(association_ids: Sequence[int], day: date) -> dict[int, int]:
    """Individual members per association as at `day`: those whose latest change on or
    before it left them active (erased members count for the days they were members)."""
    rows = db.session.execute(members_on_query(association_ids, day))
    return {tenant_id: n for tenant_id, n in rows}


def members_on_query(association_ids: Sequence[int], day: date) -> sa.Select:
    """(association id, members) as at `day`, as a query (`members_on` runs it)."""
    ranked = (
        sa.select(
            MemberStatusChange.tenant_id,
            MemberStatusChange.status,
            sa.func.row_number()
            .over(
                partition_by=(MemberStatusChange.tenant_id, MemberStatusChange.member_id),
                order_by=(MemberStatusChange.changed_on.desc(), MemberStatusChange.id.desc()),
            )
            .label("rank"),
        )
        .where(
            MemberStatusChange.tenant_id.in_(association_ids),
            MemberStatusChange.changed_on <= day,
        )
        .subquery()
    )
    return (
        sa.select(ranked.c.tenant_id, sa.func.count())
        .where(ranked.c.rank == 1, ranked.c.status == MemberStatus.ACTIVE.value)
        .group_by(ranked.c.tenant_id)
    )


def _group_status_on(day: date) -> sa.ColumnElement:
    """A group member's status on `day`: after its latest change by then; before its first
    change after it, what that change started from; with no change, its status now."""
    same_group = sa.and_(
        GroupMemberStatusChange.tenant_id == GroupMember.tenant_id,
        GroupMemberStatusChange.group_member_id == GroupMember.id,
    )
    after_last = (
        sa.select(GroupMemberStatusChange.to_status)
        .where(same_group, GroupMemberStatusChange.changed_on <= day)
        .order_by(GroupMemberStatusChange.changed_on.desc(), GroupMemberStatusChange.id.desc())
        .limit(1)
        .correlate(GroupMember)
        .scalar_subquery()
    )
    before_next = (
        sa.select(GroupMemberStatusChange.from_status)
        .where(same_group, GroupMemberStatusChange.changed_on > day)
        .order_by(GroupMemberStatusChange.changed_on, GroupMemberStatusChange.id)
        .limit(1)
        .correlate(GroupMember)
        .scalar_subquery()
    )
    return sa.func.coalesce(after_last, before_next, GroupMember.status)


def group_members_on(association_ids: Sequence[int], day: date) -> dict[tuple[int, str], int]:
    """Active group members per association and kind as at `day`: joined by then, and
    active on that day."""
    rows = db.session.execute(group_members_on_query(association_ids, day))
    return {(tenant_id, kind): n for tenant_id, kind, n in rows}


def group_members_on_query(association_ids: Sequence[int], day: date) -> sa.Select:
    """(association id, kind, group members) as at `day`, as a query."""
    return (
        sa.select(GroupMember.tenant_id, GroupMember.kind, sa.func.count())
        .where(
            GroupMember.tenant_id.in_(association_ids),
            GroupMember.joined_on <= day,
            _group_status_on(day) == "active",
        )
        .group_by(GroupMember.tenant_id, GroupMember.kind)
    )
