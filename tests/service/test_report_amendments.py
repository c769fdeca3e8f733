"""Changes under a locked year: the records stay editable, every change is noted as an
amendment after lock, the report page sets the locked figures against the figures now, and
the association asks the federation to reopen (which it does, or declines)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.activities.models import Activity
from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.members.models import Member
from service.reporting import amendments, indicators
from service.reporting import services as reporting
from service.reporting.amendments import ReopenRequest, ReportAmendment
from service.reporting.models import AnnualReport
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories

YEAR = 2023


def _locked_year(world) -> dict[str, int]:
    """world.a.first's report for 2023, approved and locked: one held forum of 3194
    participants counts; a planned forum of 100 does not (yet)."""
    first = world.a.first.association
    with system_scope("test: a locked 2023 report"):
        held = factories.make_activity(
            first, starts_on=date(YEAR, 5, 10), ends_on=date(YEAR, 5, 10), participants=3194
        )
        planned = factories.make_activity(
            first,
            starts_on=date(YEAR, 6, 10),
            ends_on=date(YEAR, 6, 10),
            participants=100,
            status="planned",
        )
        period = reporting.open_period(world.a.federation.id, YEAR, date(YEAR + 1, 3, 31), "t")
        report = reporting.start_compile(first.id, period)
        report.figures = indicators.compute([first.id], YEAR)[first.id]
        report.status = "submitted"
        reporting.approve(report, "test")
        db.session.commit()
        assert report.figures["ACA02"] == 3194 and report.figures["ACA01"] == 1
        return {
            "period": period.id,
            "report": report.id,
            "hash": report.locked_hash,
            "held": held.id,
            "planned": planned.id,
        }


def _page(client, user, report_id: int) -> str:
    client.login_as(user)
    response = client.get(f"/reporting/reports/{report_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(page: str, row_id: str) -> str:
    start = page.index(f'id="{row_id}"')
    return page[start : page.index("</tr>", start)]


def test_an_activity_marked_held_in_a_locked_year_shows_on_the_report_page(world, client):
    ids = _locked_year(world)
    officer = world.a.users[Role.FEDERATION_OFFICER]
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    assert 'id="amendments"' not in _page(client, officer, ids["report"])

    client.login_as(admin)
    assert client.post(f"/activities/{ids['planned']}/advance").status_code == 302

    for user in (officer, admin):  # the federation's view and the association's
        page = _page(client, user, ids["report"])
        assert 'id="amendments"' in page
        assert "本报表锁定后变动的记录：1 条" in page and "活动 1" in page
        participants = _row(page, "changed-ACA02")
        assert "学术交流活动参加人次" in participants
        assert "3,194" in participants and "→ 3,294" in participants  # as Excel shows them
        assert "→ 2" in _row(page, "changed-ACA01")
        assert 'id="changed-ORG02"' not in page  # unchanged figures are not listed
    client.login_as(officer)
    listing = client.get(f"/reporting/periods/{ids['period']}").get_data(as_text=True)
    assert "锁定后有变动" in listing and "申请重新开启" not in listing
    # The locked report itself did not move.
    with system_scope("test: read the locked report"):
        report = db.session.get(AnnualReport, ids["report"])
        assert report.figures["ACA02"] == 3194 and report.locked_hash == ids["hash"]


def test_in_english_the_figures_are_named_in_english(world, client):
    ids = _locked_year(world)
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    client.post(f"/activities/{ids['planned']}/advance")
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get(f"/reporting/reports/{ids['report']}").get_data(as_text=True)
    assert "Records changed after this report was locked: 1" in page
    assert "Academic exchange participants" in _row(page, "changed-ACA02")


def test_which_writes_are_amendments(world):
    ids = _locked_year(world)
    first = world.a.first.association.id
    with use_scope(Scope.association(first)):
        held = db.session.get(Activity, ids["held"])
        held.title = "改名的论坛"  # dated in the locked year: noted, even with no figure moved
        other_year = factories.make_activity(
            world.a.first.association, starts_on=date(2022, 5, 1), ends_on=date(2022, 5, 1)
        )
        db.session.flush()
        other_year.starts_on = other_year.ends_on = date(2022, 6, 1)  # 2022 is not locked
        # A member who joined before the locked year counts in it (figures at the year's end).
        member = Member(tenant_id=first, name="早年会员", phone="13800000000")
        member.joined_on = date(2020, 1, 1)
        db.session.add(member)
        db.session.flush()
        db.session.delete(db.session.get(Activity, ids["planned"]))
        db.session.flush()
        noted = db.session.execute(
            sa.select(ReportAmendment.entity, ReportAmendment.entity_id, ReportAmendment.action)
            .where(ReportAmendment.report_id == ids["report"])
            .order_by(ReportAmendment.id)
        ).all()
    assert noted == [
        ("activity", str(ids["held"]), "update"),
        ("member", str(member.id), "create"),
        ("activity", str(ids["planned"]), "delete"),
    ]
    # Moving a record out of the locked year is a change of that year too.
    with use_scope(Scope.association(first)):
        held = db.session.get(Activity, ids["held"])
        held.starts_on = held.ends_on = date(YEAR + 1, 1, 5)
        db.session.flush()
        last = db.session.scalars(
            sa.select(ReportAmendment).order_by(ReportAmendment.id.desc()).limit(1)
        ).one()
        assert (last.entity_id, last.action) == (str(ids["held"]), "update")
        drift = amendments.drift(db.session.get(AnnualReport, ids["report"]))
        assert drift.records == 3 and ("活动", 2) in drift.by_kind
        assert ("ACA02", 3194, 0) in [(i.code, a, b) for i, a, b in drift.figures]


def test_a_reopen_request_is_made_declined_and_granted(world, client):
    ids = _locked_year(world)
    report_url = f"/reporting/reports/{ids['report']}"
    officer = world.a.users[Role.FEDERATION_OFFICER]
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]

    client.login_as(admin)
    assert 'id="reopen-request-form"' in client.get(report_url).get_data(as_text=True)
    client.post(f"{report_url}/reopen-request", data={"reason": "  "})
    assert _requests(world) == []  # no reason, no request
    client.post(f"{report_url}/reopen-request", data={"reason": "补录了一场学术论坛"})
    refused = client.post(
        f"{report_url}/reopen-request", data={"reason": "再次申请"}, follow_redirects=True
    )
    assert "正等待省级联合组织处理" in refused.get_data(as_text=True)
    assert _requests(world) == [("pending", "补录了一场学术论坛", None)]
    with system_scope("test: the request is audited"):
        assert db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.entity == "reopen_request", AuditEvent.action == "create"
            )
        )

    page = _page(client, officer, ids["report"])
    assert 'id="reopen-request"' in page and "补录了一场学术论坛" in page
    listing = client.get(f"/reporting/periods/{ids['period']}").get_data(as_text=True)
    assert "申请重新开启" in listing
    client.post(f"{report_url}/reopen-request/decline", data={"reason": "数字变动不大"})
    assert _requests(world) == [("declined", "补录了一场学术论坛", "数字变动不大")]
    assert "答复：数字变动不大" in _page(client, admin, ids["report"])

    client.post(f"{report_url}/reopen-request", data={"reason": "又补录了两场活动"})
    client.login_as(officer)
    response = client.post(f"{report_url}/reopen", data={"reason": "同意补录"})
    assert response.status_code == 302
    assert _requests(world)[0] == ("granted", "又补录了两场活动", "同意补录")
    with system_scope("test: the reopened version"):
        versions = db.session.scalars(
            sa.select(AnnualReport)
            .where(AnnualReport.period_id == _period_of(ids["report"]))
            .where(AnnualReport.tenant_id == world.a.first.association.id)
            .order_by(AnnualReport.version)
        ).all()
        assert [(v.version, v.locked) for v in versions] == [(1, True), (2, False)]
    # The old version is no longer the one to amend or to reopen.
    page = _page(client, admin, ids["report"])
    assert 'id="reopen-request-form"' not in page and 'id="amendments"' not in page


def test_a_reopen_request_needs_the_latest_approved_version(world, client):
    with system_scope("test: a report being compiled"):
        period = reporting.open_period(world.a.federation.id, 2022, date(2023, 3, 31), "t")
        report = reporting.start_compile(world.a.first.association.id, period)
        db.session.commit()
        report_id = report.id
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    client.post(f"/reporting/reports/{report_id}/reopen-request", data={"reason": "试试"})
    with system_scope("test: nothing was requested"):
        assert not db.session.scalar(
            sa.select(sa.func.count()).where(ReopenRequest.report_id == report_id)
        )


def _period_of(report_id: int) -> int:
    return db.session.get(AnnualReport, report_id).period_id


def _requests(world) -> list[tuple[str, str, str | None]]:
    with system_scope("test: the requests to reopen"):
        return [
            (r.status, r.reason, r.decision_reason)
            for r in db.session.scalars(
                sa.select(ReopenRequest)
                .where(ReopenRequest.tenant_id == world.a.first.association.id)
                .where(ReopenRequest.reason != "补录了会议纪要，请核对后重新开启。")
                .order_by(ReopenRequest.id.desc())
            )
        ]
