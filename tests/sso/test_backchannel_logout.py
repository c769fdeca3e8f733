"""OpenID Connect Back-Channel Logout 1.0 against a real provider (oidc-provider on
loopback): when a sign-in ends at the university, the provider posts a signed logout token
to the association's back-channel address and the linked account's sessions end here. A
token not signed by the provider, for another client or issuer, old, without the event, or
with a nonce (an ID token) ends nothing; nor does another association's address."""

from __future__ import annotations

import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urljoin

import pytest
import requests
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey

from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.sso import federation as sso_federation
from service.sso import oidc as sso_oidc
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.sso import servers
from tests.sso.conftest import OIDC_PEOPLE
from tests.sso.test_oidc import (
    SERVICE,
    _at_provider,
    _member,
    _signed_in_as,
    _university_sign_in,
)

EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class _LogoutTokens(BaseHTTPRequestHandler):
    """Stands at the service's back-channel address for the provider's logout token, which
    the test then hands to the service as it arrived."""

    received: list[tuple[str, str]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.path, parse_qs(body)["logout_token"][0]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def signing_key():
    return RSAKey.generate_key(2048, parameters={"kid": "test-signing", "use": "sig"})


@pytest.fixture(scope="module")
def keyed_oidc(tmp_path_factory, signing_key):
    """The university's provider, signing with a key the tests know (to forge tokens that
    differ from its own in one claim only)."""
    why = servers.oidc_available()
    if why:
        pytest.skip(why)
    keys = {"keys": [signing_key.as_dict(private=True)]}
    with servers.oidc_provider(
        tmp_path_factory.mktemp("oidc-bcl"), OIDC_PEOPLE, jwks=keys
    ) as provider:
        yield provider


@pytest.fixture
def listener():
    _LogoutTokens.received.clear()
    server = HTTPServer(("127.0.0.1", 0), _LogoutTokens)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _provider(association_id: int, server, backchannel: str) -> str:
    """The association's client at the provider, with its back-channel logout address:
    the client id."""
    client_id, secret = server.register(
        f"{SERVICE}/sso/{association_id}/oidc",
        f"{SERVICE}/login",
        f"{backchannel}/sso/{association_id}/oidc/logout",
    )
    with use_scope(Scope.association(association_id)):
        sso_oidc.configure_oidc(
            association_id,
            name="统一身份认证",
            discovery_url=server.discovery_url,
            client_id=client_id,
            client_secret=secret,
        )
        db.session.commit()
    return client_id


def _signed_in(app, association, server, browser) -> object:
    client = app.test_client()
    back = _university_sign_in(client, association.id, "zhang3", browser)
    client.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(client)
    return client


def _end_at_provider(server, browser: requests.Session) -> None:
    """The person signs out at the university itself (its end-session page, confirmed)."""
    confirm = browser.get(f"{server.issuer}/session/end", timeout=10)
    fields = dict(HIDDEN.findall(confirm.text))
    action = re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1)
    browser.post(urljoin(confirm.url, action), data={**fields, "logout": "yes"}, timeout=10)


def test_signing_out_at_the_provider_ends_the_session_here(app, world, keyed_oidc, listener):
    association, other = world.a.first.association, world.a.second.association
    _provider(association.id, keyed_oidc, listener)
    _provider(other.id, keyed_oidc, listener)
    _member(association, name="张三", email="zhang3@hznu.edu.cn")
    browser = requests.Session()
    client = _signed_in(app, association, keyed_oidc, browser)

    _end_at_provider(keyed_oidc, browser)
    for _ in range(100):
        if _LogoutTokens.received:
            break
        time.sleep(0.1)
    ((path, token),) = _LogoutTokens.received
    assert path == f"/sso/{association.id}/oidc/logout"
    claims = jwt.decode(token, _published_keys(keyed_oidc)).claims
    assert claims["sub"] == "zhang3" and claims["sid"] and "nonce" not in claims

    # Another association's address (its client is another audience) ends nothing.
    elsewhere = app.test_client().post(f"/sso/{other.id}/oidc/logout", data={"logout_token": token})
    assert elsewhere.status_code == 400 and _signed_in_as(client)
    done = app.test_client().post(path, data={"logout_token": token})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert _signed_in_as(client) is None
    with system_scope("test: the log"):
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "sso_logout", AuditEvent.tenant_id == association.id)
        )


def _published_keys(server):
    """The provider's public keys, as it publishes them."""
    from joserfc.jwk import KeySet

    document = requests.get(server.discovery_url, timeout=10).json()
    return KeySet.import_key_set(requests.get(document["jwks_uri"], timeout=10).json())


