"""The reporting cycle end to end, through the pages and the national API: records →
compile → return → fix → resubmit → approve → roll-up → lock → national GET; an edit after
locking changes nothing in the snapshot; reopening makes version 2."""

from __future__ import annotations

import html
from datetime import date

import pytest
import sqlalchemy as sa

from service import jobs as service_jobs
from service.auth.roles import Role
from service.reporting import indicators, jobs, services
from service.reporting.models import (
    AnnualReport,
    FederationRollup,
    LockedSnapshot,
    ReportingPeriod,
    content_hash,
)
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.conftest import run_queued_jobs
from tests.service.reporting_fixtures import EXPECTED_FIRST, MOVED, YEAR, add_records

# Submitting, approving and locking ask first (service/web/confirmations.py).
CONFIRMED = {"confirmed": "yes"}


def _period_id(world) -> int:
    with system_scope("test: find the period"):
        return db.session.scalar(
            sa.select(ReportingPeriod.id).where(
                ReportingPeriod.federation_id == world.a.federation.id,
                ReportingPeriod.year == YEAR,
            )
        )


def _report(association_id: int, version: int | None = None) -> AnnualReport:
    with system_scope("test: read the report"):
        query = (
            sa.select(AnnualReport)
            .join(ReportingPeriod)
            .where(AnnualReport.tenant_id == association_id, ReportingPeriod.year == YEAR)
            .order_by(AnnualReport.version.desc())
        )
        if version:
            query = query.where(AnnualReport.version == version)
        report = db.session.scalars(query).first()
        db.session.expunge(report)
        return report


def _bearer(token) -> dict:
    return {"Authorization": f"Bearer {token[1]}"}


@pytest.fixture
def cycle(world, client):
    with system_scope("test: this year's records"):
        add_records(world.a.first.association)
        db.session.commit()
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        "/reporting/periods", data={"year": YEAR, "deadline": date(YEAR + 1, 3, 31).isoformat()}
    )
    assert response.status_code == 302
    return world, _period_id(world)


def _compile(client, admin, period_id):
    client.login_as(admin)
    response = client.post(f"/reporting/periods/{period_id}/compile")
    run_queued_jobs()
    assert response.status_code == 302
    return response


