"""A compile whose job raises on every attempt ends 生成失败, with the reason and a 重新生成
button that compiles; it never stays 生成中. (The live tests cover a compile lost with its
process; a live server offers no honest way to make the indicators raise.)"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from service import jobs
from service.auth.roles import Role
from service.reporting import indicators
from service.reporting.models import AnnualReport
from tenants.db import db
from tenants.scope import system_scope
from tests.conftest import run_queued_jobs

YEAR = date.today().year


def _work_the_queue_and_every_retry(app) -> None:
    """Run the job and its retries now, rather than after their intervals."""
    for _attempt in range(4):
        run_queued_jobs()
        jobs.enqueue_due_retries(jobs.queue(app=app), datetime.now(UTC) + timedelta(hours=1))
        if jobs.is_inline(app):
            jobs.run_inline(app)


def _status(report_id: int) -> str:
    with system_scope("test: read the report"):
        return db.session.scalar(sa.select(AnnualReport.status).where(AnnualReport.id == report_id))


def test_a_compile_that_fails_says_so_with_the_reason_and_compiles_again(
    app, world, client, monkeypatch
):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    opened = client.post("/reporting/periods", data={"year": YEAR, "deadline": f"{YEAR}-12-31"})
    period_id = int(re.search(r"/reporting/periods/(\d+)", opened.location).group(1))

    def indicators_fail(*_args, **_kwargs):
        raise RuntimeError("活动记录中有无法统计的数据")

    monkeypatch.setattr(indicators, "compute", indicators_fail)
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    started = client.post(f"/reporting/periods/{period_id}/compile")
    assert started.status_code == 302
    report_url = started.location
    _work_the_queue_and_every_retry(app)

    page = client.get(report_url).get_data(as_text=True)
    assert "生成失败" in page and "报表生成时出错，已停止。数字均未改动。" in page
    assert "说明：RuntimeError: 活动记录中有无法统计的数据" in page
    assert "生成中" not in page and 'http-equiv="refresh"' not in page
    retry = re.search(r'action="(/reporting/periods/\d+/compile)"[^>]*>.*?重新生成', page, re.S)
    assert retry, "no 重新生成 button on the failed report"

    monkeypatch.undo()
    again = client.post(retry.group(1))
    run_queued_jobs()
    assert again.location == report_url
    page = client.get(report_url).get_data(as_text=True)
    assert 'id="figures"' in page and "生成失败" not in page
    assert _status(int(report_url.rsplit("/", 1)[1])) == "compiled"
