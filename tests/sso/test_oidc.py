"""Signing in with the university's account through a real OpenID Connect provider (the npm
package oidc-provider on loopback): the authorization-code flow with PKCE, linking to a
member record with consent, signing out at the provider (end-session), MFA asserted by the
provider, state and nonce tampering, and never into another tenant with two universities'
providers that know the same user name."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth import sealed
from service.auth.models import User
from service.auth.roles import Role
from service.members.models import Member
from service.sso import oidc as sso_oidc
from service.sso.models import IdentityProvider, SsoLink
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.sso.conftest import MFA_ACR, PASSWORD

SERVICE = "http://localhost"  # the Flask test client's address
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _provider(association_id: int, server, **options) -> tuple[int, str]:
    """The association's client at the university's provider, registered there and
    configured here: (provider id, client secret)."""
    client_id, secret = server.register(f"{SERVICE}/sso/{association_id}/oidc", f"{SERVICE}/login")
    with use_scope(Scope.association(association_id)):
        provider = sso_oidc.configure_oidc(
            association_id,
            name="统一身份认证",
            discovery_url=server.discovery_url,
            client_id=client_id,
            client_secret=secret,
            **options,
        )
        db.session.commit()
        return provider.id, secret


def _member(association, **fields) -> int:
    with system_scope("test: a member record"):
        member = factories.make_member(association, **fields)
        db.session.commit()
        return member.id


def _at_provider(authorize_url: str, username: str, browser: requests.Session) -> str:
    """The person at the university: the provider's redirects, its login form when it has
    no session yet, until the browser is sent back to the service. Returns the service's
    path with the query."""
    location = authorize_url
    while not location.startswith(SERVICE):
        answer = browser.get(location, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and 'name="username"' in answer.text:
            answer = browser.post(
                answer.url,
                data={"username": username, "password": PASSWORD},
                allow_redirects=False,
                timeout=10,
            )
        assert answer.status_code in (302, 303), answer.text[:500]
        location = urljoin(answer.url, answer.headers["Location"])
    back = urlsplit(location)
    return f"{back.path}?{back.query}"


def _start(client, association_id: int) -> str:
    start = client.get(f"/sso/{association_id}/login")
    assert start.status_code == 302, start.get_data(as_text=True)
    return start.location


def _university_sign_in(client, association_id: int, username: str, browser=None):
    """Start at the service, sign in at the university, come back with the code: the
    answer of the service's return page."""
    browser = browser or requests.Session()
    return client.get(_at_provider(_start(client, association_id), username, browser))


