"""What an API request is spared, and what it is not (issue 21): the API authenticates by
bearer token alone, so its requests open no session cookie and answer with none; rate
limits set for the whole application or an API blueprint still count its requests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from flask_smorest import Blueprint as SmorestBlueprint

from service.auth.roles import Role
from service.rest import Blueprint

ROOT = Path(__file__).resolve().parents[2]


def _bearer(token: tuple) -> dict[str, str]:
    return {"Authorization": f"Bearer {token[1]}"}


def test_a_signed_in_browser_is_not_authenticated_on_the_api_by_its_cookie(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.get("/members/").status_code == 200  # the cookie works on the pages
    refused = client.get("/api/v1/members/")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_an_api_answer_neither_sets_nor_varies_on_the_session_cookie(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.get("/api/v1/members/", headers=_bearer(world.a.first.tokens["ro"]))
    assert response.status_code == 200
    assert {m["id"] for m in response.json} == {m.id for m in world.a.first.members}
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    # The page still carries the session: the API's answer did not end it.
    assert client.get("/members/").status_code == 200


def test_the_api_answer_keeps_every_security_header(world, client):
    response = client.get("/api/v1/members/", headers=_bearer(world.a.first.tokens["ro"]))
    assert response.status_code == 200
    headers = response.headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert len(headers.getlist("Content-Security-Policy")) == 1


# The rate limiter's storage and limits are bound once per process (the `limiter` object is
# shared by every app): each scenario runs in a process of its own.
SCENARIO = textwrap.dedent(
    """
    import json, sys
    from service import create_app
    from service.extensions import limiter
    from service.members import api as members_api

    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
              "RATELIMIT_STORAGE_URI": "memory://"}
    if sys.argv[1] == "default":
        config["RATELIMIT_DEFAULT"] = "2 per minute"
    elif sys.argv[1] == "blueprint":
        limiter.limit("2 per minute")(members_api.blp)
    app = create_app(config)
    client = app.test_client()
    statuses = [client.get("/api/v1/members/").status_code for _ in range(3)]
    statuses.append(client.get("/api/v1/activities/").status_code)
    print(json.dumps(statuses))
    """
)


def _statuses(kind: str) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", SCENARIO, kind],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_application_wide_limit_still_counts_api_requests():
    # No token: refused (401) after the limiter has counted the request, as before.
    assert _statuses("default") == [401, 401, 429, 401]


def test_a_limit_on_an_api_blueprint_still_counts_its_requests():
    # The members' blueprint is limited; the activities' is not.
    assert _statuses("blueprint") == [401, 401, 429, 401]


def test_without_limits_api_requests_are_not_counted():
    assert _statuses("none") == [401, 401, 401, 401]


def test_x_pagination_is_flask_smorest_s_own_to_the_byte():
    """The Blueprint builds X-Pagination without making flask-smorest's schema per page: the
    same members, values and order as flask-smorest's own, for every kind of page."""
    for total in range(8):
        for size in (1, 2, 3, 10):
            for page in range(1, 6):
                ours = Blueprint._make_pagination_metadata(page, size, total)
                theirs = SmorestBlueprint._make_pagination_metadata(page, size, total)
                assert json.dumps(ours) == json.dumps(theirs), (page, size, total)


def test_a_page_says_where_it_is_in_the_list(world, client):
    headers = _bearer(world.a.first.tokens["ro"])
    total = len(world.a.first.members)
    assert total >= 2

    def figures(page: int) -> dict:
        response = client.get(f"/api/v1/members/?page={page}&page_size=1", headers=headers)
        assert response.status_code == 200
        assert len(response.json) == (1 if page <= total else 0)
        return json.loads(response.headers["X-Pagination"])

    whole = {"total": total, "total_pages": total, "first_page": 1, "last_page": total}
    assert figures(1) == {**whole, "page": 1, "next_page": 2}
    assert figures(total) == {**whole, "page": total, "previous_page": total - 1}
    assert figures(total + 1) == whole
