"""An association admin signs in and sees their association's profile, in Chinese."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "kexie-demo-2026"


def _sign_in(page, live_server, username):
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_an_association_admin_sees_their_profile_in_chinese(page, live_server):
    _sign_in(page, live_server, "zju-admin")
    page.get_by_role("link", name="本校科协").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "浙江大学科学技术协会"
    body = page.locator("main").inner_text()
    assert "研究型大学" in body and "联系人" in body
    assert "四川大学" not in page.content()
    path = screenshot(page, "association-profile")
    assert path.stat().st_size > 10_000


def test_a_federation_officer_sees_their_province_only(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.get_by_role("navigation").get_by_role("link", name="高校科协", exact=True).click()
    page.wait_for_load_state()
    table = page.locator("table").inner_text()
    assert "浙江大学科学技术协会" in table and "杭州职业技术学院科学技术协会" in table
    assert "四川大学" not in table
    screenshot(page, "federation-associations")
