"""A federation officer opens an application's supporting document, approves it, gets the
first administrator's set-password link, then sees the new association and the governance
column on the province's list."""

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
    # The supporting document opens as a download, never as a page of ours.
    with page.expect_download() as download:
        page.get_by_role("link", name="学校同意成立科协的批复.pdf").click()
    assert download.value.suggested_filename == "学校同意成立科协的批复.pdf"
    page.get_by_label("审核意见").select_option("approve")
    page.get_by_label("批准文号").fill("浙科协函〔2026〕31号")
    page.get_by_role("button", name="提交审核意见").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "审核意见已记录。" in body and "已批准" in body
    # The first administrator's one-time link is shown to the officer.
    assert "一次性设置密码链接" in body and "首位管理员" in body
    screenshot(page, "establishment-approved")

    page.get_by_role("link", name="查看新成立的科协").click()
    page.wait_for_load_state()
    assert "湖州师范学院科学技术协会" in page.get_by_role("heading", level=1).inner_text()
    assert "尚未登记会员（代表）大会。" in page.locator("main").inner_text()
    # The founding papers came along with the approval.
    assert "学校同意成立科协的批复.pdf" in page.locator("#establishment").inner_text()


def test_the_province_list_shows_governance_status(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/associations/?compliance=overdue")
    table = page.locator("table").inner_text()
    assert "浙江工业大学科学技术协会" in table and "已逾期" in table
    assert "宁波大学科学技术协会" not in table  # due soon, not overdue
    screenshot(page, "federation-associations-overdue")
