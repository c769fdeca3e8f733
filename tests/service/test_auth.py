"""Signing in and out, throttling, sessions that end, and API tokens."""

import re
import time
from datetime import timedelta

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth import devices, throttle
from service.auth import services as auth
from service.auth.models import ApiToken, User
from service.auth.roles import Role
from tenants.db import db
from tenants.models import utcnow
from tenants.scope import system_scope
from tests import factories

PASSWORD = "a-real-passw0rd"


def _real_user(world, role=Role.ASSOCIATION_ADMIN) -> User:
    """A user with a production-strength (scrypt) password hash."""
    with system_scope("test: a user with a real password"):
        user = factories.make_user(role, association=world.a.first.association)
        user.password_hash = auth.hash_password(PASSWORD)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_login_with_the_right_password_opens_the_home_page_in_chinese(world, client):
    user = _real_user(world)
    response = _login(client, user.username)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert world.a.first.association.name in page
    assert "待办事项" in page  # "What to do next"


def test_a_wrong_password_is_refused_with_a_message(world, client):
    user = _real_user(world)
    response = _login(client, user.username, "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_a_deactivated_user_cannot_sign_in(world, client):
    user = _real_user(world)
    with system_scope("test: deactivate"):
        db.session.execute(sa.update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
    assert _login(client, user.username).status_code == 401


def test_login_is_throttled_per_address(app, world, client):
    statuses = [_login(client, f"nobody{i}", "x" * 12).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _wait_shown(response) -> int:
    """The wait the page tells ("try again in N seconds"). Retry-After is Flask-Limiter's:
    it never says less than the per-address window."""
    return int(re.search(r"请 (\d+) 秒后再试", response.get_data(as_text=True)).group(1))


def _attack(app, username: str, addresses: int = 10) -> list[int]:
    """Wrong passwords for `username`, one from each of `addresses` addresses."""
    return [
        _login(_from(app, f"10.0.0.{i + 1}"), username, "wrong-password").status_code
        for i in range(addresses)
    ]


def test_a_known_device_signs_in_while_the_username_is_under_attack(app, world):
    user = _real_user(world)
    laptop = _from(app, "10.0.9.1")
    assert _login(laptop, user.username).status_code == 302
    assert laptop.get_cookie(devices.COOKIE) is not None
    laptop.post("/logout")

    assert _attack(app, user.username) == [401] * 10
    # The guesser keeps going: from here each unknown device waits its turn.
    assert _login(_from(app, "10.0.0.11"), user.username, "wrong").status_code == 401
    stranger = _login(_from(app, "10.0.0.12"), user.username, "wrong")
    assert stranger.status_code == 429 and _wait_shown(stranger) <= 30

    # The holder's laptop, now at an 11th address, is not paced and gets in at once.
    laptop.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert _login(laptop, user.username).status_code == 302
    assert laptop.get("/").status_code == 200


def test_a_forged_or_foreign_device_cookie_is_a_stranger(app, world):
    user, other = _real_user(world), _real_user(world)
    elsewhere = _from(app, "10.0.9.2")
    assert _login(elsewhere, other.username).status_code == 302  # known to `other` only
    assert _attack(app, user.username) == [401] * 10
    assert _login(_from(app, "10.0.0.11"), user.username, "wrong").status_code == 401
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.1.2"
    assert _login(elsewhere, user.username).status_code == 429
    forged = _from(app, "10.0.1.3")
    forged.set_cookie(devices.COOKIE, "W10.forged.signature")
    assert _login(forged, user.username).status_code == 429


def test_without_a_known_device_the_right_password_is_slowed_not_refused(app, world, monkeypatch):
    # Short enough to wait for here, long enough for a slow machine's password check.
    monkeypatch.setitem(app.config, "LOGIN_SLOW_PACE", 6)
    user = _real_user(world)
    assert _attack(app, user.username) == [401] * 10
    assert _login(_from(app, "10.0.0.11"), user.username, "wrong").status_code == 401
    holder = _from(app, "10.0.1.1")
    slowed = _login(holder, user.username)
    assert slowed.status_code == 429
    wait = _wait_shown(slowed)
    assert 1 <= wait <= 6
    time.sleep(wait + 1)  # Redis reports whole seconds, rounded
    # Within one pace of the last try, the right password gets in.
    assert _login(holder, user.username).status_code == 302


def test_backoff_per_address_stops_a_guesser_there_only(app, world):
    user = _real_user(world)
    guesser = _from(app, "10.0.0.1")
    assert [_login(guesser, user.username, f"guess-{i}").status_code for i in range(5)] == [401] * 5
    # The right password now waits too: the check is not even made.
    waiting = _login(guesser, user.username)
    assert waiting.status_code == 429 and _wait_shown(waiting) == 15
    # The account is not locked: from another address it signs in.
    assert _login(_from(app, "10.0.0.2"), user.username).status_code == 302


def test_the_backoff_doubles_up_to_a_quarter_of_an_hour():
    assert [throttle.pair_wait(n) for n in (1, 4, 5, 6, 7, 10, 20)] == [
        0, 0, 15, 30, 60, 480, 900,
    ]  # fmt: skip


def test_the_holder_is_told_of_repeated_failures(app, world, outbox):
    user = _real_user(world)
    with system_scope("test: the holder's member record, with an address"):
        member = factories.make_member(world.a.first.association, user=user)
        address = member.email
        db.session.commit()

    assert _attack(app, user.username, 9) == [401] * 9
    assert outbox == []  # below the ceiling: nothing yet
    assert _attack(app, user.username, 1) == [401]
    (message,) = outbox
    assert message.to == [address] and message.subject == "您的账号有多次登录失败"
    assert f"有人以 {user.username} 登录失败了 10 次" in message.body
    with system_scope("test: read the account"):
        row = db.session.get(User, user.id)
        assert row.failed_logins == 10 and row.failed_logins_since is not None
        noted = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "user_account",
                AuditEvent.entity_id == str(user.id),
                AuditEvent.action == "update",
            )
        ).all()
        (noted,) = [e for e in noted if "failed_logins" in (e.changes or {})]
        assert noted.actor == "system:sign-in-throttle" and noted.changes["failed_logins"][1] == 10
        db.session.expunge_all()

    # At the next sign-in the holder reads it, once.
    holder = _from(app, "10.0.1.1")
    assert _login(holder, user.username).status_code == 302
    assert "至少有 10 次" in holder.get("/").get_data(as_text=True)
    assert "至少有 10 次" not in holder.get("/").get_data(as_text=True)
    with system_scope("test: read the account"):
        assert db.session.get(User, user.id).failed_logins == 0
        db.session.expunge_all()


def test_nothing_from_before_login_survives_it(world, client):
    user = _real_user(world)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    _login(client, user.username)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, world, client):
    user = _real_user(world)
    _login(client, user.username)
    other = app.test_client()
    _login(other, user.username)
    remembered = app.test_client()
    _login(remembered, user.username, remember="y")
    remember_cookie = remembered.get_cookie("remember_token")
    assert remember_cookie is not None

    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "another-passw0rd", "confirm": "another-passw0rd"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    # The remember-me cookie alone no longer signs anyone in.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember_cookie.value)
    assert fresh.get("/").status_code == 302


