"""Wide tables and many rows, in a real browser: on a phone each row of a wide table is a
card whose cells name their column; a clerk ticks two held activities and marks them 已上报
in one step after a confirmation that says how many; a supervisor keeps a choice of the
association table's columns. The bulk action works on 杭州师范大学's activities, which no
other browser test reads."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_layout import OVERFLOW, PHONE
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser

# Each card's cells: the column's name as drawn before the cell (its ::before), and the
# card's box; and whether the column names of the table are out of sight.
CARDS = """
table => ({
  headerHidden: table.querySelector('thead').getBoundingClientRect().width <= 1,
  rows: [...table.querySelectorAll('tbody tr')].map(tr => ({
    width: tr.getBoundingClientRect().width,
    right: tr.getBoundingClientRect().right,
    display: getComputedStyle(tr).display,
    labels: [...tr.querySelectorAll('td[data-label]')]
      .filter(td => !td.classList.contains('card-title'))
      .map(td => [td.dataset.label, getComputedStyle(td, '::before').content]),
  })),
})
"""


def _phone(browser):
    return browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)


def _assert_cards(page, selector: str) -> None:
    cards = page.locator(selector).evaluate(CARDS)
    assert cards["headerHidden"]
    assert cards["rows"], selector
    for row in cards["rows"]:
        assert row["display"] == "block"
        assert row["right"] <= PHONE["width"]
        assert row["labels"]
        for label, drawn in row["labels"]:
            assert label in drawn, (label, drawn)
    assert page.evaluate(OVERFLOW)[0] <= 0  # nothing scrolls sideways


def test_the_association_table_is_cards_on_a_phone(browser, live_server):
    context = _phone(browser)
    page = context.new_page()
    try:
        _sign_in(page, live_server, "zj-officer")
        page.goto(live_server + "/federation/associations")
        page.wait_for_load_state()
        _assert_cards(page, "#association-table")
        screenshot(page, "federation-table-cards-phone")
    finally:
        context.close()


def test_a_clerk_marks_two_held_activities_reported_in_one_step_on_a_phone(browser, live_server):
    context = _phone(browser)
    page = context.new_page()
    try:
        _sign_in(page, live_server, "hznu-admin")
        page.goto(live_server + "/activities/?status=held")
        page.wait_for_load_state()
        _assert_cards(page, "#activity-list")
        boxes = page.locator("#activity-list input[name=activity_id]")
        assert boxes.count() >= 2
        titles = [
            page.locator(f"#activity-list tr:has(#{boxes.nth(i).get_attribute('id')}) .card-title")
            .inner_text()
            .strip()
            for i in range(2)
        ]
        held_before = boxes.count()
        boxes.nth(0).check()
        boxes.nth(1).check()
        screenshot(page, "activities-bulk-chosen-phone")
        page.get_by_role("button", name="将所选标记为已上报").click()
        page.wait_for_load_state()

        assert page.get_by_role("heading", level=1).inner_text() == "将所选活动标记为已上报？"
        consequence = page.locator(".consequence").inner_text()
        assert "将有 2 项活动标记为已上报" in consequence
        assert all(title in consequence for title in titles)
        screenshot(page, "activities-bulk-confirm-phone")
        page.get_by_role("button", name="确认：标记为已上报").click()
        page.wait_for_load_state()

        assert "已将 2 项活动标记为已上报" in page.locator(".flash").inner_text()
        assert page.url.endswith("/activities/?status=held")  # the list as it was
        assert page.locator("#activity-list input[name=activity_id]").count() == held_before - 2
        assert all(title not in page.locator("#activity-list").inner_text() for title in titles)
    finally:
        context.close()


def test_a_choice_of_columns_stays_with_the_supervisor(page, live_server):
    _sign_in(page, live_server, "zj-edu")
    page.goto(live_server + "/federation/associations?sort=health&order=desc")
    page.wait_for_load_state()
    # The default columns, beside the box that chooses a row.
    assert page.locator("#association-table thead th:not(.select)").count() == 8
    page.locator("#column-chooser summary").click()
    page.get_by_label("团体会员").uncheck()
    page.get_by_label("会员（代表）大会次数").check()
    page.get_by_role("button", name="显示所选的列").click()
    page.wait_for_load_state()
    heads = page.locator("#association-table thead th").all_inner_texts()
    assert "会员（代表）大会次数" in heads and "团体会员" not in heads
    assert "sort=health" in page.url  # the same sort as before
    screenshot(page, "federation-table-columns-chosen")
    # Kept for this user: another page load shows the same columns.
    page.goto(live_server + "/federation/associations")
    kept = page.locator("#association-table thead").inner_text()
    assert "会员（代表）大会次数" in kept and "团体会员" not in kept
    # Back to the default for the other browser tests.
    page.locator("#column-chooser summary").click()
    page.get_by_role("button", name="恢复默认的列").click()
    page.wait_for_load_state()
    assert "团体会员" in page.locator("#association-table thead").inner_text()


def test_one_box_ticks_every_row_of_the_page(page, live_server):
    """The head of the column of boxes ticks or clears the page's rows (bulk.js)."""
    _sign_in(page, live_server, "hznu-admin")
    page.goto(live_server + "/members/")
    page.wait_for_load_state()
    rows = page.locator("#member-list tbody input[name=member_id]")
    assert rows.count() > 1
    every = page.get_by_role("checkbox", name="选择本页全部")
    every.check()
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    rows.first.uncheck()
    assert every.evaluate("el => el.indeterminate")
    every.check()
    every.uncheck()
    assert not any(rows.nth(i).is_checked() for i in range(rows.count()))


