"""The compliance engine: each rule's status, evidence and next change as the date moves."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service.associations.models import AssociationProfile
from service.governance import compliance
from service.governance import services as governance
from service.governance.compliance import Status
from service.governance.models import ProvincialThreshold
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope
from tests import factories


def _threshold_rows() -> int:
    with system_scope("test: every province's thresholds"):
        return db.session.query(ProvincialThreshold).count()


def _findings(association_id: int, today: date) -> dict[str, compliance.Finding]:
    """Each rule's finding for its current period."""
    with use_scope(Scope.association(association_id)):
        return {f.rule: f for f in compliance.evaluate(association_id, today)}


def _periods(association_id: int, today: date, rule: str) -> dict[str, compliance.Finding]:
    """One rule's findings by period."""
    with use_scope(Scope.association(association_id)):
        return {f.period: f for f in compliance.evaluate(association_id, today) if f.rule == rule}


@pytest.fixture
def fresh(app, world):
    """An association of province A with nothing recorded yet."""
    from tenants.scope import system_scope

    with app.test_request_context(), system_scope("test: a new association"):
        association = factories.make_association(db.session.get(Federation, world.a.federation.id))
        db.session.commit()
        return association.id


def test_the_world_fixture_is_in_order(app, world):
    with app.test_request_context():
        findings = _findings(world.a.first.association.id, factories.GOVERNANCE_TODAY)
    assert {rule: f.status for rule, f in findings.items()} == {
        rule.code: Status.OK for rule in compliance.RULES
    }


def test_a_new_association_is_missing_everything_it_must_have(app, fresh):
    with app.test_request_context():
        findings = _findings(fresh, date(2026, 6, 1))
        assert findings["congress"].status is Status.MISSING
        assert findings["congress"].evidence == "尚未登记会员（代表）大会。"
    assert findings["committee_meets"].status is Status.MISSING
    assert findings["chair_and_vice_chairs"].status is Status.MISSING
    assert findings["secretary_general"].status is Status.MISSING
    assert findings["establishment"].status is Status.MISSING
    # A standing committee is optional: not having one is in order.
    assert findings["standing_committee_meets"].status is Status.OK


@pytest.mark.parametrize(
    ("today", "status", "next_change"),
    [
        (date(2027, 4, 19), Status.OK, date(2027, 4, 20)),
        (date(2027, 4, 20), Status.DUE_SOON, date(2029, 4, 20)),
        (date(2029, 4, 19), Status.DUE_SOON, date(2029, 4, 20)),
        # Overdue while it can still be held late, then missing.
        (date(2029, 4, 20), Status.OVERDUE, date(2029, 7, 20)),
        (date(2029, 7, 20), Status.MISSING, None),
    ],
)
def test_the_congress_falls_due_from_year_three_and_overdue_at_year_five(
    app, world, today, status, next_change
):
    """The world's congress was held on 2024-04-20."""
    with app.test_request_context():
        finding = _findings(world.a.first.association.id, today)["congress"]
    assert (finding.status, finding.next_change_on) == (status, next_change)
    assert "2024-04-20" in finding.evidence


@pytest.mark.parametrize(
    ("today", "status", "next_change"),
    [
        # Met in 2025 (the world's meeting); 2026 not yet: in order until the warning window.
        (date(2026, 6, 1), Status.OK, date(2026, 11, 1)),
        (date(2026, 11, 1), Status.DUE_SOON, date(2027, 1, 1)),
        # 2026 passed with no meeting: overdue while late minutes may come in, then missing.
        (date(2027, 1, 1), Status.OVERDUE, date(2027, 4, 1)),
        (date(2027, 4, 1), Status.MISSING, None),
    ],
)
def test_the_committee_must_meet_each_calendar_year(app, world, today, status, next_change):
    with app.test_request_context():
        finding = _periods(world.a.first.association.id, today, "committee_meets")["2026"]
    assert (finding.status, finding.next_change_on) == (status, next_change)
    assert finding.due_on == date(2026, 12, 31)


def test_a_meeting_this_year_puts_the_committee_back_in_order(app, world):
    tid = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(tid)):
        governance.record_meeting(
            tid, body="committee", held_on=date(2027, 2, 1), attendance=3, today=date(2027, 2, 1)
        )
        finding = {f.rule: f for f in compliance.evaluate(tid, date(2027, 2, 2))}["committee_meets"]
    assert finding.status is Status.OK
    assert finding.next_change_on == date(2028, 1, 1)


def test_an_ineligible_vice_chair_is_flagged_by_name(app, world):
    tid = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(tid)):
        officer = governance.appoint(
            tid,
            post="vice_chair",
            name="孙磊",
            starts_on=date(2025, 1, 1),
            eligibility="renowned_expert",
            eligibility_basis="长江学者",
        )
        officer.eligibility_basis = None  # as an import of old records might leave it
        finding = {f.rule: f for f in compliance.evaluate(tid, date(2026, 1, 1))}[
            "chair_and_vice_chairs"
        ]
        assert finding.status is Status.OVERDUE
        assert "孙磊" in finding.evidence


