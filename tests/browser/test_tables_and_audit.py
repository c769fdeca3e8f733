"""Tables as clerks use Excel, and the audit log in words, in a real browser: the header row
stays in view while the rows scroll, figures sit on the right with thousands separators,
names come in pinyin order; the log reads as sentences in Beijing time."""

import re

import pytest

from service.sorting import pinyin_key
from tests.browser.conftest import screenshot
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser


def test_the_association_table_reads_as_in_excel(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/federation/associations")
    page.wait_for_load_state()

    names = page.locator("#association-table tbody tr td:first-child").all_inner_texts()
    assert len(names) > 1 and names == sorted(names, key=pinyin_key)
    figures = page.locator("#association-table td.num").all_inner_texts()
    assert figures and all(re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?", f) for f in figures)
    assert not any(f.endswith(".0") for f in figures)
    align = page.locator("#association-table td.num").first.evaluate(
        "el => getComputedStyle(el).textAlign"
    )
    assert align == "right"

    # Scroll until the table's top has gone under the site header, most of its rows below.
    top, height = page.locator("#association-table").evaluate(
        "el => [el.getBoundingClientRect().top + window.scrollY, el.offsetHeight]"
    )
    assert height > 200
    page.evaluate(f"window.scrollTo(0, {top + 120})")
    page.wait_for_timeout(200)
    header = page.locator(".site-header").bounding_box()
    first_th = page.locator("#association-table thead th").first.bounding_box()
    assert page.locator("#association-table").bounding_box()["y"] < 0
    assert abs(first_th["y"] - header["height"]) <= 2  # the header row stays in view
    screenshot(page, "federation-table-scrolled")


def test_the_audit_log_reads_as_sentences(page, live_server):
    _sign_in(page, live_server, "zju-admin")
    page.goto(live_server + "/audit/")
    page.wait_for_load_state()

    rows = page.locator("table.audit-log tbody tr").all_inner_texts()
    text = "\n".join(rows)
    assert rows and re.search(r"(新建了|修改了|删除了|登录了)", text)
    for code in ("user:", "None", "['", "create", "update", "user_account"):
        assert code not in text, code
    assert "北京时间" in page.locator("table.audit-log caption").inner_text()
    screenshot(page, "audit-log")
