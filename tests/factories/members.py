"""Membership records: individual and group members, an association's members with its
policy, and an application to join."""

from __future__ import annotations

from service.auth.models import User
from service.members import history
from service.members.models import (
    GroupMember,
    GroupMemberStatusChange,
    Member,
    MemberApplication,
    MembershipPolicy,
)
from tenants.db import db
from tenants.models import Association
from tests.factories.serial import serial


def make_member(association: Association, *, user: User | None = None, **fields) -> Member:
    n = serial()
    values = {
        "name": f"会员{n}",
        "phone": f"137{n:08d}",
        "email": f"member{n}@example.edu.cn",
        "department": "物理学院",
        "title": "intermediate",
        **fields,
    }
    member = Member(tenant_id=association.id, user_id=user.id if user else None, **values)
    db.session.add(member)
    db.session.flush()
    history.record_untracked(association.id)  # its joining (and status), dated
    db.session.flush()
    return member


def make_group_member(association: Association, **fields) -> GroupMember:
    n = serial()
    group = GroupMember(
        tenant_id=association.id,
        name=fields.pop("name", f"测试学院{n}科协"),
        kind=fields.pop("kind", "department"),
        member_count=fields.pop("member_count", 30),
        **fields,
    )
    db.session.add(group)
    db.session.flush()
    return group


def make_membership(
    association: Association, member_user: User
) -> tuple[list[Member], list[GroupMember]]:
    """Two members (the first is `member_user`'s, in the CAST society; the second senior), a
    group member made active, and the association's membership policy."""
    members = [
        make_member(association, user=member_user, in_cast_society=True),
        make_member(association, title="senior"),
    ]
    group = make_group_member(association)
    db.session.add(
        GroupMemberStatusChange(
            tenant_id=association.id, group_member_id=group.id, to_status="active"
        )
    )
    db.session.add(MembershipPolicy(tenant_id=association.id, rights_and_duties="遵守章程"))
    return members, [group]


def make_member_application(association: Association) -> MemberApplication:
    """An application to join, awaiting the association's review."""
    application = MemberApplication(
        tenant_id=association.id,
        name="申请人",
        phone=f"136{serial():08d}",
        title="associate_senior",
        consent_version=1,
    )
    db.session.add(application)
    db.session.flush()
    return application
