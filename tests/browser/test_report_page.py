"""The annual report as one working surface, in the browser: an explanation typed into its
row saves itself when the field is left (or typing stops), says 已保存 in the row, its
label drops the "explain why" warning, and the summary's count of figures still to explain
drops, all without the page reloading or
moving. The data: tests/browser/report_data.py on a copy of the demo."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, SCREENSHOTS, seed_demo, server_env, serving
from tests.browser.test_accessibility import _audit
from tests.browser.test_layout import OVERFLOW, PHONE
from tests.browser.test_profile_page import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> str:
    database: Path = tmp_path_factory.mktemp("report-page") / "demo.sqlite3"
    env = server_env(database)
    seed_demo(env)
    subprocess.run(
        [sys.executable, "-m", "tests.browser.report_data"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with serving(env) as url:
        yield url


def _open_this_years_report(page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("用户名").fill("zju-admin")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.goto(url + "/reporting/")
    # This year's period, due next March (last year's is due this March).
    row = page.locator("#periods tbody tr").filter(has_text=f"{date.today().year + 1}-03-31")
    row.get_by_role("link", name="查看").click()
    page.wait_for_load_state()
    expect(page.locator("#report-status")).to_contain_text("已生成")


def _shoot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"report-page-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)


def test_an_explanation_saves_in_place_and_the_count_drops(page, service):
    _open_this_years_report(page, service)
    count = page.locator("#unexplained-count")
    before = int(count.inner_text())
    assert before > 2
    summary = page.locator("#to-explain")
    expect(summary.get_by_role("link", name="科普活动次数")).to_be_visible()
    _shoot(page, "top", full_page=False)

    # A mark on this very document: a reload would lose it.
    page.evaluate("window.notReloaded = true")
    row = page.locator("#figure-POP01")
    field = row.get_by_role("textbox")
    warning = "与上年相比变化超过三成，请说明原因。"
    expect(row.locator("label")).to_have_text(warning)
    expect(row.locator("label strong.error")).to_be_visible()
    field.evaluate("el => el.scrollIntoView({block: 'center'})")
    # Where the field is on the screen: the summary above it shrinks as a figure is
    # explained, and the browser keeps the field where it was (scroll anchoring).
    top = "el => el.getBoundingClientRect().top"
    where = field.evaluate(top)
    assert page.evaluate("window.scrollY") > 0
    field.fill("年底补录两场科普开放日，次数以活动记录为准。")
    field.press("Tab")  # leave the field

    expect(row.locator(".save-state")).to_have_text("已保存")
    # The row's label is the saved state's at once, as a reload would draw it.
    expect(row.locator("label")).to_have_text("情况说明")
    expect(row.locator("label strong.error")).to_have_count(0)
    expect(count).to_have_text(str(before - 1))
    expect(summary.get_by_role("link", name="科普活动次数")).to_be_hidden()
    expect(page.locator("#section-pop [data-attention-of]")).to_be_hidden()  # 科普: none left
    assert page.evaluate("window.notReloaded === true")
    assert abs(field.evaluate(top) - where) < 5
    assert row.inner_text().count("年底补录两场科普开放日") == 0  # only in its field
    assert field.input_value() == "年底补录两场科普开放日，次数以活动记录为准。"

    # Typing and stopping saves too, without leaving the field.
    other = page.locator("#figure-ORG02").get_by_role("textbox")
    other.fill("新增两个学院的教师会员。")
    expect(page.locator("#figure-ORG02 .save-state")).to_have_text("已保存", timeout=10_000)
    expect(count).to_have_text(str(before - 2))
    assert page.evaluate("window.notReloaded === true")
    _shoot(page, "saved", full_page=False)

    expect(page.locator("#figure-ORG02 label")).to_have_text("情况说明")

    # Kept: the page read again says the same.
    page.reload()
    expect(count).to_have_text(str(before - 2))
    expect(page.locator("#figure-POP01 label")).to_have_text("情况说明")
    expect(page.locator("#figure-ORG02 label")).to_have_text("情况说明")
    expect(page.locator("#explain-POP01")).to_have_value(
        "年底补录两场科普开放日，次数以活动记录为准。"
    )
    assert _audit(page, "report page") == []


def test_a_failed_save_says_so_in_the_row(page, service):
    _open_this_years_report(page, service)
    field = page.locator("#explain-ACA01")
    field.fill("x" * 10)
    field.fill("")  # the service refuses an empty explanation
    field.fill(" ")
    field.press("Tab")
    state = page.locator("#figure-ACA01 .save-state")
    expect(state).to_contain_text("保存失败")
    expect(page.locator("#unexplained-count")).not_to_have_text("0")


def test_on_a_phone_the_report_fits_and_saves_in_place(browser, service):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _open_this_years_report(page, service)
        over, widest = page.evaluate(OVERFLOW)
        assert over <= 0, f"the report scrolls sideways by {over}px: {widest}"
        before = int(page.locator("#unexplained-count").inner_text())
        field = page.locator("#explain-STU01")
        field.fill("新增学科竞赛项目。")
        field.blur()
        expect(page.locator("#figure-STU01 .save-state")).to_have_text("已保存")
        expect(page.locator("#unexplained-count")).to_have_text(str(before - 1))
        _shoot(page, "phone", full_page=False)
    finally:
        context.close()


def test_without_script_the_row_form_still_saves(browser, service):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        _open_this_years_report(page, service)
        before = int(page.locator("#unexplained-count").inner_text())
        row = page.locator("#figure-INT01")
        row.get_by_role("textbox").fill("宣讲进入每个学院，场次增加。")
        row.get_by_role("button", name="保存说明").click()
        page.wait_for_load_state()
        assert page.url.endswith("#figure-INT01")
        assert "说明已保存" in page.locator("main .flash").inner_text()
        assert int(page.locator("#unexplained-count").inner_text()) == before - 1
    finally:
        context.close()
