"""Compliance over history: a missed year stays a finding until the federation explains it or
its window passes; reminders go out once per state; a problem about a finding cannot be
resolved while the finding stands."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service.auth.roles import Role
from service.federation.models import Problem, ProblemFinding
from service.governance import services as governance
from service.governance.jobs import recompute_findings, send_reminders
from service.governance.models import ComplianceFinding, Reminder
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.factories.governance import make_establishment


@pytest.fixture
def quiet(app, world):
    """An association of province A, founded in 2019, whose congress of 2024 elected a
    committee that met in 2024 and then not at all in 2025."""
    with app.test_request_context(), system_scope("test: an association that stopped meeting"):
        association = factories.make_association(db.session.get(Federation, world.a.federation.id))
        tid = association.id
        make_establishment(association, "科协函〔2019〕88号")
        governance.hold_congress(
            tid,
            held_on=date(2024, 4, 20),
            delegates=80,
            today=date(2024, 4, 20),
            term_ends_on=None,
            members=[governance.NewMember("李明", "机械工程学院")],
            standing_committee_formed_on=None,
        )
        _meeting(tid, date(2024, 6, 1))
        db.session.commit()
        return tid


def _meeting(tid: int, day: date) -> None:
    governance.record_meeting(tid, body="committee", held_on=day, attendance=1, today=day)


def _recompute(app, tid: int, day: str) -> None:
    with app.test_request_context(), use_scope(Scope.association(tid)):
        recompute_findings(tid, day)


def _row(tid: int, rule: str, period: str) -> ComplianceFinding | None:
    db.session.expire_all()  # as stored, not as an earlier read left it
    with system_scope("test: read one finding"):
        return db.session.scalar(
            sa.select(ComplianceFinding).where(
                ComplianceFinding.tenant_id == tid,
                ComplianceFinding.rule == rule,
                ComplianceFinding.period == period,
            )
        )


def _reminded(tid: int, rule: str, period: str) -> list[str]:
    with system_scope("test: reminders sent"):
        return list(
            db.session.scalars(
                sa.select(Reminder.state)
                .where(Reminder.tenant_id == tid, Reminder.rule == rule, Reminder.period == period)
                .order_by(Reminder.id)
            )
        )


def test_a_missed_year_stays_open_after_next_years_meetings(app, world, client, quiet):
    tid = quiet
    _recompute(app, tid, "2025-06-01")
    assert _row(tid, "committee_meets", "2025").status == "ok"  # not yet due
    _recompute(app, tid, "2026-01-10")
    assert _row(tid, "committee_meets", "2025").status == "overdue"

    # 2026 goes well: two meetings. The 2025 gap does not vanish.
    with app.test_request_context(), use_scope(Scope.association(tid)):
        _meeting(tid, date(2026, 2, 1))
        _meeting(tid, date(2026, 3, 1))
        db.session.commit()
    _recompute(app, tid, "2026-03-02")
    assert _row(tid, "committee_meets", "2026").status == "ok"
    missed = _row(tid, "committee_meets", "2025")
    assert (missed.status, missed.due_on) == ("overdue", date(2025, 12, 31))
    _recompute(app, tid, "2026-06-01")  # no late minutes came in: the year is missing
    assert _row(tid, "committee_meets", "2025").status == "missing"
    assert _row(tid, "committee_meets", "2026").status == "ok"

    # Both the association and the federation see it, under 2025.
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    listing = client.get("/governance/findings").get_data(as_text=True)
    assert "委员会每年至少召开一次会议" in listing and "<caption>2025</caption>" in listing
    page = client.get(f"/governance/{tid}/compliance").get_data(as_text=True)
    assert "<h3>2025</h3>" in page and "委员会在2025年已开会0次" in page


def test_an_explanation_closes_the_finding_and_is_kept(app, world, client, quiet):
    tid = quiet
    _recompute(app, tid, "2026-06-01")
    missed = _row(tid, "committee_meets", "2025")
    assert missed.status == "missing"
    officer = world.a.users[Role.FEDERATION_OFFICER]

    # An empty explanation is refused and changes nothing; another province's officer
    # cannot reach the finding at all.
    client.login_as(officer)
    url = f"/governance/findings/{missed.id}/explanation"
    response = client.post(url, data={"explanation": "  "})
    assert response.status_code == 400
    assert _row(tid, "committee_meets", "2025").explained_at is None
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.post(url, data={"explanation": "外省说明"}).status_code == 404
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.post(url, data={"explanation": "自己说明"}).status_code == 403

    client.login_as(officer)
    text = "2025年校领导班子调整，委员会延至2026年初开会。"
    response = client.post(url, data={"explanation": text})
    assert response.status_code == 302
    row = _row(tid, "committee_meets", "2025")
    assert row.explanation == text
    assert officer.username in row.explained_by and row.explained_at is not None
    with system_scope("test: the audit log"):
        from service.audit.models import AuditEvent

        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "compliance_finding", AuditEvent.entity_id == str(row.id))
        )

    # Closed: no longer open, shown in the history with who and what, never re-evaluated.
    _recompute(app, tid, "2026-07-01")
    assert _row(tid, "committee_meets", "2025").status == "missing"
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.get(f"/governance/{tid}/compliance").status_code == 404  # not theirs
    client.login_as(officer)
    page = client.get(f"/governance/{tid}/compliance").get_data(as_text=True)
    history = page.split('id="history"')[1]
    assert "委员会延至2026年初开会" in history and "2025" in history
    assert "委员会延至2026年初开会" not in page.split('id="history"')[0]
    listing = client.get("/governance/findings").get_data(as_text=True)
    open_part, history = listing.split('id="history"')
    assert f"compliance#finding-{row.id}" not in open_part
    assert "委员会延至2026年初开会" in history
    # A second explanation of a closed finding is refused.
    assert client.post(url, data={"explanation": "再次说明"}).status_code == 400


def test_an_unexplained_finding_is_archived_when_its_window_passes(app, world, client, quiet):
    tid = quiet
    _recompute(app, tid, "2026-06-01")
    _recompute(app, tid, "2028-12-30")  # three years after it fell due, less a day
    assert _row(tid, "committee_meets", "2025").archived_on is None
    _recompute(app, tid, "2028-12-31")
    archived = _row(tid, "committee_meets", "2025")
    assert (archived.status, archived.archived_on) == ("missing", date(2028, 12, 31))
    assert archived.explanation is None
    _recompute(app, tid, "2029-02-01")
    assert _row(tid, "committee_meets", "2025").archived_on == date(2028, 12, 31)

    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get(f"/governance/{tid}/compliance").get_data(as_text=True)
    open_part, history = page.split('id="history"')
    assert "委员会在2025年已开会0次" not in open_part
    assert "2028-12-31" in history and "委员会每年至少召开一次会议" in history


def test_reminders_go_out_once_per_state_change(app, world, quiet):
    tid = quiet
    for day, state in (
        ("2025-11-15", "due_soon"),
        ("2026-01-10", "overdue"),
        ("2026-04-15", "missing"),
    ):
        _recompute(app, tid, day)
        assert _row(tid, "committee_meets", "2025").status == state
        with app.test_request_context():
            assert send_reminders(day) >= 1
            assert send_reminders(day) == 0  # a re-run sends nothing twice
        _recompute(app, tid, day)  # nor does a recompute that changes nothing
        with app.test_request_context():
            assert send_reminders(day) == 0
    assert _reminded(tid, "committee_meets", "2025") == ["due_soon", "overdue", "missing"]


def test_a_problem_cannot_be_resolved_while_a_linked_finding_is_open(app, world, client, quiet):
    tid = quiet
    _recompute(app, tid, "2026-06-01")
    missed = _row(tid, "committee_meets", "2025")
    officer = world.a.users[Role.FEDERATION_OFFICER]
    client.login_as(officer)
    response = client.post(
        "/federation/problems/new",
        data={
            "title": "委员会2025年未开会",
            "description": "督促该校科协说明原因。",
            "association_id": tid,
            "category": "",
            "assignee_id": officer.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    problem_id = int(response.headers["Location"].rsplit("/", 1)[1])
    detail = client.get(f"/federation/problems/{problem_id}").get_data(as_text=True)
    assert f'<option value="{missed.id}">' in detail  # offered for linking

    # Another province's finding cannot be linked.
    foreign = world.b.first.governance["finding_id"]
    link = f"/federation/problems/{problem_id}/findings"
    assert client.post(link, data={"finding_id": foreign}).status_code == 404
    assert client.post(link, data={"finding_id": missed.id}).status_code == 302
    detail = client.get(f"/federation/problems/{problem_id}").get_data(as_text=True)
    linked = detail.split('id="findings"')[1]
    assert "委员会每年至少召开一次会议" in linked and "<strong>待处理</strong>" in linked

    response = client.post(
        f"/federation/problems/{problem_id}",
        data={"state": "resolved", "assignee_id": officer.id, "note": "已处理"},
    )
    assert response.status_code == 400
    assert "关联的合规检查结果尚未了结" in response.get_data(as_text=True)
    with system_scope("test: the problem"):
        problem = db.session.get(Problem, problem_id)
        assert problem.state == "open"
        assert [e.to_state for e in problem.events] == ["open"]

    client.post(
        f"/governance/findings/{missed.id}/explanation", data={"explanation": "已说明原因。"}
    )
    response = client.post(
        f"/federation/problems/{problem_id}",
        data={"state": "resolved", "assignee_id": officer.id, "note": "已处理"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    with system_scope("test: the problem"):
        assert db.session.get(Problem, problem_id).state == "resolved"
        links = sa.select(sa.func.count()).where(ProblemFinding.problem_id == problem_id)
        assert db.session.scalar(links) == 1
    detail = client.get(f"/federation/problems/{problem_id}").get_data(as_text=True)
    assert "已说明原因" not in detail and "说明于" in detail.split('id="findings"')[1]


def test_a_year_checked_while_in_order_is_checked_again_once_it_ends(app, world):
    """The daily job did not run for a year and more: 2026, last seen in order in June, is
    found short when the job runs again in 2028."""
    tid = world.a.first.association.id
    _recompute(app, tid, "2026-06-01")
    assert _row(tid, "committee_meets", "2026").status == "ok"
    _recompute(app, tid, "2028-02-01")
    assert _row(tid, "committee_meets", "2026").status == "missing"
    assert _row(tid, "committee_meets", "2027").status == "overdue"
    assert _row(tid, "committee_meets", "2028").status == "ok"


def test_a_finding_that_is_only_due_soon_cannot_be_explained_away(app, world, client, quiet):
    tid = quiet
    _recompute(app, tid, "2025-11-15")
    due_soon = _row(tid, "committee_meets", "2025")
    assert due_soon.status == "due_soon"
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        f"/governance/findings/{due_soon.id}/explanation", data={"explanation": "年底前开会。"}
    )
    assert response.status_code == 400
    assert "只有逾期或缺失且尚未了结的检查结果才能作出说明" in response.get_data(as_text=True)
    assert _row(tid, "committee_meets", "2025").explained_at is None