def _signed_in_as(client) -> str | None:
    page = client.get("/me/")
    return page.get_data(as_text=True) if page.status_code == 200 else None


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_member_signs_in_links_with_consent_and_signs_out_at_the_university(
    app, world, client, oidc
):
    association = world.a.first.association
    _provider(association.id, oidc)
    member_id = _member(association, name="张三", email="Zhang3@hznu.edu.cn")
    browser = requests.Session()  # the person's browser at the university

    authorize = _start(client, association.id)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and "openid" in query["scope"][0]
    back = client.get(_at_provider(authorize, "zhang3", browser))
    assert back.status_code == 302 and back.location.endswith(f"/sso/{association.id}/link")
    consent = client.get(back.location).get_data(as_text=True)
    assert "张三" in consent and association.name in consent
    assert _signed_in_as(client) is None  # nothing before the consent
    linked = client.post(f"/sso/{association.id}/link", data={"consent": "y"})
    assert linked.status_code == 302
    assert "我的会员信息" in _signed_in_as(client)

    with system_scope("test: the account made"):
        db.session.expire_all()
        user = db.session.get(User, db.session.get(Member, member_id).user_id)
        assert user.role == "member" and user.association_id == association.id
        link = db.session.scalar(sa.select(SsoLink).where(SsoLink.user_id == user.id))
        assert link.subject == "zhang3" and link.tenant_id == association.id
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(user.id))
        ).all()
        assert "sso_link" in events and "login" in events
        db.session.expunge_all()

    # Signing out here sends the browser to the university's end-session endpoint.
    out = client.post("/logout")
    assert out.status_code == 302 and out.location.startswith(f"{oidc.issuer}/session/end?")
    hint = parse_qs(urlsplit(out.location).query)
    assert hint["post_logout_redirect_uri"] == [f"{SERVICE}/login"]
    assert hint["id_token_hint"][0].count(".") == 2
    assert _signed_in_as(client) is None
    confirm = browser.get(out.location, timeout=10)
    fields = dict(HIDDEN.findall(confirm.text))
    action = re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1)
    done = browser.post(
        urljoin(confirm.url, action),
        data={**fields, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.headers["Location"].startswith(f"{SERVICE}/login")
    # The university's session ended too: the next sign-in asks for the password again.
    again = browser.get(_start(client, association.id), timeout=10)
    assert 'name="username"' in again.text

    # ... and a returning member goes straight in, no consent asked again.
    returning = app.test_client()
    back = _university_sign_in(returning, association.id, "zhang3")
    assert back.status_code == 302 and back.location.endswith("/")
    assert "我的会员信息" in _signed_in_as(returning)


def test_no_matching_record_offers_only_the_application_pre_filled(app, world, client, oidc):
    association = world.a.second.association
    _provider(association.id, oidc)
    back = _university_sign_in(client, association.id, "li4")
    assert back.location.endswith(f"/sso/{association.id}/no-record")
    assert "没有找到会员记录" in client.get(back.location).get_data(as_text=True)
    assert _signed_in_as(client) is None
    form = client.get(f"/join/{association.id}").get_data(as_text=True)
    assert 'value="li4@hznu.edu.cn"' in form and 'value="李四"' in form
    assert 'value="13800000004"' in form


def test_one_user_name_at_two_universities_never_crosses_tenants(
    app, world, client, oidc, other_oidc
):
    """zhang3 of university A is linked at A; zhang3 of university B (another provider, the
    same subject) gets nothing of A's, and a code A's provider issued is worthless at B."""
    a, b = world.a.first.association, world.b.second.association
    _provider(a.id, oidc)
    _provider(b.id, other_oidc)
    _member(a, name="张三", email="zhang3@hznu.edu.cn")
    linked = _university_sign_in(client, a.id, "zhang3")
    client.post(linked.location, data={"consent": "y"})
    assert _signed_in_as(client)

    at_b = app.test_client()
    back = _university_sign_in(at_b, b.id, "zhang3")
    assert back.location.endswith(f"/sso/{b.id}/no-record")  # not A's account
    assert _signed_in_as(at_b) is None

    # A code that A's provider issued for A's return address, taken to B's.
    thief = app.test_client()
    code_at_a = urlsplit(_at_provider(_start(thief, a.id), "zhang3", requests.Session()))
    a_answer = {k: v[0] for k, v in parse_qs(code_at_a.query).items()}
    b_state = parse_qs(urlsplit(_start(thief, b.id)).query)["state"][0]
    # As it came back from A: the state is A's (refused), the issuer is A's.
    crossed = thief.get(f"/sso/{b.id}/oidc?{code_at_a.query}")
    assert crossed.status_code == 403 and _signed_in_as(thief) is None
    # With B's state put in: the issuer it names is A's.
    b_state = parse_qs(urlsplit(_start(thief, b.id)).query)["state"][0]
    forged = urlencode({**a_answer, "state": b_state})
    crossed = thief.get(f"/sso/{b.id}/oidc?{forged}")
    assert crossed.status_code == 403 and _signed_in_as(thief) is None
    # Without the issuer: B's provider does not know A's code.
    b_state = parse_qs(urlsplit(_start(thief, b.id)).query)["state"][0]
    forged = urlencode({"code": a_answer["code"], "state": b_state})
    crossed = thief.get(f"/sso/{b.id}/oidc?{forged}")
    assert crossed.status_code == 403 and _signed_in_as(thief) is None
    # ... and at A's return address without having started there: back to the login page.
    stranger = app.test_client()
    assert stranger.get(f"/sso/{a.id}/oidc?{code_at_a.query}").location.endswith("/login")
    assert _signed_in_as(stranger) is None


def test_a_tampered_state_or_nonce_signs_no_one_in(app, world, client, oidc):
    association = world.b.first.association
    _provider(association.id, oidc)
    _member(association, name="张三", email="zhang3@hznu.edu.cn")

    # The state changed on the way back.
    back = _at_provider(_start(client, association.id), "zhang3", requests.Session())
    refused = client.get(_with_query(back, state="forged-state"))
    assert refused.status_code == 403 and "不是从这里开始" in refused.get_data(as_text=True)
    assert _signed_in_as(client) is None
    # ... and that state is spent: the true answer after it is not taken either.
    assert client.get(back).location.endswith("/login")

    # The nonce changed on the way to the provider: the ID token carries the forged one.
    authorize = _with_query(_start(client, association.id), nonce="forged-nonce")
    refused = client.get(_at_provider(authorize, "zhang3", requests.Session()))
    assert refused.status_code == 403 and _signed_in_as(client) is None

    # An answer used once is not taken twice.
    back = _at_provider(_start(client, association.id), "zhang3", requests.Session())
    assert client.get(back).location.endswith(f"/sso/{association.id}/link")
    assert client.get(back).location.endswith("/login")

    # Without PKCE the provider refuses; the service shows the refusal.
    authorize = _start(client, association.id)
    parts = urlsplit(authorize)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.pop("code_challenge"), query.pop("code_challenge_method")
    back = _at_provider(
        urlunsplit(parts._replace(query=urlencode(query))), "zhang3", requests.Session()
    )
    assert "error=" in back
    assert client.get(back).status_code == 403 and _signed_in_as(client) is None


def _link_privileged(association, provider_id: int, subject: str) -> User:
    """An association admin's account, linked to a university account (as an admin who
    signed in once as a member and was then made admin in the service would be)."""
    with system_scope("test: link the admin's account"):
        admin = db.session.scalar(
            sa.select(User).where(
                User.association_id == association.id,
                User.role == Role.ASSOCIATION_ADMIN.value,
            )
        )
        link = db.session.scalar(sa.select(SsoLink).where(SsoLink.user_id == admin.id))
        if link is None:
            link = SsoLink(
                tenant_id=association.id, provider_id=provider_id, user_id=admin.id, subject=""
            )
            db.session.add(link)
        link.subject = subject
        db.session.commit()
        return admin


def _counts_mfa(association_id: int, counts: bool) -> None:
    with use_scope(Scope.association(association_id)):
        provider = db.session.scalar(
            sa.select(IdentityProvider).where(IdentityProvider.tenant_id == association_id)
        )
        provider.mfa_counts = counts
        db.session.commit()


def test_mfa_asserted_by_the_provider_counts_as_the_second_factor_where_the_tenant_says(
    app, world, oidc, monkeypatch
):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_REQUIRED", True)
    association = world.a.first.association
    provider_id, _secret = _provider(
        association.id, oidc, mfa_counts=True, mfa_acr_values=f"urn:other {MFA_ACR}"
    )
    admin = _link_privileged(association, provider_id, "wang5")  # amr: pwd, otp

    client = app.test_client()
    back = _university_sign_in(client, association.id, "wang5")
    assert back.status_code == 302 and back.location.endswith("/")
    assert client.get("/account/password").status_code == 200
    with system_scope("test: the login's record"):
        login = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "login", AuditEvent.entity_id == str(admin.id))
            .order_by(AuditEvent.id.desc())
        ).first()
        assert login.changes["second_factor"] == "provider"

    _link_privileged(association, provider_id, "zhao6")  # acr listed by the association
    client = app.test_client()
    assert _university_sign_in(client, association.id, "zhao6").location.endswith("/")

    # A password-only sign-in at the university: the service's own second factor is asked.
    _link_privileged(association, provider_id, "zhang3")
    client = app.test_client()
    back = _university_sign_in(client, association.id, "zhang3")
    assert back.location.endswith("/login/second-factor/enrol") or "second-factor" in (
        back.location
    )
    assert client.get("/account/password").status_code != 200

    # Where the association does not count the university's MFA, it is asked too.
    _counts_mfa(association.id, False)
    _link_privileged(association, provider_id, "wang5")
    client = app.test_client()
    back = _university_sign_in(client, association.id, "wang5")
    assert "second-factor" in back.location
    assert client.get("/account/password").status_code != 200


