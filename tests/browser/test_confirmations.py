"""A member's erasure asks first, on a phone: the consequence, a word to type, the action as
the one filled button and "返回" as the safe way out. Nothing is erased here (the demo's
member serves the other browser tests): a wrong word is refused and 返回 leads back."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_content_security_policy import _sign_in
from tests.browser.test_layout import OVERFLOW, PHONE

pytestmark = pytest.mark.browser


def test_the_erasure_wants_the_word_typed_and_returns_safely(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, "zju-member")
        page.goto(live_server + "/me/")
        page.get_by_role("button", name="删除我的个人信息").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "确认删除您的个人信息？"
        assert "此操作无法撤销" in page.locator(".consequence").inner_text()
        action = page.get_by_role("button", name="确认永久删除我的个人信息")
        back = page.get_by_role("link", name="返回")
        styles = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
        assert action.evaluate(styles) != back.evaluate(styles)
        assert page.evaluate(OVERFLOW)[0] <= 0
        screenshot(page, "confirm-erasure-phone")

        page.get_by_label("请输入“删除”以确认").fill("删")
        action.click()
        page.wait_for_load_state()
        assert "请按提示准确输入" in page.locator("main").inner_text()

        page.get_by_role("link", name="返回").click()
        page.wait_for_load_state()
        assert page.url.endswith("/me/")
        assert "已注销会员" not in page.locator("main").inner_text()
    finally:
        context.close()
