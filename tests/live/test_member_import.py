"""Member import through the running service: the secretariat uploads a roster at 个人会员 →
从表格导入, the status page reaches its end, and the members are in the list (the import job
ran after the upload's commit); a bad file ends failed with its row report, never stuck at
正在检查…. The federation's figures count the imported members (a rollup refresh after the
import's commit)."""

from __future__ import annotations

import io
import re
import secrets

from openpyxl import Workbook

from tests.live.conftest import BACKEND, LiveService, wait_for

HEADER = ["姓名", "性别", "出生年份", "院系", "职称", "手机", "电子邮箱", "中国科协所属学会会员"]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _roster(names: list[str]) -> list[list[str]]:
    """Rows of new members, with contacts no other member (from any run) has."""
    stem = secrets.randbelow(10**7)
    return [
        [name, "女", "1985", "材料学院", "副高级", f"139{stem:07d}{i}", "", "是"]
        for i, name in enumerate(names)
    ]


def _csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _finished(admin, status_url: str):
    """The status page once it no longer says 正在检查… (None while it does)."""
    page = admin.get(status_url)
    assert page.status == 200, page.status
    return None if "正在检查" in page.text else page


def _import(admin, filename: str, content: bytes, mime: str) -> str:
    started = admin.upload("/members/imports", "file", filename, content, mime)
    assert started.status == 200, started.text[-1000:]
    status_url = re.search(r"/members/imports/\d+$", started.url)
    assert status_url, "no status page after the upload"
    finished = wait_for(lambda: _finished(admin, status_url.group(0)), seconds=60)
    assert finished, f"the import still says 正在检查… after 60 s on {BACKEND}"
    return finished.text


def _outcome(page: str) -> str:
    """What the status page says, and its row report, for an assertion's message."""
    said = re.search(r'id="import-result">(.*?)</p>', page, re.S)
    report = re.search(r'<table id="import-errors">(.*?)</table>', page, re.S)
    return " ".join(found.group(1) for found in (said, report) if found) or page[-2000:]


def _individual_members(officer, association_id: int) -> int:
    """This year's 个人会员 on the federation's page about the association."""
    page = officer.get(f"/federation/associations/{association_id}").text
    row = re.search(r"<tr><td>个人会员</td>(.*?)</tr>", page, re.S)
    assert row, "no 个人会员 row on the federation's page"
    # Cells as the page writes figures: right-aligned, with thousands separators.
    return int(re.findall(r"<td[^>]*>([\d,]+)</td>", row.group(1))[-1].replace(",", ""))


def test_a_roster_is_imported_and_its_members_are_listed(live: LiveService):
    admin = live.browser("hznu-admin")
    officer = live.browser("zj-officer")
    association_id = live.sql("select id from association where name = '杭州师范大学科学技术协会'")
    association_id = association_id[0][0]
    counted_before = _individual_members(officer, association_id)

    csv_names = ["沈清秋", "岳清源"]
    page = _import(admin, "会员名单.csv", _csv(_roster(csv_names)), CSV)
    assert "已导入 2 名会员" in page, _outcome(page)
    xlsx_names = ["柳清歌"]
    page = _import(admin, "会员名单.xlsx", _xlsx(_roster(xlsx_names)), XLSX)
    assert "已导入 1 名会员" in page, _outcome(page)

    for name in csv_names + xlsx_names:
        listed = admin.get(f"/members/?q={name}").text
        assert f">{name}<" in listed, f"{name} is not in the member list"
    # The federation's figures follow the import (the rollup job ran after its commit).
    wait_for(lambda: _individual_members(officer, association_id) - counted_before >= 3, 30)
    counted = _individual_members(officer, association_id) - counted_before
    assert counted == 3, f"the federation's 个人会员 changed by {counted}, not 3"
    assert live.failures() == []


def test_a_bad_roster_ends_failed_with_its_row_report_and_imports_nothing(live: LiveService):
    admin = live.browser("hznu-admin")
    rows = _roster(["洛冰河", "", "宁婴婴"])
    rows[2][5] = "12345"  # not a mobile number
    page = _import(admin, "有错的名单.csv", _csv(rows), CSV)

    assert "未导入：发现 2 个问题" in page
    report = re.search(r'<table id="import-errors">(.*?)</table>', page, re.S)
    assert report, "no row report on the failed import"
    problems = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td>", report.group(1))
    assert problems == [("3", "姓名"), ("4", "手机")], problems
    assert ">洛冰河<" not in admin.get("/members/?q=洛冰河").text

    junk = _import(admin, "乱码.xlsx", b"PK\x03\x04 not really a workbook", XLSX)
    assert "未导入" in junk and 'id="import-errors"' in junk
    assert live.failures() == []
