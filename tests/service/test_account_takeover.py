"""The level above cannot take over an account: a federation officer can send a set-password
link only to an administrator who never set a password, and every link works once. A holder
who forgot the password gets a link at the address on file; the platform operator's reset
tells the holder and is audited."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth import password_links
from service.auth.models import PasswordLink, User
from service.auth.roles import Role
from service.governance import first_admin
from tenants.db import db
from tenants.scope import system_scope
from tests import factories

LINK = "/account/set-password"
PASSWORD = "the-holders-own-2026"


def _approve(client, world) -> tuple[str, str]:
    """The officer approves province A's application; returns the review URL and the token
    of the first administrator's link shown to the officer."""
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    url = f"/establishment/{world.a.application[0]}"
    response = client.post(url, data={"decision": "approve", "document_number": "浙科协函〔1〕"})
    assert response.status_code == 302
    return url, factories.set_password_token(client.get(url).get_data(as_text=True))


def _set_password(client, token: str, password: str = PASSWORD):
    return client.post(LINK, data={"token": token, "new": password, "confirm": password})


def _links() -> int:
    with system_scope("test: count links"):
        return db.session.scalar(sa.select(sa.func.count(PasswordLink.id)))


def _signs_in(app, username: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"username": username, "password": password})
    return response.status_code == 302


def test_the_officer_cannot_take_over_an_admin_who_has_set_a_password(app, client, world):
    url, token = _approve(client, world)
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    # The contact sets the password through the officer's link and signs in.
    assert _set_password(app.test_client(), token).status_code == 302
    username = "mali@example.edu.cn"
    assert _signs_in(app, username, PASSWORD)

    # The officer asks for a fresh link, as the attack did: refused, in Chinese, no link made.
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    before = _links()
    response = client.post(f"{url}/admin-link", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已设置密码，任何他人都不能再为该账号获取设置密码链接" in page
    assert "/account/set-password#" not in page
    assert _links() == before
    # The review page no longer offers the button.
    assert "admin-link" not in page and "该管理员已设置密码" in page

    # Nor can the service be asked directly, whatever the caller.
    with system_scope("test: the administrator"):
        admin = db.session.scalar(sa.select(User).where(User.username == username))
        try:
            first_admin.welcome(admin, "某科协", admin.email)
        except password_links.LinkRefused:
            pass
        else:
            raise AssertionError("a link was issued for an account in use")

    # The officer's old link is spent: it says so and changes nothing.
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    reused = _set_password(app.test_client(), token, "the-officers-choice-1")
    assert reused.status_code == 404
    assert "此链接已被使用" in reused.get_data(as_text=True)
    assert not _signs_in(app, username, "the-officers-choice-1")
    assert _signs_in(app, username, PASSWORD)


def test_a_link_works_once_and_only_while_it_is_the_newest(app, client, world):
    url, first = _approve(client, world)
    client.post(f"{url}/admin-link")
    second = factories.set_password_token(client.get(url).get_data(as_text=True))
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    holder = app.test_client()
    superseded = _set_password(holder, first)
    assert superseded.status_code == 404
    assert "此链接已被更新的链接取代" in superseded.get_data(as_text=True)
    assert _set_password(holder, second).status_code == 302
    assert _set_password(holder, second, "another-password-1").status_code == 404
    assert _signs_in(app, "mali@example.edu.cn", PASSWORD)


def test_only_the_nonces_hash_is_kept(app, client, world):
    _url, token = _approve(client, world)
    with system_scope("test: the stored link"):
        stored = db.session.scalars(sa.select(PasswordLink.nonce_hash)).all()
    assert len(stored) == 1
    assert all(part not in stored[0] for part in token.split(".") if len(part) > 6)


def test_an_expired_link_says_so(app, client, world, monkeypatch):
    _url, token = _approve(client, world)
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    monkeypatch.setitem(app.config, "SET_PASSWORD_LINK_DAYS", -1)
    response = client.post(LINK, data={"token": token})
    assert response.status_code == 404
    assert "此链接已过期" in response.get_data(as_text=True)


def test_a_forgotten_password_is_reset_through_the_address_on_file(app, client, world, outbox):
    _url, token = _approve(client, world)
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    assert _set_password(client, token).status_code == 302
    welcome = len(outbox)

    response = client.post("/account/forgot-password", data={"username": "mali@example.edu.cn"})
    assert response.status_code == 302
    assert len(outbox) == welcome + 1
    message = outbox[-1]
    assert message.to == ["mali@example.edu.cn"] and message.subject == "设置登录密码"
    assert "有人（可能是您本人）申请重置您的密码。" in message.body
    reset = factories.set_password_token(message.body)
    assert _set_password(client, reset, "a-new-one-2026-x").status_code == 302
    assert _signs_in(app, "mali@example.edu.cn", "a-new-one-2026-x")
    assert not _signs_in(app, "mali@example.edu.cn", PASSWORD)

    # An unknown username, or an account without an address, gets the same answer and no mail.
    for username in ("nobody-at-all", world.a.first.users[Role.ASSOCIATION_STAFF].username):
        response = client.post("/account/forgot-password", data={"username": username})
        assert response.status_code == 302
    assert len(outbox) == welcome + 1


def test_without_smtp_a_forgotten_password_goes_to_the_operator(client, world):
    page = client.get("/account/forgot-password").get_data(as_text=True)
    assert "请联系平台运维人员重置密码" in page
    before = _links()
    assert client.post("/account/forgot-password", data={"username": "x"}).status_code == 302
    assert _links() == before


def test_the_operator_reset_tells_the_holder_and_is_audited(app, client, world, outbox):
    _url, token = _approve(client, world)
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    assert _set_password(client, token).status_code == 302
    holder = app.test_client()
    assert _signs_in(app, "mali@example.edu.cn", PASSWORD)
    with system_scope("test: the administrator"):
        admin = db.session.scalar(sa.select(User).where(User.username == "mali@example.edu.cn"))
    holder.login_as(admin)
    assert holder.get("/").status_code == 200

    # Nobody but the platform operator may reset.
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    assert client.post("/account-recovery", data={"username": admin.username}).status_code == 403
    client.login_as(world.operator)
    response = client.post("/account-recovery", data={"username": admin.username})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "的密码已重置" in page
    # The link went to the holder, not to the operator's page.
    assert "/account/set-password#" not in page
    assert outbox[-1].to == ["mali@example.edu.cn"]
    assert "平台运维人员已重置您的密码" in outbox[-1].body
    # The old password and the holder's session stop at once.
    assert not _signs_in(app, admin.username, PASSWORD)
    assert holder.get("/").status_code == 302
    with system_scope("test: the audit trail"):
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity == "user_account", AuditEvent.entity_id == str(admin.id)
            )
        ).all()
    assert "password_reset" in actions
    # The holder chooses the new password; the officer still cannot send a link.
    assert (
        _set_password(app.test_client(), factories.set_password_token(outbox[-1].body)).status_code
        == 302
    )
    assert _signs_in(app, admin.username, PASSWORD)


def test_without_smtp_the_operator_hands_the_link_over(app, client, world):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    client.login_as(world.operator)
    page = client.post("/account-recovery", data={"username": staff.username}).get_data(
        as_text=True
    )
    token = factories.set_password_token(page)
    client.delete_cookie("session")  # signing out would end all the officer's sessions
    assert _set_password(client, token).status_code == 302
    assert _signs_in(app, staff.username, PASSWORD)