def test_the_full_cycle(cycle, client):
    world, period_id = cycle
    first = world.a.first
    admin, officer = first.users[Role.ASSOCIATION_ADMIN], world.a.users[Role.FEDERATION_OFFICER]
    aid = first.association.id

    # compile: each figure with the records behind it
    _compile(client, admin, period_id)
    report = _report(aid)
    assert report.status == "compiled" and report.figures == EXPECTED_FIRST
    page = client.get(f"/reporting/reports/{report.id}").get_data(as_text=True)
    assert "个人会员数" in page and "/members/" in page and f"/governance/{aid}" in page
    assert (
        "科普活动次数" in page
        and f"/activities/?task=popularisation&amp;status=counted&amp;year={YEAR}" in page
    )
    science_week = "task=popularisation&amp;status=counted&amp;subtype=science_week"
    assert f"/activities/?{science_week}&amp;year={YEAR}" in page
    assert f"/activities/outcomes?year={YEAR}" in page and "/talent/nominations/" in page

    # figures that moved more than 30% from last year must be explained before submitting
    client.post(f"/reporting/reports/{report.id}/submit", data=CONFIRMED)
    assert _report(aid).status == "compiled"
    assert set(services_unexplained(aid)) == set(MOVED)
    for code in MOVED:
        client.post(
            f"/reporting/reports/{report.id}/explain", data={"code": code, "text": "新成立"}
        )
    client.post(f"/reporting/reports/{report.id}/submit", data=CONFIRMED)
    assert _report(aid).status == "submitted"

    # the federation returns it with a comment on one figure
    client.login_as(officer)
    overview = client.get(f"/reporting/periods/{period_id}").get_data(as_text=True)
    assert first.association.name in overview and f"/reporting/reports/{report.id}" in overview
    client.post(
        f"/reporting/reports/{report.id}/review",
        data={"decision": "return", "comment_ORG02": "漏报了六月入会的会员"},
    )
    returned = _report(aid)
    assert returned.status == "returned"
    assert returned.review_comments == {"ORG02": "漏报了六月入会的会员"}

    # the association fixes the records, recompiles, resubmits
    with system_scope("test: the missing member"):
        factories.make_member(first.association, joined_on=date(YEAR, 6, 1))
        db.session.commit()
    _compile(client, admin, period_id)
    assert "漏报了六月入会的会员" in client.get(f"/reporting/reports/{report.id}").get_data(
        as_text=True
    )
    client.post(f"/reporting/reports/{report.id}/submit", data=CONFIRMED)
    assert _report(aid).figures["ORG02"] == 4 and _report(aid).status == "submitted"

    # approved: locked with the hash of its figures
    client.login_as(officer)
    client.post(f"/reporting/reports/{report.id}/review", data={"decision": "approve", **CONFIRMED})
    approved = _report(aid)
    assert approved.status == "approved"
    assert approved.locked_hash == content_hash(approved.figures)

    # roll-up: the approved report; the other association is missing; then lock
    client.post(f"/reporting/periods/{period_id}/rollup")
    with system_scope("test: the roll-up"):
        rollup = db.session.scalars(
            sa.select(FederationRollup).where(FederationRollup.year == YEAR)
        ).one()
        rollup_id = rollup.id
        assert rollup.figures["ORG02"] == 4
        assert rollup.figures["POP01"] == 4 and rollup.figures["STU03"] == 60
        assert [m["association_id"] for m in rollup.missing] == [world.a.second.association.id]
    page = client.get(f"/reporting/periods/{period_id}/rollup").get_data(as_text=True)
    assert world.a.second.association.name in page
    client.post(f"/reporting/rollups/{rollup_id}/lock", data=CONFIRMED)
    run_queued_jobs()

    # the national API returns the locked figures
    response = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/rollups/{YEAR}",
        headers=_bearer(world.national_a),
    )
    assert response.status_code == 200
    locked = response.get_json()
    assert locked["version"] == 1 and locked["figures"]["ORG02"] == 4 and len(locked["hash"]) == 64
    assert locked["figures"]["INT021"] == 200 and locked["figures"]["TAL01"] == 2

    # an edit after locking changes nothing in the snapshot, by records or by force
    with system_scope("test: a late member"):
        factories.make_member(first.association, joined_on=date(YEAR, 9, 1))
        db.session.commit()
    with use_scope(Scope.association(aid)), pytest.raises(LockedSnapshot):
        report_row = db.session.get(AnnualReport, report.id)
        report_row.figures = {**report_row.figures, "ORG02": 99}
        db.session.flush()
    db.session.rollback()
    assert _report(aid, 1).figures["ORG02"] == 4
    again = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/rollups/{YEAR}",
        headers=_bearer(world.national_a),
    )
    assert again.get_json() == locked

    # reopen with a reason: version 2 to work on, version 1 kept as approved
    client.post(f"/reporting/reports/{report.id}/reopen", data={"reason": "补报九月入会会员"})
    assert (
        _report(aid, 1).status == "approved" and _report(aid, 1).locked_hash == approved.locked_hash
    )
    second = _report(aid)
    assert second.version == 2 and second.reopen_reason == "补报九月入会会员"
    _compile(client, admin, period_id)
    assert _report(aid).figures["ORG02"] == 5 and _report(aid, 1).figures["ORG02"] == 4


def services_unexplained(aid: int) -> list[str]:
    with use_scope(Scope.association(aid)):
        report = db.session.scalars(
            sa.select(AnnualReport)
            .where(AnnualReport.tenant_id == aid)
            .order_by(AnnualReport.id.desc())
        ).first()
        return services.unexplained(report)