def test_thresholds_can_be_tightened_but_not_loosened():
    assert compliance.validate_override("congress_max_years", 4) is None
    assert compliance.validate_override("committee_meetings_per_year", 2) is None
    assert compliance.validate_override("congress_max_years", 6) is not None
    assert compliance.validate_override("committee_meetings_per_year", 0) is not None
    assert compliance.validate_override("congress_due_soon_years", 4) is not None
    assert compliance.validate_override("no_such_rule", 1) is not None


def test_a_province_s_thresholds_are_kept_all_or_none(app, world):
    """One value that loosens the document refuses the lot before any is written: the
    province keeps the thresholds it had, in this very transaction."""
    federation_id = world.a.federation.id
    with app.test_request_context(), use_scope(Scope.federation(federation_id)):
        with pytest.raises(governance.GovernanceError) as refused:
            compliance.set_overrides(
                federation_id, {"congress_max_years": 4, "meeting_due_soon_days": 10}
            )
        assert refused.value.field == "meeting_due_soon_days"
        assert compliance.thresholds_for(federation_id).congress_max_years == 5
    assert _threshold_rows() == 0


def test_a_tighter_province_sees_the_congress_due_sooner(app, world):
    with app.test_request_context(), use_scope(Scope.federation(world.a.federation.id)):
        compliance.set_override(world.a.federation.id, "congress_max_years", 4)
        compliance.set_override(world.a.federation.id, "congress_due_soon_years", 2)
        with pytest.raises(governance.GovernanceError):
            compliance.set_override(world.a.federation.id, "congress_max_years", 6)
        db.session.flush()
        a = _findings(world.a.first.association.id, date(2028, 4, 20))["congress"]
        b = _findings(world.b.first.association.id, date(2028, 4, 20))["congress"]
    assert a.status is Status.OVERDUE  # four years in a province that asks for four
    assert b.status is Status.DUE_SOON  # the document's five elsewhere
    assert _threshold_rows() == 2


def test_the_recompute_job_stores_findings_and_is_idempotent(app, world):
    from service import jobs
    from service.governance.jobs import recompute_findings

    tid = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(tid)):
        job = jobs.enqueue(recompute_findings, tid, "2029-05-01")
        if app.config.get("REDIS_URL"):
            pytest.skip("the real-Redis worker path is covered by tests/tenants/test_jobs.py")
    # Inline, the job runs once the request has ended (in its teardown).
    assert job.return_value() == "overdue"
    with use_scope(Scope.association(tid)):
        assert recompute_findings(tid, "2029-05-01") == "overdue"
        stored = compliance.stored_findings([tid])[tid]
    assert {f.rule: f.status for f in stored}["congress"] is Status.OVERDUE
    # Each rule's current period, and 2028's committee year, which passed with no meeting.
    assert {f.rule for f in stored} == {rule.code for rule in compliance.RULES}
    missed = [(f.rule, f.period, f.status) for f in stored if f.period == "2028"]
    assert ("committee_meets", "2028", Status.MISSING) in missed


def test_a_recompute_for_an_association_out_of_sight_does_nothing(app, world):
    """A write queues the recompute; the association may be gone (or, by a bad id, another
    province's) when the job runs: it finishes quietly and stores nothing."""
    from service.governance.jobs import recompute_findings

    mine, theirs = world.a.first.association.id, world.b.first.association.id
    with system_scope("test"):
        before = compliance.stored_findings([theirs]).get(theirs, [])
    with use_scope(Scope.association(mine)):
        assert recompute_findings(theirs, "2029-05-01") == ""
        assert recompute_findings(10**12, "2029-05-01") == ""
    with system_scope("test"):
        assert compliance.stored_findings([theirs]).get(theirs, []) == before


def test_the_daily_run_covers_every_association(app, world):
    from service.governance.jobs import recompute_all

    with app.test_request_context():
        assert recompute_all("2026-06-01") >= 4


def _thresholds(**changes) -> dict:
    values = {k: getattr(compliance.DOCUMENT, k) for k in compliance.THRESHOLD_KEYS}
    return {k: str(v) for k, v in {**values, **changes}.items()}


def test_an_officer_tightens_the_province_on_the_web_but_cannot_loosen(client, world):
    from service.auth.roles import Role

    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post("/governance/rules/thresholds", data=_thresholds(congress_max_years=6))
    assert response.status_code == 400
    assert "省级可以收紧文件规定，但不能放宽。" in response.get_data(as_text=True)
    assert _threshold_rows() == 0

    response = client.post(
        "/governance/rules/thresholds", data=_thresholds(committee_meetings_per_year=2)
    )
    assert response.status_code == 302
    page = client.get("/governance/rules").get_data(as_text=True)
    assert "委员会每年会议次数下限" in page
    # Members of the province see the tightened rule; the other province keeps the document's.
    client.login_as(world.a.first.users[Role.MEMBER])
    assert 'value="2"' not in client.get("/governance/rules").get_data(as_text=True)
    with use_scope(Scope.association(world.a.first.association.id)):
        assert compliance.thresholds_for(world.a.federation.id).committee_meetings_per_year == 2
        assert compliance.thresholds_for(world.b.federation.id).committee_meetings_per_year == 1


