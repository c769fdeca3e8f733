"""One mailer (service/mail.py, on Flask-Mailman): each kind of message reaches the holder
with its subject and its template's text, in Chinese by default; without a relay nothing
is sent and the caller's fallback shows; a relay that cannot be reached gives False and a
log line that does not name the recipient."""

from __future__ import annotations

import logging
import socket
from datetime import date

import pytest
import sqlalchemy as sa
from flask import session
from flask_mailman import Mail

from service.associations.models import AssociationProfile
from service.auth import alerts, password_links, second_factor
from service.auth.models import User
from service.auth.roles import Role
from service.federation import guidance
from service.federation.models import Guidance
from service.governance import first_admin
from service.mail import send_template
from tenants.db import db
from tenants.models import utcnow
from tenants.scope import system_scope
from tests import factories

LINK = "/account/set-password#"


def _end_request(app, status: int) -> None:
    """What Flask does once the view has answered: the unit of work commits (below 400) or
    rolls back, and the mail waiting for the commit goes out or is dropped."""
    app.process_response(app.response_class(status=status))


def _with_email(user: User, address: str) -> None:
    with system_scope("test: an address on file"):
        db.session.execute(sa.update(User).where(User.id == user.id).values(email=address))
        db.session.commit()


def _contact(association_id: int) -> str:
    with system_scope("test: the association's contact"):
        return db.session.scalar(
            sa.select(AssociationProfile.contact_email).where(
                AssociationProfile.tenant_id == association_id
            )
        )


def test_the_operators_password_reset_mails_the_link(app, client, world, outbox):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    _with_email(staff, "staff@example.edu.cn")
    client.login_as(world.operator)
    page = client.post("/account-recovery", data={"username": staff.username})
    page = page.get_data(as_text=True)
    assert "链接已通过电子邮件发送至 staff@example.edu.cn" in page and LINK not in page

    (message,) = outbox
    assert message.to == ["staff@example.edu.cn"]
    assert message.from_email == "noreply@kexie.example.cn"
    assert message.subject == "设置登录密码"
    with app.app_context():
        days = password_links.link_days()
    assert message.body.startswith(
        f"平台运维人员已重置您的密码。\n您的用户名是 {staff.username}。请在 {days} 天内"
    )
    assert factories.set_password_token(message.body)
    assert message.body.endswith("如非您本人预期，请告知平台运维人员。")


def test_the_first_administrator_gets_the_link(app, world, outbox):
    with app.test_request_context(), system_scope("test: a new association's administrator"):
        admin = factories.make_user(
            Role.ASSOCIATION_ADMIN, association=world.a.first.association, username="zhou@hzu.cn"
        )
        admin.awaits_first_password = True
        welcome = first_admin.welcome(admin, "杭州大学科学技术协会", "Zhou@hzu.cn")
        _end_request(app, 200)
    assert welcome.emailed_to == "Zhou@hzu.cn"
    (message,) = outbox
    assert message.to == ["Zhou@hzu.cn"]
    assert message.subject == "杭州大学科学技术协会已获批准成立：请设置登录密码"
    assert message.body.startswith("贵校科协已获批准成立。您的用户名为 zhou@hzu.cn。\n")
    assert welcome.link in message.body


def test_the_holder_is_told_the_second_factor_was_reset(app, world, outbox):
    officer = world.b.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "officer@zj.example.cn")
    with app.test_request_context(), system_scope("test: the operator's reset"):
        holder = db.session.get(User, officer.id)
        holder.totp_enrolled_at = utcnow()
        assert second_factor.operator_reset(holder) == "officer@zj.example.cn"
        _end_request(app, 200)
    (message,) = outbox
    assert message.to == ["officer@zj.example.cn"]
    assert message.subject == "您的二次验证已被重置"
    assert message.body.startswith(f"平台运维人员已移除您的账号 {officer.username} 的二次验证。")
    assert message.body.endswith("如果这不是您要求的，请立即告知平台运维人员。")


def test_the_holder_is_told_of_failed_sign_ins(app, world, outbox):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    _with_email(staff, "staff@example.edu.cn")
    with app.test_request_context(), system_scope("test: failures counted"):
        assert alerts.record_failures(db.session.get(User, staff.id), 12)
        _end_request(app, 200)
    (message,) = outbox
    assert message.to == ["staff@example.edu.cn"] and message.subject == "您的账号有多次登录失败"
    assert message.body == (
        f"有人以 {staff.username} 登录失败了 12 次。如果不是您本人，请登录后修改密码。"
        "您的账号没有被锁定。"
    )


