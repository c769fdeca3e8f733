"""Signing in with the university's account through a real CAS server (django-cas-server on
loopback): linking to a member record with consent, no record, and never into another
tenant, with two universities' servers that know the same user name."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.roles import Role
from service.members.models import Member
from service.sso import services as sso
from service.sso.models import SsoLink
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.sso.conftest import PASSWORD


def _provider(association_id: int, server, **options) -> int:
    with use_scope(Scope.association(association_id)):
        provider = sso.configure_cas(
            association_id, name="统一身份认证", server_url=server.url, **options
        )
        db.session.commit()
        return provider.id


def _member(association, **fields) -> int:
    with system_scope("test: a member record"):
        member = factories.make_member(association, **fields)
        db.session.commit()
        return member.id


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _ticket_back(login_url: str, username: str, browser=None) -> str:
    """Sign in on the university's own login form (a browser of its own): the service's
    return address, with the ticket, that the CAS server redirects to."""
    browser = browser or requests.Session()
    form_page = browser.get(login_url, timeout=10)
    fields = dict(HIDDEN.findall(form_page.text))
    fields.update(username=username, password=PASSWORD)
    answer = browser.post(form_page.url, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    back = urlsplit(answer.headers["Location"])
    assert back.path.startswith("/sso/") and "ticket=" in back.query
    return f"{back.path}?{back.query}"


def _university_sign_in(client, association_id: int, username: str, browser=None):
    """Start at the service, sign in at the university, come back with the ticket: the
    answer of the service's return page."""
    start = client.get(f"/sso/{association_id}/login")
    assert start.status_code == 302
    return client.get(_ticket_back(start.location, username, browser))


def _signed_in_as(client) -> str | None:
    page = client.get("/me/")
    return page.get_data(as_text=True) if page.status_code == 200 else None


def test_a_member_signs_in_with_the_university_account_and_links_with_consent(
    app, world, client, cas
):
    association = world.a.first.association
    _provider(association.id, cas)
    member_id = _member(association, name="张三", email="Zhang3@zju.edu.cn")

    back = _university_sign_in(client, association.id, "zhang3")
    assert back.status_code == 302 and back.location.endswith(f"/sso/{association.id}/link")
    consent = client.get(back.location).get_data(as_text=True)
    assert "张三" in consent and association.name in consent
    assert _signed_in_as(client) is None  # nothing before the consent
    refused = client.post(f"/sso/{association.id}/link", data={})
    assert refused.status_code == 400
    linked = client.post(f"/sso/{association.id}/link", data={"consent": "y"})
    assert linked.status_code == 302
    assert "我的会员信息" in _signed_in_as(client)

    with system_scope("test: the account made"):
        db.session.expire_all()  # read what the service wrote, not the test's own copy
        member = db.session.get(Member, member_id)
        user = db.session.get(User, member.user_id)
        assert user.role == "member" and user.association_id == association.id
        link = db.session.scalar(sa.select(SsoLink).where(SsoLink.user_id == user.id))
        assert link.subject == "zhang3" and link.tenant_id == association.id
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(user.id))
        ).all()
        assert "sso_link" in events and "login" in events
        db.session.expunge_all()

    # Next time: straight in, no consent asked again.
    again = app.test_client()
    back = _university_sign_in(again, association.id, "zhang3")
    assert back.status_code == 302 and back.location.endswith("/")
    assert "我的会员信息" in _signed_in_as(again)


def test_no_matching_record_offers_only_the_application_pre_filled(app, world, client, cas):
    association = world.a.second.association
    _provider(association.id, cas)
    back = _university_sign_in(client, association.id, "li4")
    assert back.location.endswith(f"/sso/{association.id}/no-record")
    assert "没有找到会员记录" in client.get(back.location).get_data(as_text=True)
    assert _signed_in_as(client) is None
    form = client.get(f"/join/{association.id}").get_data(as_text=True)
    assert 'value="li4@zju.edu.cn"' in form and 'value="李四"' in form


def test_a_wrong_university_password_signs_no_one_in(app, world, client, cas):
    association = world.b.first.association
    _provider(association.id, cas)
    client.get(f"/sso/{association.id}/login")
    forged = client.get(f"/sso/{association.id}/cas?ticket=ST-forged-ticket")
    assert forged.status_code == 403 and _signed_in_as(client) is None


def test_one_user_name_at_two_universities_never_crosses_tenants(
    app, world, client, cas, other_cas
):
    """zhang3 of university A is linked at A; zhang3 of university B (another server, the
    same name) gets nothing of A's, and a ticket of A's server is worthless at B."""
    a, b = world.a.first.association, world.b.second.association
    _provider(a.id, cas)
    _provider(b.id, other_cas)
    _member(a, name="张三", email="zhang3@zju.edu.cn")
    linked = _university_sign_in(client, a.id, "zhang3")
    client.post(linked.location, data={"consent": "y"})
    assert _signed_in_as(client)

    at_b = app.test_client()
    back = _university_sign_in(at_b, b.id, "zhang3")
    assert back.location.endswith(f"/sso/{b.id}/no-record")  # not A's account
    assert _signed_in_as(at_b) is None

    # A ticket that A's server issued for A's service, replayed at B's return address.
    thief = app.test_client()
    ticket = urlsplit(_ticket_back(thief.get(f"/sso/{a.id}/login").location, "zhang3")).query
    thief.get(f"/sso/{b.id}/login")
    crossed = thief.get(f"/sso/{b.id}/cas?{ticket}")
    assert crossed.status_code == 403 and _signed_in_as(thief) is None
    # ... and at A's return address without having started there: back to the login page.
    stranger = app.test_client()
    assert stranger.get(f"/sso/{a.id}/cas?{ticket}").location.endswith("/login")
    assert _signed_in_as(stranger) is None


