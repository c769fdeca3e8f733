"""What an operator checks on a node: the client behind nginx, request ids, JSON logs that
leak nothing, and /metrics for the monitoring system only."""

from __future__ import annotations

import json
import logging

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from service import create_app
from service.auth.roles import Role
from service.observability import JsonFormatter

NGINX = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def behind_nginx(app, monkeypatch):
    """The app as deployed: PROXY_FIX=1, reached only through nginx on loopback."""
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1))
    return app


def _json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "kexie.request"]


def test_proxy_fix_is_on_when_configured(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "PROXY_FIX": 1})
    assert isinstance(app.wsgi_app, ProxyFix)
    plain = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert not isinstance(plain.wsgi_app, ProxyFix)


def test_behind_nginx_the_login_limit_counts_each_client_not_the_proxy(behind_nginx, world, client):
    def attempt(i: int, address: str) -> int:
        return client.post(
            "/login",
            data={"username": f"nobody{i}", "password": "x" * 12},
            headers={"X-Forwarded-For": address},
            environ_base=NGINX,
        ).status_code

    statuses = [attempt(i, "203.0.113.7") for i in range(11)]
    assert statuses[-1] == 429
    # Another client behind the same nginx is not locked out by the first one's attempts.
    assert attempt(99, "198.51.100.8") == 401


def test_a_request_id_is_echoed_or_made(client):
    offered = client.get("/healthz", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert offered.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    # A header that is not an id (here, an attempt to forge a log line) is replaced.
    forged = client.get("/healthz", headers={"X-Request-ID": 'x", "user_id": 1'})
    assert forged.headers["X-Request-ID"] != 'x", "user_id": 1'


def test_each_request_logs_one_json_line_with_ids_and_no_secrets(world, client, caplog):
    caplog.set_level(logging.INFO, logger="kexie.request")
    user = world.a.first.users[Role.ASSOCIATION_ADMIN]
    client.post("/login", data={"username": user.username, "password": "s3cret-typed-pw"})
    client.login_as(user).get("/members/?q=张三", headers={"X-Request-ID": "req-members-0001"})
    token, plaintext = world.a.first.tokens["ro"]
    client.get("/api/v1/members/", headers={"Authorization": f"Bearer {plaintext}"})

    lines = _json_lines(caplog)
    page = next(line for line in lines if line["request_id"] == "req-members-0001")
    assert page["endpoint"] == "members.index" and page["status"] == 200
    assert page["user_id"] == user.id
    assert page["tenant_id"] == world.a.first.association.id
    api = next(line for line in lines if line["path"] == "/api/v1/members/")
    assert api["token_id"] == token.id and api["principal"] == "token"
    everything = json.dumps(lines, ensure_ascii=False)
    for secret in ("s3cret-typed-pw", plaintext, "张三", user.username):
        assert secret not in everything


def test_metrics_are_served_to_loopback_only_without_a_token(client):
    client.get("/healthz")
    public = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert public.status_code == 404
    local = client.get("/metrics", environ_base=NGINX)
    assert local.status_code == 200
    text = local.get_data(as_text=True)
    assert 'kexie_http_requests_total{endpoint="web.healthz",method="GET",status="200"}' in text
    assert 'kexie_http_request_duration_seconds_bucket{endpoint="web.healthz"' in text
    assert 'kexie_queue_jobs{queue="default"}' in text
    assert 'kexie_queue_failed_jobs{queue="default"}' in text


def test_metrics_through_nginx_are_hidden_from_outside_clients(behind_nginx, client):
    outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base=NGINX)
    assert outside.status_code == 404


def test_metrics_need_the_bearer_token_when_one_is_set(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-me-0123")
    assert client.get("/metrics", environ_base=NGINX).status_code == 404
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong, environ_base=NGINX).status_code == 404
    right = {"Authorization": "Bearer scrape-me-0123"}
    response = client.get("/metrics", headers=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert "kexie_http_requests_total" in response.get_data(as_text=True)
