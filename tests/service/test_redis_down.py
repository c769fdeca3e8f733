"""With Redis down, reads keep working and a job-backed action says "try again later".

Runs a separate app in a subprocess: the rate limiter's storage is bound once per process,
and here it must be a Redis that does not answer (a closed loopback port).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = textwrap.dedent(
    """
    import io, json, sys
    import flask_migrate
    import sqlalchemy as sa
    from service import create_app, demo
    from service.auth import services as auth
    from service.auth.models import TokenLevel, User
    from service.members.models import MemberImport
    from tenants.db import db
    from tenants.scope import system_scope

    dead = sys.argv[2]
    app = create_app({
        "APP_ENV": "testing", "TESTING": True, "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": sys.argv[1], "MIGRATION_DATABASE_URL": sys.argv[1],
        "REDIS_URL": dead, "RATELIMIT_STORAGE_URI": dead,
        "SESSION_COOKIE_SECURE": False,
    })
    out = {}
    with app.app_context():
        flask_migrate.upgrade()
        with system_scope("test seed"):
            demo.load("pw-for-this-test")
            admin = db.session.scalar(sa.select(User).where(User.username == "zju-admin"))
            _, token = auth.create_token(
                name="ro", level=TokenLevel.ASSOCIATION, created_by=None,
                association_id=admin.association_id, read_only=True, days=1,
            )
            _, writer = auth.create_token(
                name="rw", level=TokenLevel.ASSOCIATION, created_by=None,
                association_id=admin.association_id, read_only=False, days=1,
            )
            db.session.commit()
    client = app.test_client()
    login = client.post("/login", data={"username": "zju-admin", "password": "pw-for-this-test"})
    out["login"] = login.status_code
    out["members_page"] = client.get("/members/").status_code
    api = client.get("/api/v1/members/", headers={"Authorization": "Bearer " + token})
    out["api_read"] = api.status_code
    upload = client.post(
        "/members/imports",
        data={"file": (io.BytesIO("姓名\\n张三\\n".encode()), "m.csv")},
        content_type="multipart/form-data",
    )
    out["import"] = [upload.status_code, upload.headers.get("Location")]
    out["import_page"] = client.get("/members/imports").get_data(as_text=True)
    with app.app_context(), system_scope("test check"):
        last = db.session.scalars(sa.select(MemberImport)).all()
        out["imports"] = [(i.status, len(i.content or b"")) for i in last]
    api_import = client.post(
        "/api/v1/member-imports/", json={"rows": [{"name": "李四", "phone": "13900000000"}]},
        headers={"Authorization": "Bearer " + writer, "Idempotency-Key": "down-1"},
    )
    out["api_import"] = [api_import.status_code, api_import.get_json()["message"]]
    again = client.post(
        "/api/v1/member-imports/", json={"rows": [{"name": "李四", "phone": "13900000000"}]},
        headers={"Authorization": "Bearer " + writer, "Idempotency-Key": "down-1"},
    )
    out["api_import_again"] = again.status_code
    with app.app_context(), system_scope("test check"):
        out["api_imports"] = db.session.scalar(sa.select(sa.func.count(MemberImport.id)))
    ready = client.get("/readyz")
    out["readyz"] = [ready.status_code, ready.get_json()["checks"]["redis"]]
    print("RESULT " + json.dumps(out, ensure_ascii=False))
    """
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


@pytest.fixture(scope="module")
def redis_down(tmp_path_factory) -> dict:
    database = tmp_path_factory.mktemp("redis-down") / "db.sqlite3"
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, f"sqlite:///{database}", dead],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, done.stderr[-3000:]
    return json.loads(line.removeprefix("RESULT "))


def test_sign_in_pages_and_api_reads_work_without_redis(redis_down):
    assert redis_down["login"] == 302  # the login rate limit fell back to memory
    assert redis_down["members_page"] == 200
    assert redis_down["api_read"] == 200


def test_an_import_is_refused_with_try_again_later_and_leaves_nothing_pending(redis_down):
    assert redis_down["import"] == [302, "/members/imports"]  # back to the form
    assert "请几分钟后再试" in redis_down["import_page"]  # "try again in a few minutes"
    # Nothing of the upload is kept: no record, and no file (personal data) waiting.
    assert redis_down["imports"] == []


def test_an_api_import_answers_503_and_leaves_nothing_pending(redis_down):
    status, message = redis_down["api_import"]
    assert status == 503 and "请几分钟后再试" in message
    assert redis_down["api_imports"] == 0
    # The key was not taken by the refused request: the same request again is tried again.
    assert redis_down["api_import_again"] == 503


def test_readiness_reports_redis_unreachable(redis_down):
    assert redis_down["readyz"] == [503, "unreachable"]


def test_any_api_action_that_cannot_queue_its_job_answers_503_with_a_message(
    app, world, client, monkeypatch
):
    from service.jobs import JobsUnavailable

    def needs_a_job(*_args, **_kwargs):
        raise JobsUnavailable("Connection refused")

    monkeypatch.setitem(app.view_functions, "members_api.Members", needs_a_job)
    _token, plaintext = world.a.first.tokens["rw"]
    response = client.post("/api/v1/members/", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "Connection refused" not in response.get_data(as_text=True)
    assert response.get_json()["message"]
