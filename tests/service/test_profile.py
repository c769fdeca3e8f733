"""The association profile, end to end on the web and the API."""

import sqlalchemy as sa

from service.associations.models import AssociationProfile
from service.audit.models import AuditEvent
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import system_scope


def _profile(tenant_id: int) -> AssociationProfile:
    with system_scope("test: read the profile"):
        profile = db.session.scalars(
            sa.select(AssociationProfile).where(AssociationProfile.tenant_id == tenant_id)
        ).one()
        db.session.expunge(profile)
    return profile


def _bearer(pair):
    return {"Authorization": f"Bearer {pair[1]}"}


GOOD_FORM = {
    "name": "测试大学科学技术协会",
    "university_name": "测试大学",
    "category": "applied",
    "contact_name": "李娜",
    "contact_phone": "13800001111",
    "contact_email": "lina@example.edu.cn",
    "address": "测试市科技路8号",
    "website": "https://kx.example.edu.cn",
    "founded_on": "2016-05-30",
}


def test_an_admin_edits_the_profile_and_the_change_is_audited(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    url = f"/associations/{tenant.association.id}"
    response = client.post(url + "/edit", data=GOOD_FORM)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "测试市科技路8号" in page and "应用型本科高校" in page
    with system_scope("test: read the log"):
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "association_profile", AuditEvent.action == "update")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event.tenant_id == tenant.association.id
    assert event.actor.startswith(f"user:{tenant.users[Role.ASSOCIATION_ADMIN].id} ")
    assert event.changes["address"] == ["测试市大学路1号", "测试市科技路8号"]
    assert event.changes["contact_phone"] == ["***", "***"]  # personal data is never logged


def test_a_bad_phone_is_a_form_error_and_changes_nothing(world, client):
    tenant = world.a.first
    before = _profile(tenant.association.id)
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/associations/{tenant.association.id}/edit",
        data={**GOOD_FORM, "contact_phone": "12345"},
    )
    assert response.status_code == 400
    assert "请输入" in response.get_data(as_text=True)  # the phone format message, in Chinese
    after = _profile(tenant.association.id)
    assert (after.contact_phone, after.address) == (before.contact_phone, before.address)


def test_a_member_sees_the_contact_masked(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.MEMBER])
    page = client.get(f"/associations/{tenant.association.id}").get_data(as_text=True)
    phone = _profile(tenant.association.id).contact_phone
    assert phone not in page
    assert phone[:3] + "****" + phone[-4:] in page


def test_staff_see_the_contact(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    page = client.get(f"/associations/{tenant.association.id}").get_data(as_text=True)
    assert _profile(tenant.association.id).contact_phone in page


def test_a_supervisor_lists_the_federation_by_category(world, client):
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    page = client.get("/associations/?category=teaching_research").get_data(as_text=True)
    assert world.a.second.association.name in page
    assert world.a.first.association.name not in page
    assert world.b.second.association.name not in page


def test_the_api_lists_a_federation_page_by_page(world, client):
    response = client.get(
        "/api/v1/associations/?page_size=1", headers=_bearer(world.a.tokens["ro"])
    )
    assert response.status_code == 200
    assert len(response.json) == 1
    pagination = response.headers["X-Pagination"]
    assert '"total": 2' in pagination


def test_the_api_reads_one_profile_with_the_contact_masked_for_read_only_tokens(world, client):
    tenant = world.a.first
    response = client.get(
        f"/api/v1/associations/{tenant.association.id}", headers=_bearer(tenant.tokens["ro"])
    )
    assert response.status_code == 200
    body = response.json
    assert body["id"] == tenant.association.id
    assert body["name"] == tenant.association.name
    assert "****" in body["contact_phone"]
    assert body["contact_name"] == "张*"


def test_the_api_updates_with_a_read_write_token(world, client):
    tenant = world.a.first
    response = client.patch(
        f"/api/v1/associations/{tenant.association.id}",
        json={"address": "新校区1号", "category": "teaching_research"},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 200, response.json
    assert response.json["address"] == "新校区1号"
    assert _profile(tenant.association.id).category == "teaching_research"


def test_the_api_rejects_unknown_fields_and_changes_nothing(world, client):
    tenant = world.a.first
    before = _profile(tenant.association.id)
    response = client.patch(
        f"/api/v1/associations/{tenant.association.id}",
        json={"address": "新校区1号", "tenant_id": world.b.first.association.id},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 422
    assert "tenant_id" in response.json["errors"]["json"]
    assert _profile(tenant.association.id).address == before.address


def test_the_api_rejects_a_bad_category_with_a_message(world, client):
    tenant = world.a.first
    response = client.patch(
        f"/api/v1/associations/{tenant.association.id}",
        json={"category": "elite"},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"]["category"]


def test_a_read_only_token_cannot_write(world, client):
    tenant = world.a.first
    response = client.patch(
        f"/api/v1/associations/{tenant.association.id}",
        json={"address": "x"},
        headers=_bearer(tenant.tokens["ro"]),
    )
    assert response.status_code == 403
    assert response.json["message"] == "This token is read-only."