def test_a_compile_that_dies_writes_nothing_and_a_rerun_gives_the_same_hash(
    cycle, client, monkeypatch
):
    world, period_id = cycle
    aid = world.a.first.association.id
    with use_scope(Scope.association(aid)):
        period = db.session.get(ReportingPeriod, period_id)
        report_id = services.start_compile(aid, period).id
        db.session.commit()

    def dies(ids, year):
        raise SystemExit("worker killed")

    monkeypatch.setitem(indicators.FAMILIES, "meetings", dies)
    with use_scope(Scope.association(aid)), pytest.raises(SystemExit):
        jobs.compile_report(report_id)
    db.session.rollback()
    assert _report(aid).status == "compiling" and _report(aid).figures is None
    monkeypatch.undo()
    with use_scope(Scope.association(aid)):
        assert jobs.compile_report(report_id) == "compiled"
    first_hash = _report(aid).figures_hash
    with use_scope(Scope.association(aid)):
        report = db.session.get(AnnualReport, report_id)
        report.status = "compiling"
        db.session.commit()
        jobs.compile_report(report_id)
    assert _report(aid).figures_hash == first_hash == content_hash(EXPECTED_FIRST)


def test_the_database_refuses_to_change_a_locked_report(world):
    report_id = world.a.first.reports[0]
    with (
        system_scope("test: raw SQL on a locked report"),
        pytest.raises(sa.exc.DBAPIError),
        db.session.begin_nested(),
    ):
        db.session.execute(
            sa.text("UPDATE annual_report SET figures_hash = 'x' WHERE id = :id"),
            {"id": report_id},
        )


