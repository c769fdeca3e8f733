"""Rollup refresh, the daily compliance recompute and the reminders, through the running
service. The periodic jobs are run as an operator (or the scheduler) would, with
`flask jobs run <id>` against the live database; what the federation officer and the
association admin see is read from their pages."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from tests.live.conftest import LiveService, wait_for

SCU = "四川大学科学技术协会"


def _association_id(live: LiveService, name: str) -> int:
    return live.sql(f"select id from association where name = '{name}'")[0][0]  # noqa: S608


def _figure(officer, association_id: int, label: str) -> int:
    """This year's value of a metric on the federation's page about the association."""
    page = officer.get(f"/federation/associations/{association_id}").text
    row = re.search(rf"<tr><td>{label}</td>(.*?)</tr>", page, re.S)
    assert row, f"no {label} row on the federation's page"
    # Cells as the page writes figures: right-aligned, with thousands separators.
    return int(re.findall(r"<td[^>]*>([\d,]+)</td>", row.group(1))[-1].replace(",", ""))


def _governance_badge(officer, name: str) -> str:
    """The overall governance status the federation's association list shows (stored
    findings, kept by the jobs), or — when none is stored."""
    page = officer.get("/associations/").text
    row = re.search(rf">{name}</a></td>(.*?)</tr>", page, re.S)
    assert row, f"{name} is not in the federation's list"
    badge = re.search(r'class="badge status-\w+">([^<]+)<', row.group(1))
    return badge.group(1) if badge else "—"


def test_a_member_added_shows_in_the_federations_figures(live: LiveService):
    officer = live.browser("sc-officer")
    admin = live.browser("scu-admin")
    scu = _association_id(live, SCU)
    before = _figure(officer, scu, "个人会员")

    form = admin.get("/members/new")
    added = admin.post(
        "/members/new",
        {
            "csrf_token": form.csrf(),
            "name": "罗浮生",
            "title": "senior",
            "in_cast_society": "y",
            "department": "化学学院",
            "phone": f"137{secrets.randbelow(10**8):08d}",
        },
    )
    assert "会员已添加" in added.text or re.search(r"/members/\d+$", added.url), added.text[-800:]

    # The refresh job runs after the member's commit (inline, or in the worker).
    changed = wait_for(lambda: _figure(officer, scu, "个人会员") != before, seconds=30)
    assert changed, "the federation's 个人会员 did not follow the new member"
    assert _figure(officer, scu, "个人会员") == before + 1
    assert live.failures() == []


def test_the_daily_recompute_and_the_reminders_reach_the_association(live: LiveService):
    officer = live.browser("sc-officer")
    admin = live.browser("scu-admin")
    scu = _association_id(live, SCU)
    assert _governance_badge(officer, SCU) == "符合要求"

    # Time passes: the last congress is now three years and some days ago (due within five
    # years; due soon from three). No write tells the service; only the daily job can see it.
    today = date.today()
    held = date(today.year - 3, today.month, 1) - timedelta(days=10)  # never 29 February
    due = held.replace(year=held.year + 5)
    live.sql_write(
        f"update congress set held_on = '{held.isoformat()}' where tenant_id = {scu}"  # noqa: S608
    )
    assert _governance_badge(officer, SCU) == "符合要求"  # stored findings, not yet recomputed

    # The daily run, then the reminders (the scheduler's order), as an operator would.
    live.flask("jobs", "run", "compliance-daily", "compliance-reminders")
    assert _governance_badge(officer, SCU) == "即将到期"
    home = admin.get("/").text
    assert "即将到期" in home  # the admin's to-do list (evaluated as the page is drawn)
    reminders = re.search(r"<h2>提醒</h2>(.*?)</section>", home, re.S)
    assert reminders, "no 提醒 on the association admin's home page"
    sent = re.findall(
        rf"{today.isoformat()}: “([^”]+)”将于{due.isoformat()}到期。", reminders.group(1)
    )
    assert len(sent) == 1, reminders.group(1)
    title = re.search(r"<title>(.*?)</title>", home, re.S).group(1)
    assert "提醒" not in title and "<" not in title, title
    assert live.failures() == []
