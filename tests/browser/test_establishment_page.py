"""A federation officer opens an application's supporting document, approves it, gets the
first administrator's set-password link, then sees the new association and the governance
column on the province's list. The first administrator opens the link, and an applicant
follows the tracking link: both carry their secret after "#", which the page posts."""

import re

import pytest

from tests import factories
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
    link = re.search(r"http://\S+/account/set-password#[\w.\-]+", body)[0]
    _first_administrator_sets_a_password(page.context.browser, live_server, link)

    page.get_by_role("link", name="查看新成立的科协").click()
    page.wait_for_load_state()
    assert "湖州师范学院科学技术协会" in page.get_by_role("heading", level=1).inner_text()
    assert "尚未登记会员（代表）大会。" in page.locator("main").inner_text()
    # The founding papers came along with the approval.
    assert "学校同意成立科协的批复.pdf" in page.locator("#establishment").inner_text()


def test_the_province_list_shows_governance_status(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    # 浙江工业大学's congress fell due in April 2025: past the grace period, it is missing.
    page.goto(live_server + "/associations/?compliance=missing")
    table = page.locator("table").inner_text()
    assert "浙江工业大学科学技术协会" in table and "缺失" in table
    assert "宁波大学科学技术协会" not in table  # due soon, not missing
    screenshot(page, "federation-associations-missing")


def _first_administrator_sets_a_password(browser, live_server, link):
    holder = browser.new_context(locale="zh-CN").new_page()
    holder.goto(link)
    holder.wait_for_load_state()
    # The page posted the token from the fragment: the address bar no longer holds it.
    assert holder.url == live_server + "/account/set-password"
    account = holder.locator("main").inner_text()
    username = re.search(r"账号：(\S+?)（", account)[1]
    holder.get_by_label("新密码", exact=True).fill("the-first-admins-2026")
    holder.get_by_label("确认新密码").fill("the-first-admins-2026")
    holder.get_by_role("button", name="设置密码").click()
    holder.wait_for_load_state()
    assert "密码已设置，请使用新密码登录。" in holder.locator("main").inner_text()
    holder.get_by_label("用户名").fill(username)
    holder.get_by_label("密码").fill("the-first-admins-2026")
    holder.get_by_role("button", name="登录", exact=True).click()
    holder.wait_for_load_state()
    assert "/login" not in holder.url
    # The same link, opened again, says it was used.
    holder.goto(link)
    holder.wait_for_load_state()
    assert "此链接已被使用" in holder.locator("main").inner_text()
    holder.context.close()


def test_an_applicant_follows_the_tracking_link(page, live_server, tmp_path):
    document = tmp_path / "学校批复.pdf"
    document.write_bytes(factories.PDF_BYTES)
    page.goto(live_server + "/establishment/apply")
    page.get_by_label("省级联合组织").select_option(index=0)
    page.get_by_label("高校", exact=True).fill("丽水学院")
    page.get_by_label("高校类型").select_option(index=0)
    page.get_by_label("我们承认《中国科学技术协会章程》").check()
    page.get_by_label("科技工作者人数").fill("320")
    page.get_by_label("秘书处挂靠部门").fill("科技处")
    page.get_by_label("主席人选", exact=True).fill("叶青")
    page.get_by_label("依据（所任职务或专家身份）").fill("副校长")
    page.get_by_label("副主席人选（每行一人，注明任职依据）").fill("王芳（科技处处长）")
    page.get_by_label("秘书长人选").fill("陈亮")
    page.get_by_label("联系人", exact=True).fill("陈亮")
    page.get_by_label("联系邮箱").fill("chenliang@lsu.edu.cn")
    page.get_by_label("证明材料（PDF或图片，可选多个文件）").set_input_files(str(document))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state()
    link = page.locator("main a").first.get_attribute("href")
    assert "/establishment/track#" in link
    page.goto(link)
    page.wait_for_load_state()
    assert page.url == live_server + "/establishment/track"
    main = page.locator("main").inner_text()
    assert "丽水学院" in main and "待审核" in main
    # The applicant's own document downloads, with the key in the body.
    with page.expect_download() as download:
        page.get_by_role("button", name="学校批复.pdf").click()
    assert download.value.suggested_filename == "学校批复.pdf"
    screenshot(page, "establishment-tracking")
