"""Error pages: on the web, a page in the site's layout that says what happened in Chinese,
gives the request id to quote and a way back; on the API, the same cases as JSON in the
documented error shape. A refusal of the request never reads as a fault of ours."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import TooManyRequests

from service.auth.roles import Role
from tenants.db import db
from tests.snapshots import row_counts

SYSTEM_ERROR = "系统出现错误"


@pytest.fixture
def admin(app, world):
    return app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])


@pytest.fixture
def api(client, world):
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.a.first.tokens['rw'][1]}"
    return client


@pytest.fixture
def broken_member_list(app, monkeypatch):
    """The member list fails inside the database, as a real fault would: its transaction is
    left broken (PostgreSQL refuses every later statement in it)."""
    from service.members import reads, services

    def broken(*_args, **_kwargs):
        db.session.execute(sa.text("select no_such_column from no_such_table"))

    monkeypatch.setattr(services, "members_query", broken)  # the page's list
    monkeypatch.setattr(reads, "member_page", broken)  # the API's
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


@pytest.fixture
def throttled_member_list(monkeypatch):
    from service.members import reads, services

    def throttled(*_args, **_kwargs):
        raise TooManyRequests()

    monkeypatch.setattr(services, "members_query", throttled)  # the page's list
    monkeypatch.setattr(reads, "member_page", throttled)  # the API's


def _assert_error_page(response, status: int, *words: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert "text/html" in response.content_type
    assert 'class="site-header"' in page  # the site's layout, not a bare page
    for word in words:
        assert word in page, word
    request_id = response.headers["X-Request-ID"]
    assert f"<code>{request_id}</code>" in page and "请求编号" in page
    assert '<a href="/">返回首页</a>' in page


def test_a_missing_page_is_404_in_the_layout_with_the_request_id(admin):
    response = admin.get("/no-such-page", headers={"X-Request-ID": "req-404-abcdef"})
    _assert_error_page(response, 404, "页面不存在", "页面不存在，或您无权查看。")
    assert "req-404-abcdef" in response.get_data(as_text=True)


def test_a_forbidden_page_is_403(admin):
    _assert_error_page(admin.get("/associations/"), 403, "无权操作", "您的角色无权执行此操作。")


def test_a_wrong_method_is_405(admin):
    _assert_error_page(admin.delete("/members/"), 405, "此页面不支持该操作。")


def test_a_bad_request_is_400_and_says_what_is_wrong(admin):
    response = admin.get("/members/?q=a%00b")
    _assert_error_page(response, 400, "请求有误", "控制字符")
    assert SYSTEM_ERROR not in response.get_data(as_text=True)


def test_a_post_above_the_size_limit_is_413(app, admin, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    _assert_error_page(admin.post("/members/new", data={"name": "李" * 10_000}), 413, "过大")


def test_too_many_attempts_is_429(admin, throttled_member_list):
    _assert_error_page(admin.get("/members/"), 429, "尝试次数过多，请一分钟后再试。")


def test_a_fault_of_ours_is_500_in_the_layout_and_changes_nothing(admin, broken_member_list):
    before = row_counts()
    response = admin.get("/members/")
    _assert_error_page(response, 500, "系统错误", "系统出现错误，请稍后重试。")
    assert row_counts() == before


def test_the_way_back_is_the_previous_page_only_if_it_is_ours(admin):
    back = admin.get("/no-such-page", headers={"Referer": "http://localhost/members/?q=x"})
    assert '<a href="/members/?q=x">返回上一页</a>' in back.get_data(as_text=True)
    elsewhere = admin.get("/no-such-page", headers={"Referer": "https://evil.example/members/"})
    assert "返回上一页" not in elsewhere.get_data(as_text=True)


def test_error_pages_are_english_by_choice(admin):
    admin.get("/language/en?next=/")
    page = admin.get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in page and "Request id" in page and "Back to the home page" in page


# --- the API ---------------------------------------------------------------------------


def _assert_api_error(response, status: int, message: str | None = None) -> dict:
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.json
    assert body["code"] == status and body["status"] and body["message"]
    assert SYSTEM_ERROR not in body["message"] or status >= 500
    if message:
        assert message in body["message"], body["message"]
    assert response.headers["X-Request-ID"]
    return body


def test_api_404_405_and_403_are_json(api, world):
    _assert_api_error(api.get("/api/v1/no-such-thing"), 404, "页面不存在")
    _assert_api_error(api.get("/api/v1/members/2147483647"), 404)
    _assert_api_error(api.delete("/api/v1/members/"), 405)
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.a.first.tokens['ro'][1]}"
    _assert_api_error(api.post("/api/v1/members/", json={"name": "李四"}), 403)


def test_api_400_is_json_with_a_message(api):
    _assert_api_error(api.get("/api/v1/members/?q=a%00b"), 400, "控制字符")


def test_a_validation_error_is_422_and_never_says_system_error(api, world):
    member = world.a.first.members[0]
    body = _assert_api_error(
        api.patch(f"/api/v1/members/{member.id}", json={"department": 5}),
        422,
        "部分内容填写有误",
    )
    assert body["errors"]["json"]["department"]


def test_api_413_is_json(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    _assert_api_error(api.post("/api/v1/members/", json={"name": "李" * 10_000}), 413, "过大")


def test_api_429_is_json(api, throttled_member_list):
    _assert_api_error(api.get("/api/v1/members/"), 429, "尝试次数过多")


def test_api_500_is_json_and_changes_nothing(api, broken_member_list):
    before = row_counts()
    _assert_api_error(api.get("/api/v1/members/"), 500, "系统出现错误")
    assert row_counts() == before
