"""The pages whose forms lead to a university's sign-in admit its origin in form-action, and
no page admits more: a browser holds each redirect after a form's submission to the policy
of the page that submitted it, so the login page's university picker would otherwise stop
at the service's redirect to the CAS server, and the sign-out button at the redirect to the
OIDC provider's end-session (the browser tests showed both)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.sso.test_cas import _provider as cas_provider
from tests.sso.test_oidc import _member, _provider, _signed_in_as, _university_sign_in


def _form_action(response) -> list[str]:
    header = response.headers["Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    return policy["form-action"].split()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_login_page_admits_the_universities_sign_in_origins_only(app, world, client, cas):
    before = _form_action(client.get("/login"))
    assert before[0] == "'self'" and _origin(cas.url) not in before
    assert all(source.startswith("https://") for source in before[1:])
    cas_provider(world.a.first.association.id, cas)
    assert _origin(cas.url) in _form_action(client.get("/login"))
    assert _form_action(client.get("/healthz")) == ["'self'"]


def test_a_session_from_oidc_admits_the_end_session_origin_on_its_pages(app, world, client, oidc):
    association = world.a.first.association
    _provider(association.id, oidc)
    _member(association, name="张三", email="zhang3@hznu.edu.cn")
    back = _university_sign_in(client, association.id, "zhang3")
    client.post(back.location, data={"consent": "y"})
    assert "我的会员信息" in _signed_in_as(client)
    assert _origin(oidc.issuer) in _form_action(client.get("/me/"))
    # Another browser, signed in with a password, admits no provider.
    other = app.test_client().login_as(world.b.first.users["association_admin"])
    assert _form_action(other.get("/")) == ["'self'"]
