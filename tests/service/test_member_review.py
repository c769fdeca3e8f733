"""Reviewing an application to join: likely duplicates are pointed out, a member and the
application are compared side by side before merging, and two different names are never
joined without staff choosing the name. A refused decision writes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.members.models import Member, MemberApplication
from tenants.db import db
from tenants.scope import system_scope
from tests import factories


def _snapshot() -> dict:
    """Every row of every table, the audit log included."""
    with system_scope("test: snapshot every table"):
        return {
            table.name: db.session.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def _apply(tenant, name: str, phone: str | None = None, email: str | None = None, **more) -> int:
    with system_scope("test: an application"):
        application = MemberApplication(
            tenant_id=tenant.association.id,
            name=name,
            phone=phone,
            email=email,
            title="associate_senior",
            department="材料学院",
            consent_version=1,
            **more,
        )
        db.session.add(application)
        db.session.commit()
        return application.id


def _member(member_id: int) -> Member:
    with system_scope("test: read the member"):
        member = db.session.get(Member, member_id)
        db.session.expunge(member)
        return member


def _application(application_id: int) -> MemberApplication:
    with system_scope("test: read the application"):
        application = db.session.get(MemberApplication, application_id)
        db.session.expunge(application)
        return application


def _members(tenant) -> int:
    with system_scope("test: count the members"):
        return db.session.scalar(
            sa.select(sa.func.count()).where(Member.tenant_id == tenant.association.id)
        )


def _staff(client, tenant):
    return client.login_as(tenant.users[Role.ASSOCIATION_STAFF])


def test_the_review_page_warns_of_members_and_applications_that_may_be_the_applicant(world, client):
    tenant, neighbour = world.a.first, world.a.second
    known = tenant.members[1]
    with system_scope("test: a namesake, and the neighbour's member with the phone"):
        namesake = factories.make_member(tenant.association, name="周晓明", birth_year=1980).id
        factories.make_member(neighbour.association, name="邻校会员", phone="13911112222")
        db.session.commit()
    same_phone = _apply(tenant, "周晓明", phone=known.phone)
    other = _apply(tenant, "周晓明", email="zhou@example.edu.cn")
    neighbours_phone = _apply(tenant, "吴雨", phone="13911112222")

    page = _staff(client, tenant).get(f"/members/applications/{same_phone}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "可能已有记录" in text
    assert f"会员 {known.name}" in text and "手机号相同" in text
    assert "会员 周晓明" in text and "姓名相同" in text
    assert f"member_id={known.id}" in text and f"member_id={namesake}" in text
    assert "周晓明 的另一份待处理申请" in text and f"/members/applications/{other}" in text
    # another association's records are never matched
    quiet = client.get(f"/members/applications/{neighbours_phone}").get_data(as_text=True)
    assert "可能已有记录" not in quiet and "邻校会员" not in quiet
    plain = client.get(f"/members/applications/{tenant.applications[0].id}")
    assert "可能已有记录" not in plain.get_data(as_text=True)


def test_the_side_by_side_page_compares_field_by_field(world, client):
    tenant = world.a.first
    known = tenant.members[1]
    application_id = _apply(tenant, "周晓明", phone=known.phone, email="zhou@example.edu.cn")
    page = _staff(client, tenant).get(
        f"/members/applications/{application_id}/merge?member_id={known.id}"
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "周晓明" in text and known.name in text and known.phone in text
    assert "zhou@example.edu.cn" in text and "材料学院" in text
    assert "不同" in text and "合并后保留的姓名" in text
    assert 'value="merge"' in text and 'value="new"' in text and 'value="reject"' in text
    # the same name: no name to choose
    same = _apply(tenant, known.name, phone=known.phone)
    text = client.get(f"/members/applications/{same}/merge?member_id={known.id}").get_data(
        as_text=True
    )
    assert "合并后保留的姓名" not in text
    # without a member, back to the application; another tenant's ids are 404
    bare = client.get(f"/members/applications/{application_id}/merge")
    assert bare.status_code == 302 and bare.location.endswith(
        f"/members/applications/{application_id}"
    )
    for url in (
        f"/members/applications/{application_id}/merge?member_id={world.a.second.members[1].id}",
        f"/members/applications/{application_id}/merge?member_id={world.b.first.members[1].id}",
        f"/members/applications/{world.a.second.applications[0].id}/merge?member_id={known.id}",
        f"/members/applications/{application_id}/merge?member_id={10**30}",
        f"/members/applications/{application_id}/merge?member_id=-1",
    ):
        assert client.get(url).status_code == 404, url


def test_approving_into_a_member_of_another_name_is_refused_and_writes_nothing(world, client):
    tenant = world.a.first
    known = tenant.members[1]
    application_id = _apply(tenant, "周晓明", phone=known.phone)
    before = _snapshot()
    response = _staff(client, tenant).post(
        f"/members/applications/{application_id}", data={"decision": "approve"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "姓名不同" in text
    assert f"merge?member_id={known.id}" in text
    assert _snapshot() == before


def test_a_merge_of_two_names_needs_the_name_chosen(world, client):
    tenant = world.a.first
    known = tenant.members[1]
    application_id = _apply(
        tenant, "周晓明", phone=known.phone, email="zhou@example.edu.cn", societies="中国化学会"
    )
    url = f"/members/applications/{application_id}/merge"
    _staff(client, tenant)
    for refused in (
        {"member_id": known.id, "decision": "merge"},
        {"member_id": known.id, "decision": "merge", "keep_name": "someone-else"},
        {"member_id": known.id, "decision": "reject"},  # a rejection needs its reason
        {"member_id": known.id, "decision": "new"},  # the phone is the member's already
        {"member_id": known.id},
    ):
        before = _snapshot()
        response = client.post(url, data=refused)
        assert response.status_code == 400, refused
        assert 'role="alert"' in response.get_data(as_text=True)
        assert _snapshot() == before, f"{refused} was refused but changed the database"
    assert "请选择合并后保留的姓名" in client.post(
        url, data={"member_id": known.id, "decision": "merge"}
    ).get_data(as_text=True)
    assert _application(application_id).status == "pending"

    count = _members(tenant)
    response = client.post(
        url, data={"member_id": known.id, "decision": "merge", "keep_name": "application"}
    )
    assert response.status_code == 302 and response.location.endswith(f"/members/{known.id}")
    merged, decided = _member(known.id), _application(application_id)
    assert merged.name == "周晓明" and merged.phone == known.phone
    assert merged.societies == "中国化学会"  # an empty field filled from the application
    assert merged.email == known.email and merged.department == known.department  # kept
    assert merged.status == "active"  # admitted: a member (again, had they left)
    assert decided.status == "approved" and decided.member_id == known.id
    assert _members(tenant) == count
    with system_scope("test: the audit log"):
        changed = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "member", AuditEvent.entity_id == str(known.id)
            )
        ).all()
    assert any(e.changes and "name" in e.changes for e in changed)


def test_keeping_the_member_s_name_and_creating_a_new_member(world, client):
    tenant = world.a.first
    known = tenant.members[1]
    keep = _apply(tenant, "周晓明", phone=known.phone)
    _staff(client, tenant).post(
        f"/members/applications/{keep}/merge",
        data={"member_id": known.id, "decision": "merge", "keep_name": "member"},
    )
    assert _member(known.id).name == known.name
    assert _application(keep).member_id == known.id

    # the same name, another phone: two people, so a new member
    count = _members(tenant)
    namesake = _apply(tenant, known.name, phone="13922223333")
    response = client.post(
        f"/members/applications/{namesake}/merge", data={"member_id": known.id, "decision": "new"}
    )
    assert response.status_code == 302
    created = _application(namesake).member_id
    assert created not in (None, known.id) and _members(tenant) == count + 1
    assert _member(created).phone == "13922223333"


def test_a_rejection_from_the_side_by_side_page(world, client):
    tenant = world.a.first
    known = tenant.members[1]
    application_id = _apply(tenant, "周晓明", phone=known.phone)
    response = _staff(client, tenant).post(
        f"/members/applications/{application_id}/merge",
        data={"member_id": known.id, "decision": "reject", "reason": "重复申请"},
    )
    assert response.status_code == 302
    rejected = _application(application_id)
    assert rejected.status == "rejected" and rejected.decision_reason == "重复申请"
    assert _member(known.id).name == known.name
