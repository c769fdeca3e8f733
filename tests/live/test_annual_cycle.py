"""The year's central task through the running service: the officer opens the year, the
association compiles, explains and submits, the officer approves, and the roll-up is
compiled, locked and pushed to a national receiver, which records exactly one delivery.
Every page answers 200 on the way."""

from __future__ import annotations

import re
import time
from datetime import date

from tests.live.conftest import (
    BACKEND,
    LiveService,
    compiled_report,
    open_this_year,
    wait_for,
)

YEAR = date.today().year


def _compile(admin, period_id: int) -> str:
    page = admin.get(f"/reporting/periods/{period_id}")
    action = re.search(r'action="(/reporting/periods/\d+/compile)"', page.text)
    assert action, "the association has no 生成报表 button"
    started = admin.post(action.group(1), {"csrf_token": page.csrf()})
    assert started.status == 200, started.status
    report_url = re.search(r"/reporting/reports/\d+", started.url).group(0)
    # Inline, the figures are there when the page comes back; with a worker, within seconds.
    compiled = wait_for(lambda: compiled_report(admin, report_url), seconds=60)
    assert compiled, f"still compiling after 60 s on {BACKEND}"
    return report_url


def _explain_and_submit(admin, report_url: str) -> None:
    page = admin.get(report_url)
    for code in re.findall(r'name="code" value="([A-Z0-9]+)"', page.text):
        explained = admin.post(
            f"{report_url}/explain",
            {"csrf_token": page.csrf(), "code": code, "text": "本年度活动增加，数字核对无误。"},
        )
        assert explained.status == 200
    # Submitting asks first (service/web/confirmations.py); the confirmation posts again.
    submitted = admin.post(f"{report_url}/submit", {"csrf_token": page.csrf(), "confirmed": "yes"})
    assert "已提交" in submitted.text, "the report was not submitted"


def test_the_annual_cycle_completes_through_the_running_service(
    live: LiveService, national_receiver
):
    receiver_url, received = national_receiver
    officer = live.browser("zj-officer")
    admin = live.browser("zju-admin")

    period_id = open_this_year(officer)
    report_url = _compile(admin, period_id)
    figures = admin.get(report_url).text
    assert re.search(r'id="figure-ORG02".*?class="num"[^>]*>(\d+)<', figures, re.S).group(1) != "0"
    _explain_and_submit(admin, report_url)

    page = officer.get(report_url)
    approved = officer.post(
        f"{report_url}/review",
        {"csrf_token": page.csrf(), "decision": "approve", "confirmed": "yes"},
    )
    assert "已批准" in approved.text

    page = officer.get("/reporting/endpoint")
    saved = officer.post(
        "/reporting/endpoint", {"csrf_token": page.csrf(), "url": receiver_url, "secret": ""}
    )
    assert saved.status == 200
    page = officer.get(f"/reporting/periods/{period_id}/rollup")
    compiled = officer.post(f"/reporting/periods/{period_id}/rollup", {"csrf_token": page.csrf()})
    lock = re.search(r'action="(/reporting/rollups/\d+/lock)"', compiled.text)
    assert lock, "no roll-up to lock"
    officer.post(lock.group(1), {"csrf_token": compiled.csrf(), "confirmed": "yes"})

    delivered = wait_for(
        lambda: "delivered" in officer.get(f"/reporting/periods/{period_id}/rollup").text, 60
    )
    assert delivered, "the outbox row was not delivered"
    time.sleep(2)  # a duplicate would arrive now, from a retry or the periodic sweep
    assert len(received) == 1, received
    assert received[0]["body"]["year"] == YEAR

    for user in (officer, admin):
        assert user.get("/").status == 200
    failures = [s for s in live.seen if s[2] >= 500]
    assert failures == [], failures
