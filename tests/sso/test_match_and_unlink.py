"""Matching a university account to a member record by 工号 (the staff number the CAS server
releases as employeeNumber, the OIDC provider as a claim), and undoing a link: by its holder
from their own page, with a confirmation, and by the association's administrator. Every
link, unlink and role grant is in the audit log; after an unlink the next sign-in asks for
consent again."""

from __future__ import annotations

import requests
import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.roles import Role
from service.members.models import Member
from service.sso.models import SsoLink
from tenants.db import db
from tenants.scope import system_scope
from tests.sso.test_cas import _member, _provider, _signed_in_as, _university_sign_in
from tests.sso.test_oidc import _provider as _oidc_provider
from tests.sso.test_oidc import _university_sign_in as _oidc_sign_in


def _events(action: str, user_id: int) -> list[AuditEvent]:
    with system_scope("test: the log"):
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.entity_id == str(user_id))
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return events


def _account_of(member_id: int) -> int | None:
    with system_scope("test: the member's account"):
        db.session.expire_all()
        return db.session.get(Member, member_id).user_id


def _link_of(user_id: int) -> SsoLink | None:
    with system_scope("test: the account's link"):
        return db.session.scalar(sa.select(SsoLink).where(SsoLink.user_id == user_id))


def _linked(client, association_id: int, username: str) -> None:
    back = _university_sign_in(client, association_id, username)
    assert back.location.endswith(f"/sso/{association_id}/link"), back.location
    assert client.post(back.location, data={"consent": "y"}).status_code == 302


def test_a_member_is_found_by_staff_number_from_the_cas_attribute(app, world, client, cas):
    association = world.a.first.association
    _provider(association.id, cas, match_field="staff_number", match_attribute="employeeNumber")
    # The e-mail on file is not the university's: only the staff number matches.
    member_id = _member(association, name="张三", email="old@example.cn", staff_number="0098123")
    _member(association, name="王某", staff_number="0098999")

    back = _university_sign_in(client, association.id, "zhang3")
    assert back.location.endswith(f"/sso/{association.id}/link")
    assert "张三" in client.get(back.location).get_data(as_text=True)
    client.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(client)
    assert _link_of(_account_of(member_id)).subject == "zhang3"

    # li4's staff number (0098124) is nobody's here: only the application.
    other = app.test_client()
    assert _university_sign_in(other, association.id, "li4").location.endswith("/no-record")


def test_staff_number_is_offered_on_the_settings_page(app, world, cas):
    admin = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    page = admin.get("/sso/settings").get_data(as_text=True)
    assert 'value="staff_number"' in page and "工号" in page
    saved = admin.post(
        "/sso/settings",
        data={"kind": "cas", "name": "统一身份认证", "server_url": cas.url, "version": "3",
              "match_field": "staff_number", "match_attribute": "employeeNumber"},
    )  # fmt: skip
    assert saved.status_code == 302
    page = admin.get("/sso/settings").get_data(as_text=True)
    assert 'value="employeeNumber"' in page
    bad = admin.post(
        "/sso/settings",
        data={"kind": "cas", "name": "x", "server_url": cas.url, "version": "3",
              "match_field": "id_card", "match_attribute": "x"},
    )  # fmt: skip
    assert bad.status_code == 400


def test_a_member_is_found_by_staff_number_from_an_oidc_claim(app, world, client, oidc):
    association = world.b.first.association
    _oidc_provider(
        association.id, oidc, match_field="staff_number", match_attribute="employee_number"
    )
    member_id = _member(association, name="张三", email="z@example.cn", staff_number="H2009031")
    back = _oidc_sign_in(client, association.id, "zhang3", requests.Session())
    assert back.location.endswith(f"/sso/{association.id}/link")
    client.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(client)
    assert _account_of(member_id) is not None


