"""Sessions and tokens under attack: stolen cookies, fixation, forged forms, and tokens used
beyond what they were issued for. The basics (throttling, expiry, revocation, a password
change ending other sessions) are in test_auth.py; cross-tenant reads of every route by
every token are in test_isolation_matrix.py."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from service.auth import services as auth
from service.auth.roles import Role
from service.extensions import csrf
from tenants.db import db
from tenants.scope import system_scope
from tests import factories
from tests.snapshots import row_counts

PASSWORD = "a-real-passw0rd"
WRITE_METHODS = ("post", "put", "patch", "delete")


def _user_with_password(world):
    with system_scope("test: a user with a real password"):
        user = factories.make_user(Role.ASSOCIATION_ADMIN, association=world.a.first.association)
        user.password_hash = auth.hash_password(PASSWORD)
        db.session.commit()
        return user.username


def _login(client, username, **extra):
    return client.post("/login", data={"username": username, "password": PASSWORD, **extra})


def _bearer(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token[1]}"}


# --- web sessions ---------------------------------------------------------------------


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, world, client):
    username = _user_with_password(world)
    _login(client, username, remember="y")
    stolen_session = client.get_cookie("session").value
    stolen_remember = client.get_cookie("remember_token").value

    assert client.post("/logout").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen_session)
    assert thief.get("/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen_remember)
    assert thief.get("/").status_code == 302


def test_logout_ends_the_users_other_sessions_too(app, world, client):
    username = _user_with_password(world)
    _login(client, username)
    laptop = app.test_client()
    _login(laptop, username)
    client.post("/logout")
    assert laptop.get("/").status_code == 302


def test_the_session_cookie_is_replaced_at_login(world, client):
    username = _user_with_password(world)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    _login(client, username)
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session


# Posted server to server, never from a page: the CAS server's single-logout requests and
# the OIDC provider's back-channel logout tokens (the ticket or signed token is the proof).
SERVER_TO_SERVER = {
    "sso.cas_logout",
    "sso.oidc_logout",
    "sso_federation.cas_logout",
    "sso_federation.oidc_logout",
}


def _exempt(app, endpoint: str) -> bool:
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def test_only_server_to_server_posts_skip_the_csrf_check(app):
    exempt = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and not rule.rule.startswith("/api/")
        and _exempt(app, rule.endpoint)
    }
    assert exempt == SERVER_TO_SERVER


def _post_routes(app) -> list[str]:
    """Every web route that accepts a form, with made-up ids: CSRF is checked first."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if _exempt(app, rule.endpoint):
            continue
        values = {
            name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
            for name in rule.arguments
        }
        urls.append(rule.build(values)[1])
    return sorted(urls)


def test_every_form_refuses_a_post_without_a_csrf_token(app, world):
    urls = _post_routes(app)
    assert "/login" in urls and "/logout" in urls and len(urls) > 20
    client = app.test_client()
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    client.csrf = False
    before = row_counts()
    for url in urls:
        response = client.post(url, data={"name": "forged", "username": "x"})
        assert response.status_code == 400, url
    assert row_counts() == before
    assert client.get("/").status_code == 200  # still signed in: a refusal, not a logout


def test_a_csrf_token_from_another_session_is_refused(app, world):
    victim = app.test_client()
    victim.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    attacker = app.test_client()
    token = attacker.csrf_token()
    victim.csrf = False
    before = row_counts()
    response = victim.post(
        "/tokens", data={"csrf_token": token, "name": "forged", "read_only": "y"}
    )
    assert response.status_code == 400
    assert row_counts() == before


# --- API tokens -----------------------------------------------------------------------


def _concrete(path: str) -> str:
    """Any id will do: a read-only token is refused before anything is looked up."""
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("token_kind", ["association-ro", "federation", "national"])
def test_a_read_only_token_cannot_write_anywhere(world, client, token_kind):
    token = {
        "association-ro": world.a.first.tokens["ro"],
        "federation": world.a.tokens["ro"],
        "national": world.national_a,
    }[token_kind]
    spec = client.get("/api/v1/openapi.json").json
    operations = [
        (method, _concrete(path))
        for path, item in spec["paths"].items()
        for method in item
        if method in WRITE_METHODS
    ]
    assert len(operations) >= 5
    before = row_counts()
    for method, path in operations:
        response = client.open(
            path,
            method=method.upper(),
            json={"name": "written by a read-only token"},
            headers=_bearer(token),
        )
        assert response.status_code == 403, (method, path, response.json)
        assert response.is_json and response.json["message"]
    assert row_counts() == before


def test_an_association_token_cannot_read_its_neighbour(world, client):
    own, neighbour = world.a.first, world.a.second
    headers = _bearer(own.tokens["rw"])
    other_member = neighbour.members[0].id
    assert client.get(f"/api/v1/members/{other_member}", headers=headers).status_code == 404
    response = client.get(f"/api/v1/associations/{neighbour.association.id}", headers=headers)
    assert response.status_code == 404
    listed = client.get("/api/v1/members/", headers=headers).json
    assert {m["id"] for m in listed} == {m.id for m in own.members}


def test_a_federation_token_cannot_read_another_province(world, client):
    headers = _bearer(world.a.tokens["ro"])
    foreign = world.b.first.association.id
    assert client.get(f"/api/v1/associations/{foreign}", headers=headers).status_code == 404
    listed = client.get("/api/v1/associations/", headers=headers).json
    ids = {a["id"] for a in listed}
    assert world.a.first.association.id in ids
    assert foreign not in ids and world.b.second.association.id not in ids