def test_reminders_go_out_once_for_what_falls_due(app, world, client):
    from service.auth.roles import Role
    from service.governance.jobs import recompute_findings, send_reminders
    from service.governance.models import Reminder

    tid = world.a.first.association.id
    with app.test_request_context():
        with use_scope(Scope.association(tid)):
            # The congress is due soon (by 2029-04-20); 2026 passed with neither committee
            # meeting: both are missing.
            recompute_findings(tid, "2027-06-01")
        assert send_reminders("2027-06-02") == 3
        assert send_reminders("2027-06-03") == 0  # a re-run sends nothing twice
        with use_scope(Scope.association(tid)):
            reminder = db.session.scalar(
                sa.select(Reminder).where(Reminder.due_on == date(2029, 4, 20))
            )
            sent = set(
                db.session.execute(
                    sa.select(Reminder.rule, Reminder.period, Reminder.state).where(
                        Reminder.sent_on == date(2027, 6, 2)
                    )
                )
            )
    assert (reminder.rule, reminder.emailed_to) == ("congress", None)  # no SMTP configured
    assert sent == {
        ("congress", "2024-04-20", "due_soon"),
        ("committee_meets", "2026", "missing"),
        ("standing_committee_meets", "2026", "missing"),
    }
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    page = client.get("/").get_data(as_text=True)
    assert "2029-04-20" in page


def test_every_scheduled_job_s_path_resolves():
    """A periodic job is queued by its id and found by its path when it runs: a path that
    names nothing (a job moved to another module) would fail only at 03:00."""
    from werkzeug.utils import import_string

    from service import jobs

    for periodic in jobs.SCHEDULES:
        assert callable(import_string(periodic.func.replace(":", "."))), periodic.func


def test_reminders_are_emailed_where_smtp_is_configured(app, world, outbox):
    from service.governance.jobs import recompute_findings, send_reminders

    tid = world.a.first.association.id
    with app.test_request_context():
        with use_scope(Scope.association(tid)):
            recompute_findings(tid, "2027-06-01")
        assert send_reminders("2027-06-02") == 3
        assert outbox == [], "mailed before the job's commit"
        with system_scope("test: the job's unit of work"):
            db.session.commit()  # the reminders go out after it
    with system_scope("test: the association's contact"):
        contact = db.session.scalar(
            sa.select(AssociationProfile.contact_email).where(AssociationProfile.tenant_id == tid)
        )
    assert [m.to for m in outbox] == [[contact]] * 3
    read = {m.subject: m.body for m in outbox}
    # Due soon: by when; what the rule asks and where the association stands.
    assert read["2029-04-20到期：会员（代表）大会每3至5年召开一次"] == (
        "会员（代表）大会每3至5年召开一次\n上次大会于2024-04-20召开；下次应在2029-04-20前召开。"
    )
    assert "委员会在2026年已开会0次" in read["缺失（2026）：委员会每年至少召开一次会议"]


def _standing_meetings(tid: int, *days: date) -> None:
    for day in days:
        governance.record_meeting(
            tid, body="standing_committee", held_on=day, attendance=2, today=day
        )


@pytest.mark.parametrize(
    ("days", "status"),
    [
        ((), Status.OK),  # none yet in 2026: in order until the warning window
        ((date(2026, 2, 1),), Status.OK),
        ((date(2026, 2, 1), date(2026, 4, 1)), Status.OK),
        ((date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)), Status.OVERDUE),
    ],
)
def test_the_standing_committee_meets_once_or_twice_a_year_not_more(app, world, days, status):
    """The document: the standing committee meets 1 to 2 times a year. Three is flagged."""
    tid = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(tid)):
        _standing_meetings(tid, *days)
        finding = {f.rule: f for f in compliance.evaluate(tid, date(2026, 5, 1))}[
            "standing_committee_meets"
        ]
        text = finding.evidence
    assert finding.status is status
    if status is Status.OVERDUE:
        assert "2026年召开3次" in text and "超过每年最多2次" in text
        assert finding.next_change_on == date(2027, 1, 1)  # the count starts again


def test_a_province_may_cap_the_standing_committee_at_one_meeting_not_three(app, world):
    assert compliance.validate_override("standing_meetings_max_per_year", 1) is None
    assert compliance.validate_override("standing_meetings_max_per_year", 3) is not None
    # Nor may it ask for more meetings than the document allows at most.
    assert compliance.validate_override("standing_meetings_per_year", 3) is not None
    tid = world.a.first.association.id
    with app.test_request_context():
        with use_scope(Scope.federation(world.a.federation.id)):
            compliance.set_override(world.a.federation.id, "standing_meetings_max_per_year", 1)
        with use_scope(Scope.association(tid)):
            _standing_meetings(tid, date(2026, 2, 1), date(2026, 4, 1))
        a = _findings(tid, date(2026, 5, 1))["standing_committee_meets"]
    assert a.status is Status.OVERDUE
