"""A compile lost with its process (a worker killed, the service restarted mid-compile) is
shown as 生成失败 with the reason in Chinese once 15 minutes have passed, and stays so after
the `lost-compiles` sweep records it; 重新生成 then compiles. (A compile whose job raises is
covered by tests/service/test_compile_failures.py: a live server offers no honest way to make
the indicators raise.)"""

from __future__ import annotations

import re

from tests.live.conftest import (
    BACKEND,
    LiveService,
    compiled_report,
    open_this_year,
    wait_for,
)


def _compile(admin, period_id: int, from_page: str) -> str:
    page = admin.get(from_page)
    started = admin.post(f"/reporting/periods/{period_id}/compile", {"csrf_token": page.csrf()})
    report_url = re.search(r"/reporting/reports/\d+", started.url)
    assert report_url, started.text[-1000:]
    compiled = wait_for(lambda: compiled_report(admin, report_url.group(0)), seconds=60)
    assert compiled, f"still compiling after 60 s on {BACKEND}"
    return report_url.group(0)


def _says_lost(page: str) -> None:
    status = re.search(r'id="report-status">([^<·]+)', page).group(1).strip()
    assert status == "生成失败", status
    assert "报表生成未能完成：生成期间服务重新启动。数字均未改动。" in page
    assert "lost:" not in page and "worker" not in page  # no English reason for the user
    assert 'http-equiv="refresh"' not in page  # nothing to wait for


def test_a_lost_compile_is_shown_failed_and_compiles_again(live: LiveService):
    officer = live.browser("sc-officer")
    admin = live.browser("scu-admin")
    period_id = open_this_year(officer)
    report_url = _compile(admin, period_id, f"/reporting/periods/{period_id}")
    report_id = int(report_url.rsplit("/", 1)[1])

    # The service dies mid-compile: the report says 生成中, and 16 minutes go by.
    started = (
        "timezone('utc', now()) - interval '16 minutes'"
        if BACKEND.startswith("postgresql")
        else "datetime('now', '-16 minutes')"
    )
    live.sql_write(
        "update annual_report set status = 'compiling', "  # noqa: S608
        f"compile_started_at = {started} where id = {report_id}"
    )
    page = admin.get(report_url).text
    _says_lost(page)
    assert "重新生成" in page

    live.flask("jobs", "run", "lost-compiles")  # the sweep records what the page showed
    assert live.sql(f"select status from annual_report where id = {report_id}") == [("failed",)]  # noqa: S608
    page = admin.get(report_url).text
    _says_lost(page)

    retry = re.search(r'action="(/reporting/periods/\d+/compile)"', page)
    assert retry, "no 重新生成 button"
    again = admin.post(retry.group(1), {"csrf_token": admin.get(report_url).csrf()})
    assert report_url in again.url
    compiled = wait_for(lambda: compiled_report(admin, report_url), seconds=60)
    assert compiled, "重新生成 did not compile"
    assert "生成失败" not in compiled.text
    assert live.failures() == []