@pytest.mark.parametrize(("status", "sent"), [(200, 1), (302, 1), (409, 0), (500, 0)])
def test_a_welcome_goes_out_only_once_the_approval_is_committed(app, world, outbox, status, sent):
    """An approval that fails after the welcome is prepared (a later check, a crash) is
    rolled back: no mail for an account that does not exist."""
    with app.test_request_context(method="POST"), system_scope("test: an approval"):
        admin = factories.make_user(
            Role.ASSOCIATION_ADMIN, association=world.a.first.association, username="wu@hzu.cn"
        )
        admin.awaits_first_password = True
        welcome = first_admin.welcome(admin, "杭州大学科学技术协会", "wu@hzu.cn")
        assert welcome.emailed_to == "wu@hzu.cn"
        assert outbox == [], "the mail went out before the commit"
        _end_request(app, status)
    assert [m.to for m in outbox] == [["wu@hzu.cn"]] * sent


def test_a_reminder_job_that_fails_sends_no_reminder(app, world, outbox):
    """A job's unit of work: the guidance reminders of a job that raises are not sent."""
    with system_scope("test: the guidance is overdue"):
        db.session.get(Guidance, world.a.guidance_id).deadline = date(2020, 1, 1)
        db.session.commit()
    with app.test_request_context(), system_scope("test: a reminding job"):
        assert guidance.remind(db.session.get(Guidance, world.a.guidance_id)) == 1
        db.session.rollback()  # what run_job does when the job raises
    assert outbox == []


def test_an_association_is_reminded_of_guidance(client, world, outbox):
    with system_scope("test: the guidance is overdue"):
        db.session.get(Guidance, world.a.guidance_id).deadline = date(2020, 1, 1)
        db.session.commit()
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(f"/federation/guidance/{world.a.guidance_id}/remind")
    assert response.status_code == 302
    assert "已提醒 1 个高校科协" in client.get(response.location).get_data(as_text=True)
    # The first association responded; only the second is waiting.
    (message,) = outbox
    assert message.to == [_contact(world.a.second.association.id)]
    assert message.subject == "提醒：关于开展年度工作总结的通知"
    assert message.body == "请各高校科协于年底前报送年度工作总结。"


def test_in_english_for_a_visitor_who_chose_it(app, world, outbox):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    with app.test_request_context():
        session["lang"] = "en"
        assert send_template(
            "staff@example.edu.cn",
            "mail/failed_sign_ins.txt",
            "Failed sign-ins to your account",
            count=3,
            username=staff.username,
        )
    assert outbox[0].body.startswith(
        f"There were 3 failed attempts to sign in as {staff.username}."
    )


def test_without_a_relay_nothing_is_sent_and_the_operator_hands_the_link_over(
    app, client, world, monkeypatch
):
    kept: list = []  # what the locmem backend would keep, were anything sent
    monkeypatch.setattr(app.extensions["mailman"], "outbox", kept, raising=False)
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    _with_email(staff, "staff@example.edu.cn")
    client.login_as(world.operator)
    page = client.post("/account-recovery", data={"username": staff.username})
    page = page.get_data(as_text=True)
    assert "无法通过邮件发送。请转交此一次性链接" in page and LINK in page
    with app.test_request_context():
        assert not send_template("staff@example.edu.cn", "mail/guidance_reminder.txt", "x")
    assert kept == []
    client.delete_cookie("session")
    assert "请联系平台运维人员重置密码" in client.get("/account/forgot-password").get_data(
        as_text=True
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once the probe closes: nothing listens there


def test_a_relay_that_cannot_be_reached_is_false_and_logged_without_the_address(
    app, client, world, monkeypatch, caplog
):
    port = _closed_port()
    relay = {**app.config, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.extensions, "mailman", Mail.init_mail(relay))
    caplog.set_level(logging.WARNING, logger="service")
    with app.test_request_context():
        sent = send_template(
            "staff@example.edu.cn", "mail/failed_sign_ins.txt", "x", count=3, username="x"
        )
    assert sent is False
    (line,) = [r for r in caplog.records if r.name == "service"]
    assert "could not be sent" in line.getMessage()
    assert "staff@example.edu.cn" not in line.getMessage() and not line.exc_info

    # The operator's reset falls back to the link on the page.
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    _with_email(staff, "staff@example.edu.cn")
    client.login_as(world.operator)
    page = client.post("/account-recovery", data={"username": staff.username})
    assert LINK in page.get_data(as_text=True)
