"""The second factor (TOTP) of privileged accounts: enrolment on the way in, a wrong code, a
replayed code, recovery codes, the operator's reset, and the production setting."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from service.audit.models import AuditEvent, PlatformAuditEvent
from service.auth import sealed
from service.auth.models import RecoveryCode, User
from service.auth.roles import Role
from service.config import ConfigError, from_environment
from tenants.db import db
from tenants.scope import system_scope
from tests import factories


@pytest.fixture
def required(app, monkeypatch):
    """The production setting: privileged accounts may not sign in without it."""
    monkeypatch.setitem(app.config, "SECOND_FACTOR_REQUIRED", True)


def _password(client, username: str, **extra):
    return client.post(
        "/login", data={"username": username, "password": factories.PASSWORD, **extra}
    )


def _signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def _key(page: str) -> str:
    return re.search(r'<code class="totp-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def _codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)


def _row(user_id: int) -> User:
    with system_scope("test: read the account"):
        row = db.session.get(User, user_id)
        db.session.refresh(row)
        db.session.expunge(row)
    return row


def _events(user, action: str) -> list[AuditEvent | PlatformAuditEvent]:
    """The account's events: in its association's log, or in the platform's for an account
    of none (an officer, the operator)."""
    log = PlatformAuditEvent if user.association_id is None else AuditEvent
    with system_scope("test: read the log"):
        events = db.session.scalars(
            sa.select(log).where(log.entity_id == str(user.id), log.action == action)
        ).all()
        db.session.expunge_all()
    return events


def _enrol(client, user) -> tuple[pyotp.TOTP, list[str]]:
    """Sign in with the password, set up the second factor on the way in."""
    answer = _password(client, user.username)
    assert answer.status_code == 302 and answer.location.endswith("/account/second-factor")
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page and "设置二次验证" in page
    totp = pyotp.TOTP(_key(page))
    done = client.post("/account/second-factor", data={"code": totp.now()})
    assert done.status_code == 201
    codes = _codes(done.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes


def _next_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: still accepted (a phone's clock may run ahead)."""
    return totp.at(time.time() + totp.interval)


def test_a_privileged_account_enrols_before_its_sign_in_completes(app, world, client, required):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    answer = _password(client, admin.username)
    assert answer.status_code == 302 and answer.location.endswith("/account/second-factor")
    assert not _signed_in(client)  # the password alone signs no one in

    page = client.get("/account/second-factor").get_data(as_text=True)
    key = _key(page)
    assert key == _key(client.get("/account/second-factor").get_data(as_text=True))
    assert "https://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # drawn here
    wrong = client.post("/account/second-factor", data={"code": "000000"})
    assert wrong.status_code == 400 and "验证码错误" in wrong.get_data(as_text=True)
    assert not _signed_in(client)

    done = client.post("/account/second-factor", data={"code": pyotp.TOTP(key).now()})
    assert done.status_code == 201
    codes = _codes(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert _signed_in(client)

    row = _row(admin.id)
    assert row.totp_enrolled_at is not None
    assert key not in row.totp_secret  # sealed, not stored as it is
    with system_scope("test: the recovery codes kept"):
        hashes = db.session.scalars(
            sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)
        ).all()
    assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)
    assert len(_events(admin, "second_factor_enrolled")) == 1
    (login,) = _events(admin, "login")
    assert login.changes == {"second_factor": "enrolled"}


def test_an_enrolled_account_is_asked_for_a_code_a_wrong_or_replayed_one_is_refused(
    app, world, required
):
    officer = world.a.users[Role.FEDERATION_OFFICER]
    totp, _codes = _enrol(app.test_client(), officer)
    used = totp.now()  # accepted at enrolment

    client = app.test_client()
    answer = _password(client, officer.username)
    assert answer.location.endswith("/login/second-factor")
    assert not _signed_in(client)
    wrong = client.post("/login/second-factor", data={"code": "123456"})
    assert wrong.status_code == 401 and "验证码错误或已用过" in wrong.get_data(as_text=True)
    replay = client.post("/login/second-factor", data={"code": used})
    assert replay.status_code == 401  # the step is spent: the same code never works twice
    assert not _signed_in(client)

    right = client.post("/login/second-factor", data={"code": _next_code(totp)})
    assert right.status_code == 302
    assert _signed_in(client)
    assert [e.changes for e in _events(officer, "login")][-1] == {"second_factor": "totp"}


def test_a_recovery_code_works_once(app, world, required):
    operator = world.operator
    _totp, codes = _enrol(app.test_client(), operator)

    client = app.test_client()
    _password(client, operator.username)
    assert client.post("/login/second-factor", data={"code": codes[3].upper()}).status_code == 302
    assert _signed_in(client)
    assert _events(operator, "second_factor_recovery_used")[0].changes == {"left": 9}

    again = app.test_client()
    _password(again, operator.username)
    assert again.post("/login/second-factor", data={"code": codes[3]}).status_code == 401
    assert not _signed_in(again)


