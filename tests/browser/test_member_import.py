"""A clerk uploads a member file with mistakes and sees, row by row, what to fix; a job
title (讲师) is read as its title level, not refused."""

import pytest

from service.members.tabular import COLUMNS
from tests.browser.conftest import screenshot
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser

HEADER = ",".join(c.header for c in COLUMNS)
ROWS = [
    "林晓,,女,1985,化学系,化学,副高级,副教授,13911112222,,,否,,2024-09-01",
    ",,男,1979,物理学院,物理学,正高级,教授,13911113333,,,否,,2024-09-01",
    "陈刚,,男,1990,机械工程学院,机械工程,讲师,,1391111,,,否,,2024-09-01",
    "黄蕾,,女,1992,医学院,临床医学,初级,,13911114444,,,否,,2024-09-01",
]


def test_an_import_with_errors_shows_each_row_and_column(page, live_server, tmp_path):
    csv_file = tmp_path / "会员名单.csv"
    csv_file.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("gbk"))
    _sign_in(page, live_server, "zju-staff")
    page.goto(live_server + "/members/imports")
    page.get_by_label("会员文件").set_input_files(str(csv_file))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()
    assert "未导入" in page.locator("#import-result").inner_text()
    table = page.locator("#import-errors").inner_text()
    for expected in ("姓名为必填项", "不是有效的手机", "不符合入会条件"):
        assert expected in table
    assert "讲师" not in table  # a job title, read as 中级
    rows = page.locator("#import-errors tbody tr")
    assert rows.count() == 3
    screenshot(page, "member-import-errors")