def test_the_login_page_offers_the_universities_and_remembers_the_choice(app, world, client, cas):
    association = world.a.first.association
    _provider(association.id, cas)
    page = client.get("/login").get_data(as_text=True)
    assert f'<option value="{association.name}">' in page
    picked = client.get("/sso/pick", query_string={"university": association.name})
    assert picked.location.endswith(f"/sso/{association.id}/login")
    client.get(picked.location)
    assert "使用您的" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("url", ["ftp://cas.example.cn/cas", "http://cas.example.cn/cas"])
def test_a_cas_server_is_reached_over_https(app, world, url):
    association = world.a.first.association
    with use_scope(Scope.association(association.id)), pytest.raises(sso.SsoError):
        sso.configure_cas(association.id, name="x", server_url=url)


def test_the_association_admin_sets_the_cas_server_and_members_use_it(app, world, cas):
    association = world.a.second.association
    admin = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    bad = admin.post("/sso/settings", data={"name": "x", "server_url": "http://cas.example.cn",
                                            "version": "3", "match_field": "email",
                                            "match_attribute": "email"})  # fmt: skip
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)
    saved = admin.post(
        "/sso/settings",
        data={"name": "统一身份认证", "server_url": cas.url, "version": "2",
              "match_field": "email", "match_attribute": "email"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert cas.url in admin.get("/sso/settings").get_data(as_text=True)
    staff = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_STAFF])
    assert staff.get("/sso/settings").status_code == 403

    _member(association, name="李四", email="li4@zju.edu.cn")
    member = app.test_client()
    back = _university_sign_in(member, association.id, "li4")  # CAS 2.0: serviceValidate
    assert back.location.endswith(f"/sso/{association.id}/link")
    member.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(member)


class _LogoutRequests(BaseHTTPRequestHandler):
    """Stands at the service's address for the CAS server's back-channel logout request,
    which the test then hands to the service as it arrived."""

    received: list[str] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append(parse_qs(body)["logoutRequest"][0])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_signing_out_at_the_university_ends_the_session_here(app, world, cas):
    association = world.b.first.association
    _provider(association.id, cas)
    _member(association, name="张三", email="zhang3@zju.edu.cn")
    listener = HTTPServer(("127.0.0.1", 0), _LogoutRequests)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        client = app.test_client()
        base, opened = f"http://127.0.0.1:{listener.server_port}", client.open
        client.open = lambda *args, **kwargs: opened(*args, **{"base_url": base, **kwargs})
        browser = requests.Session()  # the person's browser at the university
        back = _university_sign_in(client, association.id, "zhang3", browser)
        client.post(back.location, data={"consent": "y"})
        assert _signed_in_as(client)

        _LogoutRequests.received.clear()
        browser.get(f"{cas.url}/logout", timeout=10)
        for _ in range(100):
            if _LogoutRequests.received:
                break
            time.sleep(0.1)
        (logout_request,) = _LogoutRequests.received
    finally:
        listener.shutdown()
    assert (
        app.test_client()
        .post(f"/sso/{association.id}/cas", data={"logoutRequest": "<x/>"})
        .status_code
        == 400
    )
    # Another association's return address does not know the ticket.
    other = world.b.second.association.id
    app.test_client().post(f"/sso/{other}/cas", data={"logoutRequest": logout_request})
    assert _signed_in_as(client)
    done = app.test_client().post(
        f"/sso/{association.id}/cas", data={"logoutRequest": logout_request}
    )
    assert done.status_code == 200
    assert _signed_in_as(client) is None
    with system_scope("test: the log"):
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "sso_logout")
            )
            == 1
        )


def test_an_association_can_turn_off_local_passwords_for_members(app, world, cas):
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        sso.configure_cas(
            association.id, name="统一身份认证", server_url=cas.url, members_without_password=True
        )
        db.session.commit()
    member, admin = (world.a.first.users[r] for r in (Role.MEMBER, Role.ASSOCIATION_ADMIN))
    client = app.test_client()
    refused = client.post(
        "/login", data={"username": member.username, "password": factories.PASSWORD}
    )
    assert refused.status_code == 403 and "学校账号" in refused.get_data(as_text=True)
    assert _signed_in_as(client) is None
    staff = app.test_client()
    answer = staff.post("/login", data={"username": admin.username, "password": factories.PASSWORD})
    assert answer.status_code == 302  # only members: the secretariat keeps its passwords
    # Another association's members keep theirs.
    other = world.a.second.users[Role.MEMBER]
    answer = client.post(
        "/login", data={"username": other.username, "password": factories.PASSWORD}
    )
    assert answer.status_code == 302