def test_without_the_production_setting_enrolment_is_offered_not_forced(app, world, client):
    admin = world.b.first.users[Role.ASSOCIATION_ADMIN]
    assert _password(client, admin.username).location.endswith("/")
    assert _signed_in(client)
    page = client.get("/account/second-factor").get_data(as_text=True)
    totp = pyotp.TOTP(_key(page))
    assert client.post("/account/second-factor", data={"code": totp.now()}).status_code == 201
    # Once enrolled, the code is asked for at every sign-in, setting or not.
    again = app.test_client()
    assert _password(again, admin.username).location.endswith("/login/second-factor")


def test_a_member_is_not_asked_for_a_second_factor(app, world, client, required):
    member = world.a.first.users[Role.MEMBER]
    assert _password(client, member.username).location.endswith("/")
    assert _signed_in(client)


def test_a_held_sign_in_ends_with_a_password_reset(app, world, client, required):
    supervisor = world.a.users[Role.EDUCATION_SUPERVISOR]
    totp, _codes = _enrol(app.test_client(), supervisor)
    _password(client, supervisor.username)
    with system_scope("test: the password is reset meanwhile"):
        db.session.execute(
            sa.update(User).where(User.id == supervisor.id).values(session_token="changed")
        )
        db.session.commit()
    answer = client.post("/login/second-factor", data={"code": _next_code(totp)})
    assert answer.status_code == 302 and answer.location.endswith("/login")
    assert not _signed_in(client)


def test_new_recovery_codes_replace_the_old_ones(app, world, required):
    admin = world.a.second.users[Role.ASSOCIATION_ADMIN]
    client = app.test_client()
    totp, old = _enrol(client, admin)
    status = client.get("/account/second-factor").get_data(as_text=True)
    assert "剩余恢复码：10" in status
    assert (
        client.post("/account/second-factor/recovery-codes", data={"code": "000000"}).status_code
        == 400
    )
    renewed = client.post("/account/second-factor/recovery-codes", data={"code": _next_code(totp)})
    assert renewed.status_code == 201
    new = _codes(renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)

    other = app.test_client()
    _password(other, admin.username)
    assert other.post("/login/second-factor", data={"code": old[0]}).status_code == 401
    assert other.post("/login/second-factor", data={"code": new[0]}).status_code == 302


def test_the_operator_resets_a_second_factor_the_holder_is_told(app, world, outbox, required):
    officer = world.b.users[Role.FEDERATION_OFFICER]
    with system_scope("test: the officer's address on file"):
        db.session.execute(
            sa.update(User).where(User.id == officer.id).values(email="officer@zj.example.cn")
        )
        db.session.commit()
    holder = app.test_client()
    _totp, codes = _enrol(holder, officer)
    assert _signed_in(holder)

    admin = app.test_client().login_as(world.b.first.users[Role.ASSOCIATION_ADMIN])
    denied = admin.post("/account-recovery/second-factor", data={"username": officer.username})
    assert denied.status_code == 403

    operator = app.test_client().login_as(world.operator)
    unknown = operator.post("/account-recovery/second-factor", data={"username": "nobody-here"})
    assert unknown.status_code == 400
    own = operator.post(
        "/account-recovery/second-factor", data={"username": world.operator.username}
    )
    assert own.status_code == 400
    done = operator.post("/account-recovery/second-factor", data={"username": officer.username})
    assert done.status_code == 200
    assert "officer@zj.example.cn" in done.get_data(as_text=True)
    (told,) = outbox
    assert told.to == ["officer@zj.example.cn"] and told.subject == "您的二次验证已被重置"
    assert f"平台运维人员已移除您的账号 {officer.username} 的二次验证" in told.body

    assert not _signed_in(holder)  # every session of the holder ended
    row = _row(officer.id)
    assert row.totp_secret is None and row.totp_enrolled_at is None
    (event,) = _events(officer, "second_factor_reset")
    assert event.actor.startswith(f"user:{world.operator.id}") and event.changes == {
        "emailed": True
    }
    # The old key and recovery codes are gone: the holder enrols again on the way in.
    again = app.test_client()
    assert _password(again, officer.username).location.endswith("/account/second-factor")
    assert again.post("/login/second-factor", data={"code": codes[0]}).status_code == 401
    assert not _signed_in(again)


def test_the_production_configuration_requires_the_second_factor(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": "postgres://u@h/d"}
    assert from_environment(str(tmp_path), env)["SECOND_FACTOR_REQUIRED"] is True
    assert from_environment(str(tmp_path), {})["SECOND_FACTOR_REQUIRED"] is False
    with pytest.raises(ConfigError, match="SECRETS_KEY"):
        from_environment(str(tmp_path), {**env, "SECRETS_KEY": "not-a-key"})


def test_a_sealed_secret_opens_only_with_its_key(app, monkeypatch):
    with app.app_context():
        monkeypatch.setitem(app.config, "SECRETS_KEY", "A" * 43 + "=")
        box = sealed.seal("JBSWY3DPEHPK3PXP")
        assert "JBSWY3DP" not in box and sealed.unseal(box) == "JBSWY3DPEHPK3PXP"
        monkeypatch.setitem(app.config, "SECRETS_KEY", "B" * 43 + "=")
        with pytest.raises(sealed.Unsealable):
            sealed.unseal(box)
