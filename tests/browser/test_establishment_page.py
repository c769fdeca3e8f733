"""A federation officer approves an establishment application, then sees the new association
and the governance column on the province's list."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser


def test_a_federation_officer_approves_an_application(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.get_by_role("navigation").get_by_role("link", name="成立申请").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="湖州师范学院").click()
    page.wait_for_load_state()
    assert "沈建国（副校长）" in page.locator("main").inner_text()
    page.get_by_label("审核意见").select_option("approve")
    page.get_by_label("批准文号").fill("浙科协函〔2026〕31号")
    page.get_by_role("button", name="提交审核意见").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "审核意见已记录。" in body and "已批准" in body
    screenshot(page, "establishment-approved")

    page.get_by_role("link", name="查看新成立的科协").click()
    page.wait_for_load_state()
    assert "湖州师范学院科学技术协会" in page.get_by_role("heading", level=1).inner_text()
    assert "尚未登记会员（代表）大会。" in page.locator("main").inner_text()


def test_the_province_list_shows_governance_status(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/associations/?compliance=overdue")
    table = page.locator("table").inner_text()
    assert "浙江工业大学科学技术协会" in table and "已逾期" in table
    assert "宁波大学科学技术协会" not in table  # due soon, not overdue
    screenshot(page, "federation-associations-overdue")