def _token(key, **claims) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "logout+jwt"}, claims, key)


def test_a_logout_token_is_checked_before_anything_ends(
    app, world, keyed_oidc, listener, signing_key
):
    association = world.b.first.association
    client_id = _provider(association.id, keyed_oidc, listener)
    _member(association, name="张三", email="zhang3@hznu.edu.cn")
    client = _signed_in(app, association, keyed_oidc, requests.Session())
    now = int(time.time())
    good = {"iss": keyed_oidc.issuer, "aud": client_id, "iat": now, "jti": uuid.uuid4().hex,
            "sub": "zhang3", "events": EVENT}  # fmt: skip
    stranger = RSAKey.generate_key(2048, parameters={"kid": signing_key.kid})
    refused = [
        _token(stranger, **good),  # not signed by the provider
        _token(signing_key, **{**good, "iss": "http://127.0.0.1:1"}),
        _token(signing_key, **{**good, "aud": "another-client"}),
        _token(signing_key, **{**good, "iat": now - 3600}),
        _token(signing_key, **{**good, "exp": now - 3600}),
        _token(signing_key, **{**good, "events": {"urn:other": {}}}),
        _token(signing_key, **{**good, "nonce": "n-1"}),  # an ID token, not a logout token
        _token(signing_key, **{k: v for k, v in good.items() if k != "sub"}),  # nobody named
        "not.a.token",
        "",
    ]
    path = f"/sso/{association.id}/oidc/logout"
    for token in refused:
        answer = app.test_client().post(path, data={"logout_token": token})
        assert answer.status_code == 400, token
        assert answer.get_json()["error"] == "invalid_request"
        assert _signed_in_as(client)
    # Another subject, or a session id this sign-in does not have: nothing ends.
    for other in ({"sub": "li4"}, {"sid": "another-session"}):
        claims = {**{k: v for k, v in good.items() if k != "sub"}, **other}
        answer = app.test_client().post(path, data={"logout_token": _token(signing_key, **claims)})
        assert answer.status_code == 200 and _signed_in_as(client)
    # The provider names the subject only: every session of the account ends.
    answer = app.test_client().post(path, data={"logout_token": _token(signing_key, **good)})
    assert answer.status_code == 200 and _signed_in_as(client) is None
    # The association's admin sees the address to register with the provider.
    admin = app.test_client().login_as(world.b.first.users[Role.ASSOCIATION_ADMIN])
    settings = admin.get("/sso/settings").get_data(as_text=True)
    assert f"http://localhost/sso/{association.id}/oidc/logout" in settings
    assert "后端通道注销地址" in settings or "Back-channel logout URI" in settings
    # No provider of the kind at this address.
    assert app.test_client().post("/sso/999999/oidc/logout").status_code == 404


def test_the_federation_s_provider_ends_an_officer_s_session(app, world, keyed_oidc, listener):
    """The same for a federation officer signed in through the federation's provider."""
    from tests.sso.test_federation import _signed_in_id, _with_email

    fed = world.b.federation
    officer = world.b.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "zhang3@hznu.edu.cn")
    client_id, secret = keyed_oidc.register(
        f"{SERVICE}/sso/federation/{fed.id}/oidc",
        f"{SERVICE}/login",
        f"{listener}/sso/federation/{fed.id}/oidc/logout",
    )
    with use_scope(Scope.federation(fed.id)):
        sso_federation.configure(
            fed.id, kind="oidc", name="省科协统一身份认证", discovery_url=keyed_oidc.discovery_url,
            client_id=client_id, client_secret=secret,
        )  # fmt: skip
        db.session.commit()
    browser, client = requests.Session(), app.test_client()
    start = client.get(f"/sso/federation/{fed.id}/login")
    back = client.get(_at_provider(start.location, "zhang3", browser))
    client.post(back.location, data={"confirm": "y"})
    assert _signed_in_id(client) == officer.id

    _end_at_provider(keyed_oidc, browser)
    for _ in range(100):
        if _LogoutTokens.received:
            break
        time.sleep(0.1)
    ((path, token),) = _LogoutTokens.received
    assert path == f"/sso/federation/{fed.id}/oidc/logout"
    # The other federation's address: no provider of the kind there.
    other = world.a.federation.id
    assert app.test_client().post(
        f"/sso/federation/{other}/oidc/logout", data={"logout_token": token}
    ).status_code in (400, 404)
    assert _signed_in_id(client) == officer.id
    done = app.test_client().post(path, data={"logout_token": token})
    assert done.status_code == 200 and _signed_in_id(client) is None