def test_exports_are_in_the_official_layout(world, client):
    from io import BytesIO

    from openpyxl import load_workbook

    report_id = world.a.first.reports[0]
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    book = load_workbook(BytesIO(client.get(f"/reporting/reports/{report_id}/export.xlsx").data))
    assert "表1 组织建设" in book.sheetnames and "科技交流情况表" in book.sheetnames
    sheet = book["表1 组织建设"]
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert world.a.first.association.name in cells and "个人会员数" in cells
    assert "单位负责人：" in cells and "报出日期：" in cells
    csv_text = client.get(f"/reporting/reports/{report_id}/export.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("指标代码,指标名称,计量单位,数值")
    document = client.get(f"/reporting/reports/{report_id}/export.json").get_json()
    assert document["status"] == "approved" and len(document["hash"]) == 64
    page = client.get(f"/reporting/reports/{report_id}/print").get_data(as_text=True)
    assert "<script" not in page and "report-print.css" in page and "（盖章）" in page


def test_not_applicable_stays_a_dash_and_text_cannot_be_a_formula():
    from io import BytesIO

    from openpyxl import load_workbook

    from service.reporting import exports, national_forms

    figures = {**dict.fromkeys(EXPECTED_FIRST, 0), "ORG04": "-"}
    assert "ORG04,会员（代表）大会代表数,人,-," in exports.to_csv(figures).decode("utf-8-sig")
    filing = exports.Filing("=HYPERLINK()", 2026, 1, None, None, national_forms.default_headers())
    book = load_workbook(BytesIO(exports.to_xlsx(filing, figures)))
    cells = [c.value for row in book["表1 组织建设"].iter_rows() for c in row]
    assert "'=HYPERLINK()" in cells and "-" in cells


@pytest.mark.parametrize(("old", "new"), sorted(service_jobs.MOVED.items()))
def test_a_job_queued_before_its_body_moved_to_jobs_still_runs_it(old, new):
    from werkzeug.utils import import_string

    module, name = new.split(":")
    assert old.endswith(f":{name}") and module.endswith(".jobs")
    assert callable(import_string(new.replace(":", ".")))


# --- the report page as one working surface --------------------------------------------------

JSON = {"Accept": "application/json"}


def _page(client, report_id: int) -> str:
    response = client.get(f"/reporting/reports/{report_id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _between(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def test_the_report_page_leads_with_a_summary_and_its_sections(cycle, client):
    world, period_id = cycle
    first = world.a.first
    _compile(client, first.users[Role.ASSOCIATION_ADMIN], period_id)
    report = _report(first.association.id)

    page = _page(client, report.id)

    # the page header: the primary actions on the right of the title
    actions = _between(page, 'id="report-actions"', 'id="summary"')
    for action in ("根据记录重新生成", "报送联合会", "打印", "导出"):
        assert action in actions
    # the summary: status, deadline, and each figure still to explain by name, linked to its row
    summary = _between(page, 'id="summary"', "</section>")
    assert "已生成" in summary and f"{YEAR + 1}-03-31" in summary
    assert f'id="unexplained-count">{len(MOVED)}<' in summary
    for code in MOVED:
        assert f'<a href="#figure-{code}">{indicators.BY_CODE[code].name_zh}</a>' in summary
        assert f'id="figure-{code}"' in page
    # sections by the catalogue's families, each with its anchor in the index
    index = _between(page, 'class="section-index"', "</nav>")
    sections = (("section-org", "组织建设"), ("section-pop", "科普"), ("section-int", "科研诚信"))
    for anchor, name in sections:
        assert f'href="#{anchor}">{name}</a>' in index and f'id="{anchor}"' in page
    # a figure to explain in it: the section is open, with its figures in it
    assert '<details class="report-section" id="section-org" open>' in page
    org = _between(page, 'id="section-org"', "</details>")
    assert "figure-ORG01" in org and "figure-ORG02" in org and page.count('id="figure-') == 48


def test_an_explanation_is_shown_once_and_saved_in_place(cycle, client):
    world, period_id = cycle
    first = world.a.first
    _compile(client, first.users[Role.ASSOCIATION_ADMIN], period_id)
    report = _report(first.association.id)
    url = f"/reporting/reports/{report.id}/explain"

    # the page's script asks for JSON: the answer says what is still to explain
    answer = client.post(url, data={"code": "ORG02", "text": "今年新会员较多 EXPL-1"}, headers=JSON)
    assert answer.status_code == 200 and answer.is_json
    body = answer.get_json()
    assert body["saved"] is True and body["code"] == "ORG02"
    left = [item["code"] for item in body["unexplained"]]
    assert "ORG02" not in left and len(left) == len(MOVED) - 1
    assert {"code": "ORG03", "name": "团体会员数"} in body["unexplained"]

    page = _page(client, report.id)
    assert page.count("今年新会员较多 EXPL-1") == 1  # in its field, not beside it again
    assert f'id="unexplained-count">{len(MOVED) - 1}<' in page
    assert '<a href="#figure-ORG02">' not in _between(page, 'id="summary"', "</section>")

    # refused as JSON: a message, a 4xx, nothing changed
    refused = client.post(url, data={"code": "ORG02", "text": "   "}, headers=JSON)
    assert refused.status_code == 422 and refused.get_json()["saved"] is False
    assert "说明" in refused.get_json()["message"]
    unknown = client.post(url, data={"code": "NOPE", "text": "x"}, headers=JSON)
    assert unknown.status_code == 422 and "没有该指标" in unknown.get_json()["message"]
    assert _report(first.association.id).explanations == {"ORG02": "今年新会员较多 EXPL-1"}

    # without script: the form posts and the page comes back at the row
    plain = client.post(url, data={"code": "ORG03", "text": "新成立团体会员"})
    assert plain.status_code == 302 and plain.location.endswith(
        f"/reporting/reports/{report.id}#figure-ORG03"
    )


def test_a_refused_submit_names_each_figure_in_words(cycle, client):
    world, period_id = cycle
    first = world.a.first
    _compile(client, first.users[Role.ASSOCIATION_ADMIN], period_id)
    report = _report(first.association.id)

    response = client.post(
        f"/reporting/reports/{report.id}/submit", data=CONFIRMED, follow_redirects=True
    )

    page = html.unescape(response.get_data(as_text=True))
    flash = _between(page, 'class="flash flash-error"', "</p>")
    assert f"有 {len(MOVED)} 项数字较上年变动超过 30%" in flash
    assert "个人会员数、团体会员数" in flash and "学术交流活动次数" in flash
    assert not any(code in flash for code in MOVED)  # in words, never by code
    assert '<a href="#figure-ORG02">个人会员数</a>' in _between(page, 'id="summary"', "</section>")
    assert _report(first.association.id).status == "compiled"
    # nothing to confirm yet: the button is refused at once, in the same words
    at_once = client.post(f"/reporting/reports/{report.id}/submit")
    assert at_once.status_code == 302 and at_once.location.endswith("#summary")
    page = _page(client, report.id)
    assert "个人会员数、团体会员数" in _between(page, 'class="flash flash-error"', "</p>")


def test_a_returned_reports_comments_are_at_the_top_once(cycle, client):
    world, period_id = cycle
    first = world.a.first
    admin, officer = first.users[Role.ASSOCIATION_ADMIN], world.a.users[Role.FEDERATION_OFFICER]
    _compile(client, admin, period_id)
    report = _report(first.association.id)
    for code in MOVED:
        client.post(f"/reporting/reports/{report.id}/explain", data={"code": code, "text": "新"})
    client.post(f"/reporting/reports/{report.id}/submit", data=CONFIRMED)
    client.login_as(officer)
    client.post(
        f"/reporting/reports/{report.id}/review",
        data={
            "decision": "return",
            "comment_POP01": "请核对科普活动次数 RC-1",
            "comment_ORG01": "再核",
        },
    )
    client.login_as(admin)

    page = _page(client, report.id)

    assert page.count("请核对科普活动次数 RC-1") == 1
    top = _between(page, 'id="summary"', "</section>")
    assert "联合会退回报表，共 2 条意见" in top and 'id="review-comment-count">2<' in top
    assert '<a href="#figure-POP01">科普活动次数</a>：请核对科普活动次数 RC-1' in top
    # the row points back to the comment, and its field is described by it
    row = _between(page, 'id="figure-POP01"', "</tr>")
    assert 'href="#review-comment-POP01"' in row
    assert 'aria-describedby="review-comment-POP01"' in row


def test_the_periods_link_says_what_it_does(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    page = html.unescape(client.get("/reporting/").get_data(as_text=True))
    row = _between(page, 'id="periods"', "</table>")
    assert "已批准" in row and ">查看</a>" in row and "待处理" not in row


def test_the_reviewer_approves_or_returns_from_the_page_header(cycle, client):
    """审核通过 and 退回 sit with the page's other actions; the comments on the figures still
    go with 退回 (they belong to the same form, wherever it is drawn)."""
    world, period_id = cycle
    first = world.a.first
    _compile(client, first.users[Role.ASSOCIATION_ADMIN], period_id)
    report = _report(first.association.id)
    for code in MOVED:
        client.post(f"/reporting/reports/{report.id}/explain", data={"code": code, "text": "新"})
    client.post(f"/reporting/reports/{report.id}/submit", data=CONFIRMED)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    page = _page(client, report.id)

    actions = _between(page, 'id="report-actions"', 'id="summary"')
    assert 'id="review-form"' in actions
    assert 'value="approve"' in actions and 'value="return"' in actions
    assert 'name="comment_ORG02" form="review-form"' in page
    client.post(
        f"/reporting/reports/{report.id}/review",
        data={"decision": "return", "comment_ORG02": "请核对", **CONFIRMED},
    )
    assert _report(first.association.id).review_comments == {"ORG02": "请核对"}
