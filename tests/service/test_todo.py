"""Each role's home page lists what waits for that person, with counts, deadlines and links
to where it is done, and nothing of another association or federation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service import jobs
from service.auth.roles import Role
from service.federation.models import Guidance
from service.reporting import services as reporting
from service.reporting.models import AnnualReport, ReportingPeriod
from tenants.db import db
from tenants.scope import system_scope
from tests.conftest import run_queued_jobs

NEXT_WEEK = date.today() + timedelta(days=7)
YEAR = date.today().year


def _home(client, user) -> str:
    client.login_as(user)
    return client.get("/").get_data(as_text=True)


@pytest.fixture
def period(world, client) -> int:
    """This year's period of federation A, due in a week, opened by its officer."""
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    data = {"year": YEAR, "deadline": NEXT_WEEK.isoformat()}
    assert client.post("/reporting/periods", data=data).status_code == 302
    with system_scope("test: the period's id"):
        return db.session.scalar(
            sa.select(ReportingPeriod.id).where(
                ReportingPeriod.federation_id == world.a.federation.id,
                ReportingPeriod.year == YEAR,
            )
        )


def _report_in(world, period_id: int, status: str, comments: dict | None = None) -> int:
    """The first association's report for the period, put in `status` as its pages would."""
    with system_scope("test: a report in a given state"):
        period = db.session.get(ReportingPeriod, period_id)
        report = reporting.start_compile(world.a.first.association.id, period)
        report.figures, report.status = {}, status
        report.review_comments = comments or {}
        db.session.commit()
        return report.id


def test_the_association_sees_the_open_period_and_its_deadline(world, client, period):
    page = _home(client, world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert f"{YEAR}年度统计报告：尚未编制，截止日期 {NEXT_WEEK.isoformat()}。" in page
    assert f'href="/reporting/periods/{period}"' in page
    assert "即将到期" in page  # due within two weeks


def test_a_returned_report_says_how_many_comments_it_has(world, client, period):
    comments = {"ORG02": "漏报了六月入会的会员", "ACA01": "请核对次数"}
    report_id = _report_in(world, period, "returned", comments)
    page = _home(client, world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert f"{YEAR}年度统计报告已被退回，附 2 条意见" in page
    assert f'href="/reporting/reports/{report_id}"' in page


def test_a_submitted_report_leaves_the_association_list_and_joins_the_officers(
    world, client, period
):
    report_id = _report_in(world, period, "submitted")
    assert f"{YEAR}年度统计报告" not in _home(client, world.a.first.users[Role.ASSOCIATION_ADMIN])

    officer = _home(client, world.a.users[Role.FEDERATION_OFFICER])
    assert f"{YEAR}年度有 1 份报告等待审核。" in officer
    # the second association has filed nothing and the deadline is a week away
    assert f"1 个高校科协尚未提交{YEAR}年度报告，截止日期 {NEXT_WEEK.isoformat()}。" in officer

    supervisor = _home(client, world.a.users[Role.EDUCATION_SUPERVISOR])
    assert f"{YEAR}年度有 1 份报告已提交，可查阅。" in supervisor
    assert "份报告等待审核" not in supervisor and "尚未提交" not in supervisor

    # the other province's officer has nothing of this
    other = _home(client, world.b.users[Role.FEDERATION_OFFICER])
    assert "份报告等待审核" not in other and f"/reporting/reports/{report_id}" not in other


def test_the_officer_sees_overdue_guidance_open_problems_and_escalations(world, client):
    with system_scope("test: the guidance is past its deadline"):
        db.session.get(Guidance, world.a.guidance_id).deadline = date(2020, 1, 1)
        db.session.commit()
    page = _home(client, world.a.users[Role.FEDERATION_OFFICER])
    # the second association has not answered; the first has
    assert "1 个高校科协未在 2020-01-01 前落实《关于开展年度工作总结的通知》。" in page
    assert f'href="/federation/guidance/{world.a.guidance_id}"' in page
    assert "1 个问题尚未解决。" in page
    assert "条上报的意见建议等待省级联合组织答复。" in page
    assert "已逾期" in page

    # the education supervisor cannot act on these, so is not asked to
    supervisor = _home(client, world.a.users[Role.EDUCATION_SUPERVISOR])
    assert "尚未解决" not in supervisor and "未在 2020-01-01 前落实" not in supervisor


def test_the_association_is_asked_to_answer_guidance_and_handle_its_inbox(world, client):
    page = _home(client, world.a.second.users[Role.ASSOCIATION_ADMIN])
    assert "请答复指导意见《关于开展年度工作总结的通知》。" in page  # the first has answered
    assert "请确认收到指导意见《关于整改秘书处工作的意见》。" in page  # sent to the second only
    first = _home(client, world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert "关于整改秘书处工作的意见" not in first
    assert "请答复指导意见《关于开展年度工作总结的通知》" not in first


def test_a_member_sees_only_their_own_items(world, client, period):
    page = _home(client, world.a.first.users[Role.MEMBER])
    assert "查看并核对我的会员信息。" in page and 'href="/me/"' in page
    assert "年度统计报告" not in page and "指导意见" not in page and "主席" not in page


def _fails() -> None:
    raise RuntimeError("a job that fails for good")


def test_the_operator_is_told_of_jobs_that_failed_for_good(world, client):
    with system_scope("test: a job fails"):
        jobs.enqueue(_fails)  # no retry: into the failed registry at its first run
    run_queued_jobs()
    failed = jobs.failed_count()
    assert failed >= 1
    client.login_as(world.operator)
    page = client.get("/operator").get_data(as_text=True)
    assert 'id="todo"' in page and f"{failed} 个后台任务最终失败" in page


def test_an_approved_report_is_no_longer_a_task(world, client, period):
    with system_scope("test: the report is approved"):
        report = db.session.get(AnnualReport, _report_in(world, period, "submitted"))
        reporting.approve(report, "test")
        db.session.commit()
    assert f"{YEAR}年度统计报告" not in _home(client, world.a.first.users[Role.ASSOCIATION_ADMIN])
    officer = _home(client, world.a.users[Role.FEDERATION_OFFICER])
    assert "份报告等待审核" not in officer
    # the second association has filed nothing; the first, approved, is filed
    assert f"1 个高校科协尚未提交{YEAR}年度报告" in officer


def test_a_reopened_report_counts_by_its_new_version(world, client, period):
    """The approved version stays on record; the association's latest is the reopened one,
    which is not filed until submitted again."""
    with system_scope("test: the report is approved, then reopened"):
        report = db.session.get(AnnualReport, _report_in(world, period, "submitted"))
        reporting.approve(report, "test")
        reporting.reopen(report, "补报遗漏的活动", "test")
        db.session.commit()
    officer = _home(client, world.a.users[Role.FEDERATION_OFFICER])
    assert f"2 个高校科协尚未提交{YEAR}年度报告" in officer

    with system_scope("test: the new version is submitted"):
        newer = reporting.current_report(world.a.first.association.id, period)
        newer.status = "submitted"
        db.session.commit()
    officer = _home(client, world.a.users[Role.FEDERATION_OFFICER])
    assert f"{YEAR}年度有 1 份报告等待审核。" in officer
    assert f"1 个高校科协尚未提交{YEAR}年度报告" in officer