def test_a_password_change_needs_the_current_password(world, client):
    user = _real_user(world)
    _login(client, user.username)
    response = client.post(
        "/account/password",
        data={"current": "wrong-one", "new": "another-passw0rd", "confirm": "another-passw0rd"},
    )
    assert response.status_code == 400
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_logout_ends_the_session(world, client):
    user = _real_user(world)
    _login(client, user.username)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_forms_without_a_csrf_token_are_refused(app, world):
    client = app.test_client()
    client.csrf = False
    user = _real_user(world)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_is_recorded_in_the_audit_log(world, client):
    user = _real_user(world)
    _login(client, user.username)
    with system_scope("test: read the log"):
        event = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "login", AuditEvent.entity_id == str(user.id)
            )
        ).one()
    assert event.tenant_id == world.a.first.association.id
    assert event.actor == f"user:{user.id} {user.username}"


# --- API tokens -----------------------------------------------------------------------


def _bearer(plaintext):
    return {"Authorization": f"Bearer {plaintext}"}


def test_tokens_are_stored_only_as_a_hash(world):
    token, plaintext = world.a.first.tokens["ro"]
    with system_scope("test: look at the stored token"):
        stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.id == token.id)).one()
        dump = str([tuple(r) for r in db.session.execute(sa.select(ApiToken.__table__)).all()])
    secret = plaintext.split("_", 2)[2]
    assert stored.secret_hash != secret
    assert secret not in dump


