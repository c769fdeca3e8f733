"""Establishment through the API: a federation's system submits on behalf of a university,
reads, returns, rejects and approves; approval makes the first administrator, who sets a
password through a one-time link and signs in."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from service.auth.models import TokenLevel, User
from service.governance.models import ApplicationEvent, EstablishmentApplication
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import system_scope
from tests import factories


@pytest.fixture
def writer(world) -> dict:
    """A federation token of province A that may write."""
    with system_scope("test: a writing federation token"):
        federation = db.session.get(Federation, world.a.federation.id)
        _token, plaintext = factories.make_token(
            TokenLevel.FEDERATION, federation=federation, read_only=False
        )
        db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def _reader(world) -> dict:
    return {"Authorization": f"Bearer {world.a.tokens['ro'][1]}"}


def _count(model) -> int:
    with system_scope("test: count rows"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _submit(client, writer, **changes) -> dict:
    response = client.post(
        "/api/v1/establishment/applications",
        json=factories.application_data(**changes),
        headers=writer,
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_federation_system_submits_and_the_applicant_follows_the_link(client, world, writer):
    created = _submit(client, writer, university_name="湖州学院")
    application = created["application"]
    assert application["federation_id"] == world.a.federation.id
    assert application["status"] == "submitted"
    assert [e["action"] for e in application["events"]] == ["submitted"]
    assert created["tracking_url"].startswith("http://localhost/establishment/track#")
    key = factories.tracking_key(created["tracking_url"])
    page = client.post("/establishment/track", data={"key": key}).get_data(as_text=True)
    assert "湖州学院" in page
    # A read-only federation token lists and reads it; it may not decide.
    listed = client.get(
        "/api/v1/establishment/applications?status=submitted", headers=_reader(world)
    ).json
    assert application["id"] in [a["id"] for a in listed]
    refused = client.post(
        f"/api/v1/establishment/applications/{application['id']}/reject",
        json={"reason": "重复申请"},
        headers=_reader(world),
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"charter_accepted": False}, "charter_accepted"),
        ({"st_workers": 50}, "st_workers"),
        ({"category": "unknown"}, "category"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"surprise": "field"}, "surprise"),
    ],
)
def test_bad_applications_get_a_4xx_message_and_nothing_is_kept(
    client, world, writer, changes, field
):
    before = _count(EstablishmentApplication)
    response = client.post(
        "/api/v1/establishment/applications",
        json=factories.application_data(**changes),
        headers=writer,
    )
    assert response.status_code == 422
    assert field in str(response.json["errors"]), response.json
    assert _count(EstablishmentApplication) == before


def test_decisions_need_their_text_and_an_application_awaiting_review(client, world, writer):
    url = f"/api/v1/establishment/applications/{world.a.application[0]}"
    before = (_count(ApplicationEvent), _count(Association))
    assert client.post(f"{url}/return", json={"comment": ""}, headers=writer).status_code == 422
    assert client.post(f"{url}/reject", json={}, headers=writer).status_code == 422
    assert client.post(f"{url}/approve", json={}, headers=writer).status_code == 422
    assert (_count(ApplicationEvent), _count(Association)) == before

    returned = client.post(f"{url}/return", json={"comment": "请补充材料"}, headers=writer)
    assert returned.status_code == 200 and returned.json["status"] == "returned"
    late = client.post(
        f"{url}/approve", json={"document_number": "浙科协〔2026〕1号"}, headers=writer
    )
    assert late.status_code == 422
    assert late.json["message"] == "该申请不在待审核状态。"
    with system_scope("test: the application"):
        application = db.session.get(EstablishmentApplication, world.a.application[0])
        assert (application.status, application.association_id) == ("returned", None)


def test_only_the_reviewers_read_the_applicants_contact_in_clear(client, world, writer):
    url = f"/api/v1/establishment/applications/{world.a.application[0]}"
    clear = client.get(url, headers=writer).json
    assert (clear["contact_name"], clear["contact_email"]) == ("马丽", "mali@example.edu.cn")
    national = {"Authorization": f"Bearer {world.national_a[1]}"}  # read-only, province A
    for reader in (national, _reader(world)):
        one = client.get(url, headers=reader)
        listed = client.get("/api/v1/establishment/applications", headers=reader)
        assert one.status_code == listed.status_code == 200
        (in_list,) = [a for a in listed.json if a["id"] == world.a.application[0]]
        for seen in (one.json, in_list):
            assert (seen["contact_name"], seen["contact_email"]) == ("马*", "m***@example.edu.cn")
            assert seen["university_name"] == clear["university_name"]
        assert "mali@" not in one.get_data(as_text=True) + listed.get_data(as_text=True)


def test_another_provinces_application_is_a_404_whatever_the_body(client, world, writer):
    foreign = world.b.application[0]
    for action in ("approve", "return", "reject"):
        response = client.post(
            f"/api/v1/establishment/applications/{foreign}/{action}", json={}, headers=writer
        )
        assert response.status_code == 404
    assert (
        client.get(f"/api/v1/establishment/applications/{foreign}", headers=writer).status_code
        == 404
    )


def test_rejecting_keeps_the_reason(client, world, writer):
    application = _submit(client, writer)["application"]
    response = client.post(
        f"/api/v1/establishment/applications/{application['id']}/reject",
        json={"reason": "该校已有科协"},
        headers=writer,
    )
    assert response.json["status"] == "rejected"
    assert response.json["events"][-1]["comment"] == "该校已有科协"


def test_approval_makes_the_first_admin_who_sets_a_password_and_signs_in(
    client, world, writer, app, outbox
):
    application = _submit(client, writer, contact_name="周敏", contact_email="Zhoumin@hzu.edu.cn")[
        "application"
    ]
    documents = f"/api/v1/establishment/applications/{application['id']}/documents"
    pdf = {"file": (io.BytesIO(factories.PDF_BYTES), "学校批复.pdf")}
    assert client.post(documents, data=pdf, headers=writer).status_code == 201
    response = client.post(
        f"/api/v1/establishment/applications/{application['id']}/approve",
        json={"document_number": "浙科协函〔2026〕7号"},
        headers=writer,
    )
    assert response.status_code == 200, response.json
    approval = response.json
    assert approval["application"]["status"] == "approved"
    assert approval["admin_username"] == "zhoumin@hzu.edu.cn"
    assert approval["emailed_to"] == "Zhoumin@hzu.edu.cn"
    (welcome,) = outbox
    assert welcome.to == ["Zhoumin@hzu.edu.cn"]
    assert welcome.subject.endswith("已获批准成立：请设置登录密码")
    assert "您的用户名为 zhoumin@hzu.edu.cn" in welcome.body
    assert approval["set_password_link"] in welcome.body
    with system_scope("test: the new account"):
        admin = db.session.scalar(sa.select(User).where(User.username == "zhoumin@hzu.edu.cn"))
        assert (admin.role, admin.association_id, admin.display_name) == (
            "association_admin",
            approval["association_id"],
            "周敏",
        )

    token = factories.set_password_token(approval["set_password_link"])
    link = "/account/set-password"
    # Opening the link shows the account; too short a password is refused and the link
    # still works.
    opened = client.post(link, data={"token": token})
    assert opened.status_code == 200 and "zhoumin@hzu.edu.cn" in opened.get_data(as_text=True)
    short = {"token": token, "new": "short", "confirm": "short"}
    assert client.post(link, data=short).status_code == 400
    good = {"token": token, "new": "a-long-secret-2026", "confirm": "a-long-secret-2026"}
    assert client.post(link, data=good).status_code == 302
    # One time only, and it says so.
    again = client.post(link, data={"token": token})
    assert again.status_code == 404 and "此链接已被使用" in again.get_data(as_text=True)
    assert client.post(link, data=good).status_code == 404

    login = client.post(
        "/login", data={"username": "zhoumin@hzu.edu.cn", "password": "a-long-secret-2026"}
    )
    assert login.status_code == 302
    home = client.get(f"/governance/{approval['association_id']}")
    assert home.status_code == 200
    from service.audit.models import AuditEvent

    with system_scope("test: the audit trail"):
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity == "user_account", AuditEvent.entity_id == str(admin.id)
            )
        ).all()
    assert {"create", "set_password_link", "set_password", "login"} <= set(actions)


def test_a_forged_or_tampered_link_is_a_404(client, world):
    response = client.post("/account/set-password", data={"token": "not-a-token"})
    assert response.status_code == 404
    assert "此链接无效" in response.get_data(as_text=True)


def test_the_officer_sees_the_link_on_approval_and_can_issue_a_new_one(client, world):
    from service.auth.roles import Role

    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    url = f"/establishment/{world.a.application[0]}"
    response = client.post(
        url, data={"decision": "approve", "document_number": "浙科协函〔2026〕9号"}
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "首位管理员" in page
    first = factories.set_password_token(page)
    response = client.post(f"{url}/admin-link")
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    second = factories.set_password_token(page)
    client.post("/logout")
    # The new link supersedes the first, which says so.
    superseded = client.post("/account/set-password", data={"token": first})
    assert superseded.status_code == 404
    assert "此链接已被更新的链接取代" in superseded.get_data(as_text=True)
    assert client.post("/account/set-password", data={"token": second}).status_code == 200