def test_every_association_of_the_filter_is_exported_and_addressed(page, live_server):
    """Gmail's "select all N": the officer chooses every association of the filter in force,
    is told how many before anything happens, and the export and the guidance form hold
    exactly the filter's rows (worked out again by the server)."""
    import io
    import re

    from openpyxl import load_workbook

    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/federation/associations?status=active")
    page.wait_for_load_state()
    rows = page.locator("#association-table tbody input[name=association_id]")
    names = page.locator("#association-table tbody .card-title").all_inner_texts()
    n = rows.count()
    assert n > 1
    matching = page.locator("#all-matching")
    label = page.locator("label:has(#all-matching)").inner_text()
    assert f"选择当前筛选条件下的全部 {n} 个高校科协" in label

    # The box ticks every row; taking a row out of the choice takes the box back.
    matching.check()
    assert all(rows.nth(i).is_checked() for i in range(n))
    rows.first.uncheck()
    assert not matching.is_checked()
    matching.check()
    assert rows.first.is_checked()
    screenshot(page, "federation-table-all-matching")

    page.get_by_role("button", name="导出所选").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "对当前筛选条件下的全部高校科协执行此操作？"
    )
    consequence = page.locator(".consequence").inner_text()
    assert f"当前筛选条件下的全部 {n} 个高校科协将导出为 Excel" in consequence
    assert "总表的筛选条件：状态：" in consequence
    screenshot(page, "federation-table-all-matching-confirm")
    with page.expect_download() as download:
        page.get_by_role("button", name="确认并继续").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    exported = [r[0].value for r in book.active.iter_rows(min_row=2)]
    assert sorted(exported) == sorted(names)

    # The guidance form, addressed to the same associations; nothing is sent yet.
    page.goto(live_server + "/federation/associations?status=active")
    page.locator("#all-matching").check()
    page.get_by_role("button", name="向所选发送指导").click()
    page.wait_for_load_state()
    assert (
        f"收件方为当前筛选条件下的全部 {n} 个高校科协" in page.locator(".consequence").inner_text()
    )
    page.get_by_role("button", name="确认并继续").click()
    page.wait_for_load_state()
    assert re.search(r"/federation/guidance/new\?", page.url)
    chosen = page.locator("select[name=associations] option:checked").all_inner_texts()
    assert sorted(chosen) == sorted(names)