def test_the_association_admin_sets_the_provider_and_the_secret_stays_sealed(
    app, world, oidc, caplog
):
    caplog.set_level(logging.DEBUG)
    association = world.a.second.association
    redirect_uri = f"{SERVICE}/sso/{association.id}/oidc"
    client_id, secret = oidc.register(redirect_uri, f"{SERVICE}/login")
    admin = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    page = admin.get("/sso/settings").get_data(as_text=True)
    assert redirect_uri in page  # what to register at the university
    form = {
        "kind": "oidc", "name": "杭州师范大学统一身份认证", "discovery_url": oidc.discovery_url,
        "client_id": client_id, "match_field": "email", "match_attribute": "email",
    }  # fmt: skip
    missing = admin.post("/sso/settings", data=form)
    assert missing.status_code == 400 and "客户端密钥" in missing.get_data(as_text=True)
    bad = admin.post(
        "/sso/settings",
        data={**form, "client_secret": secret, "discovery_url": "http://idp.example.cn/x"},
    )
    assert bad.status_code == 400
    saved = admin.post("/sso/settings", data={**form, "client_secret": secret})
    assert saved.status_code == 302
    shown = admin.get("/sso/settings").get_data(as_text=True)
    assert oidc.discovery_url in shown and secret not in shown
    # Saved again without the secret: the saved one is kept.
    assert admin.post("/sso/settings", data={**form, "name": "统一身份认证"}).status_code == 302

    with system_scope("test: what is stored"):
        provider = db.session.scalar(
            sa.select(IdentityProvider).where(IdentityProvider.tenant_id == association.id)
        )
        assert provider.kind == "oidc" and provider.client_secret != secret
        assert sealed.unseal(provider.client_secret) == secret
        logged = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "identity_provider")
        ).all()
        assert logged and all(secret not in repr(e.changes) for e in logged)
        db.session.expunge_all()

    _member(association, name="李四", email="li4@hznu.edu.cn")
    member = app.test_client()
    back = _university_sign_in(member, association.id, "li4")
    assert back.location.endswith(f"/sso/{association.id}/link")
    member.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(member)
    assert all(secret not in r.getMessage() for r in caplog.records)

    staff = app.test_client().login_as(world.a.second.users[Role.ASSOCIATION_STAFF])
    assert staff.get("/sso/settings").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example.cn/.well-known/openid-configuration",
        "https://idp.example.cn/oidc",
        "ftp://idp.example.cn/.well-known/openid-configuration",
    ],
)
def test_a_provider_is_found_by_its_discovery_address_over_https(app, world, url):
    association = world.a.first.association
    with use_scope(Scope.association(association.id)), pytest.raises(sso_oidc.SsoError):
        sso_oidc.configure_oidc(
            association.id, name="x", discovery_url=url, client_id="c", client_secret="s"
        )


def test_the_operator_sets_an_association_s_provider_on_its_behalf(app, world, oidc):
    association = world.b.second.association
    client_id, secret = oidc.register(f"{SERVICE}/sso/{association.id}/oidc", f"{SERVICE}/login")
    operator = app.test_client().login_as(world.operator)
    directory = operator.get(f"/operator/federations/{world.b.federation.id}")
    assert f"/sso/associations/{association.id}/settings" in directory.get_data(as_text=True)
    address = f"/sso/associations/{association.id}/settings"
    assert association.name in operator.get(address).get_data(as_text=True)
    saved = operator.post(
        address,
        data={"kind": "oidc", "name": "杭州师范大学统一身份认证",
              "discovery_url": oidc.discovery_url, "client_id": client_id,
              "client_secret": secret, "match_field": "email", "match_attribute": "email"},
    )  # fmt: skip
    assert saved.status_code == 302 and saved.location.endswith(address)
    admin = app.test_client().login_as(world.b.second.users[Role.ASSOCIATION_ADMIN])
    assert oidc.discovery_url in admin.get("/sso/settings").get_data(as_text=True)
    assert admin.get(address).status_code == 403  # the operator's page only
    assert operator.get("/sso/associations/999999/settings").status_code == 404
