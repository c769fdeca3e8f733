"""Security headers and cookie flags, read from real responses."""

import re

import pytest

from service.auth import services as auth
from service.auth.roles import Role
from service.config import from_environment
from tenants.db import db
from tenants.scope import system_scope
from tests import factories

PASSWORD = "a-real-passw0rd"
STRICT_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def _signed_in(app, world, **extra):
    with system_scope("test: a user with a real password"):
        user = factories.make_user(Role.ASSOCIATION_ADMIN, association=world.a.first.association)
        user.password_hash = auth.hash_password(PASSWORD)
        db.session.commit()
        username = user.username
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302
    return client, response


@pytest.mark.parametrize(
    "path",
    ["/login", "/", "/healthz", "/static/app.css", "/api/v1/openapi.json", "/no-such-page"],
)
def test_every_response_carries_the_security_headers(client, db_session, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    policy = _policy(response)
    for directive, sources in STRICT_DIRECTIVES.items():
        assert policy[directive] == sources, directive


def test_signed_in_pages_and_api_errors_carry_the_policy_too(app, world):
    client, _ = _signed_in(app, world)
    page = client.get(f"/associations/{world.a.first.association.id}")
    assert page.status_code == 200
    assert _policy(page)["script-src"] == "'self'"
    api = client.get("/api/v1/associations/")
    assert api.status_code == 401
    assert _policy(api)["frame-ancestors"] == "'none'"


def test_the_policy_never_allows_inline_script_or_another_origin(client, db_session):
    for path in ("/login", "/api/v1/docs", "/api/v1/redoc"):
        header = client.get(path).headers["Content-Security-Policy"]
        assert "unsafe-eval" not in header
        script = _policy(client.get(path))["script-src"]
        assert "unsafe-inline" not in script, path
        assert not re.search(r"https?:|\*", header), path


def test_swagger_ui_admits_only_its_own_inline_block_by_hash(client, db_session):
    policy = _policy(client.get("/api/v1/docs"))
    script = policy["script-src"].split()
    assert script[0] == "'self'"
    assert len(script) == 2 and script[1].startswith("'sha256-")
    assert policy["style-src"] == "'self'"


def test_redoc_alone_may_style_itself_inline_and_run_a_blob_worker(client, db_session):
    policy = _policy(client.get("/api/v1/redoc"))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["worker-src"] == "'self' blob:"
    assert policy["script-src"] == "'self'"
    assert "worker-src" not in _policy(client.get("/login"))


def test_no_hsts_from_a_development_server(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "development")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_production_cookies_are_secure_httponly_and_samesite(app, world, monkeypatch, tmp_path):
    production = from_environment(
        str(tmp_path),
        {"APP_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": "postgres://u@h/db"},
    )
    for key in ("SECURE", "HTTPONLY", "SAMESITE"):
        for cookie in ("SESSION_COOKIE_", "REMEMBER_COOKIE_"):
            monkeypatch.setitem(app.config, cookie + key, production[cookie + key])
    _, response = _signed_in(app, world, remember="y")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        flags = [flag.strip().lower() for flag in cookies[name].split(";")]
        assert "secure" in flags, name
        assert "httponly" in flags, name
        assert "samesite=lax" in flags, name