def test_a_token_reads_its_association(world, client):
    _token, plaintext = world.a.first.tokens["ro"]
    response = client.get("/api/v1/me/", headers=_bearer(plaintext))
    assert response.status_code == 200
    assert response.json["association_id"] == world.a.first.association.id
    assert response.json["read_only"] is True


def test_a_tampered_token_is_refused(world, client):
    _token, plaintext = world.a.first.tokens["ro"]
    response = client.get("/api/v1/me/", headers=_bearer(plaintext[:-2] + "xx"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["code"] == 401


def test_a_revoked_token_is_refused_at_once(world, client):
    token, plaintext = world.a.first.tokens["ro"]
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    client.login_as(admin)
    assert client.post(f"/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/me/", headers=_bearer(plaintext)).status_code == 401


def test_an_expired_token_is_refused(world, client):
    token, plaintext = world.a.first.tokens["ro"]
    with system_scope("test: expire the token"):
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get("/api/v1/me/", headers=_bearer(plaintext)).status_code == 401


def test_the_api_ignores_the_session_cookie(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/associations/").status_code == 401


def test_a_token_made_on_the_web_is_shown_once(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.post("/tokens", data={"name": "年报对接", "days": "30", "writable": "y"})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    plaintext = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert plaintext.startswith("kx_")
    me = client.get("/api/v1/me/", headers=_bearer(plaintext)).json
    assert me["level"] == "association"
    assert me["association_id"] == world.a.first.association.id
    assert me["read_only"] is False
    assert plaintext not in client.get("/tokens").get_data(as_text=True)


def test_a_federation_officer_makes_federation_tokens_only(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.post("/tokens", data={"name": "省级看板", "days": "30"}).get_data(as_text=True)
    plaintext = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    me = client.get("/api/v1/me/", headers=_bearer(plaintext)).json
    assert (me["level"], me["federation_id"]) == ("federation", world.a.federation.id)


def test_a_bad_token_request_changes_nothing(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    with system_scope("test: count"):
        before = db.session.scalar(sa.select(sa.func.count(ApiToken.id)))
    response = client.post("/tokens", data={"name": "", "days": "9999"})
    assert response.status_code == 400
    with system_scope("test: count"):
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == before


def test_the_cli_creates_a_working_national_token(app, world, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["tokens", "create", "--name", "国家汇总", "--national", str(world.b.federation.id)]
    )
    assert result.exit_code == 0, result.output
    plaintext = next(line for line in result.output.splitlines() if line.startswith("kx_"))
    listed = client.get("/api/v1/associations/", headers=_bearer(plaintext)).json
    assert {a["federation_id"] for a in listed} == {world.b.federation.id}


def test_the_cli_refuses_a_token_without_an_owner(app):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--name", "x"])
    assert result.exit_code != 0
    assert "exactly one" in result.output


# --- users ----------------------------------------------------------------------------


def test_an_admin_adds_staff_to_their_own_association(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        "/users",
        data={
            "username": "new-clerk",
            "display_name": "李秘书",
            "role": "association_staff",
            "password": "a-long-passw0rd",
        },
    )
    assert response.status_code == 302
    with system_scope("test: read the user"):
        user = db.session.scalars(sa.select(User).where(User.username == "new-clerk")).one()
    assert (user.role, user.association_id) == ("association_staff", world.a.first.association.id)


def test_an_admin_cannot_make_an_operator(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        "/users",
        data={
            "username": "sneaky",
            "display_name": "x",
            "role": "operator",
            "password": "a-long-passw0rd",
        },
    )
    assert response.status_code == 400
    with system_scope("test: read the user"):
        assert db.session.scalar(sa.select(User.id).where(User.username == "sneaky")) is None


def test_deactivating_a_user_ends_their_session(app, world, client):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    staff_client = app.test_client().login_as(staff)
    assert staff_client.get("/").status_code == 200
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.post(f"/users/{staff.id}/active", data={"active": "0"}).status_code == 302
    assert staff_client.get("/").status_code == 302