def test_a_member_unlinks_from_their_own_page_and_is_asked_again_next_time(app, world, client, cas):
    association = world.a.first.association
    _provider(association.id, cas)
    member_id = _member(association, name="张三", email="zhang3@zju.edu.cn")
    _linked(client, association.id, "zhang3")
    user_id = _account_of(member_id)

    me = _signed_in_as(client)
    assert "/sso/account" in me
    page = client.get("/sso/account").get_data(as_text=True)
    assert 'id="sso-linked"' in page and "zhang3" in page and "统一身份认证" in page

    unconfirmed = client.post("/sso/account/unlink", data={})
    assert unconfirmed.status_code == 400 and "勾选" in unconfirmed.get_data(as_text=True)
    assert _link_of(user_id) is not None and _signed_in_as(client)

    done = client.post("/sso/account/unlink", data={"confirm": "y"})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert _signed_in_as(client) is None
    assert _link_of(user_id) is None
    assert _account_of(member_id) == user_id  # the account and its record stay
    (event,) = _events("sso_unlink", user_id)
    assert event.changes["by"] == "holder" and event.tenant_id == association.id

    # The next sign-in at the university asks for consent again, and links the same account.
    again = app.test_client()
    back = _university_sign_in(again, association.id, "zhang3")
    assert back.location.endswith(f"/sso/{association.id}/link")
    assert _signed_in_as(again) is None
    again.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(again)
    assert _account_of(member_id) == user_id and _link_of(user_id).subject == "zhang3"
    assert len(_events("sso_link", user_id)) == 2


def test_an_account_without_a_link_has_nothing_to_unlink(app, world):
    client = app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = client.get("/sso/account").get_data(as_text=True)
    assert 'id="sso-not-linked"' in page
    assert client.post("/sso/account/unlink", data={"confirm": "y"}).status_code == 302
    assert client.get("/sso/account").status_code == 200  # still signed in


def test_the_association_admin_unlinks_a_member_and_the_member_is_signed_out(
    app, world, client, cas
):
    association = world.a.second.association
    _provider(association.id, cas)
    member_id = _member(association, name="李四", email="li4@zju.edu.cn")
    _linked(client, association.id, "li4")
    user_id = _account_of(member_id)

    admin_user = world.a.second.users[Role.ASSOCIATION_ADMIN]
    admin = app.test_client().login_as(admin_user)
    settings = admin.get("/sso/settings").get_data(as_text=True)
    assert "李四" in settings and f"/sso/accounts/{user_id}/unlink" in settings

    # Another association's administrator cannot reach the account.
    stranger = app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    refused = stranger.post(f"/sso/accounts/{user_id}/unlink", data={"confirm": "y"})
    assert refused.status_code == 404 and _link_of(user_id) is not None
    # Staff do not manage accounts.
    staff = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_STAFF])
    assert staff.post(f"/sso/accounts/{user_id}/unlink", data={"confirm": "y"}).status_code == 403

    unconfirmed = admin.post(f"/sso/accounts/{user_id}/unlink", data={})
    assert unconfirmed.status_code == 302 and _link_of(user_id) is not None
    done = admin.post(f"/sso/accounts/{user_id}/unlink", data={"confirm": "y"})
    assert done.status_code == 302 and done.location.endswith("/sso/settings")
    assert _link_of(user_id) is None
    assert _signed_in_as(client) is None  # the member's session ended with the link
    (event,) = _events("sso_unlink", user_id)
    assert event.changes["by"] == "administrator"
    assert event.actor.startswith(f"user:{admin_user.id} ")

    back = _university_sign_in(app.test_client(), association.id, "li4")
    assert back.location.endswith(f"/sso/{association.id}/link")  # consent asked again


def test_a_role_grant_is_audited(app, world):
    admin = app.test_client().login_as(world.b.first.users[Role.ASSOCIATION_ADMIN])
    created = admin.post(
        "/users",
        data={"username": "new-staff", "display_name": "新同事", "role": "association_staff",
              "password": "a long enough password", "email": ""},
    )  # fmt: skip
    assert created.status_code == 302
    with system_scope("test: the new account"):
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "new-staff"))
    (event,) = _events("role_grant", user_id)
    assert event.changes == {"role": "association_staff", "federation": None}
    assert event.tenant_id == world.b.first.association.id
