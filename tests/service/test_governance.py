"""Governance on the web and the API: what a secretariat clerk records and what they then see."""

from __future__ import annotations

import socket
from datetime import date

import pytest
import sqlalchemy as sa

from service.auth.roles import Role
from service.governance import compliance
from service.governance.compliance import Status
from service.governance.models import CommitteeTerm, Congress, Meeting, Officer
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope
from tests import factories


def _count(model, tenant_id: int) -> int:
    with system_scope("test: count rows"):
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.tenant_id == tenant_id)
        )


def _fresh_association(world) -> tuple[int, object]:
    """A new association of province A with an admin and nothing recorded."""
    with system_scope("test: a new association"):
        federation = db.session.scalar(
            sa.select(Federation).where(Federation.id == world.a.federation.id)
        )
        association = factories.make_association(federation)
        admin = factories.make_user(Role.ASSOCIATION_ADMIN, association=association)
        staff = factories.make_user(Role.ASSOCIATION_STAFF, association=association)
        db.session.commit()
        return association.id, admin, staff


def _bearer(token) -> dict:
    return {"Authorization": f"Bearer {token[1]}"}


def test_the_overview_shows_officers_bodies_and_findings_in_chinese(client, world):
    tenant = world.a.first
    client.login_as(tenant.users[Role.MEMBER])
    page = client.get(f"/governance/{tenant.association.id}").get_data(as_text=True)
    assert "组织建设" in page
    assert "主席" in page and "李明" in page and "副校长" in page
    assert "科学技术研究院" in page
    assert "常务委员会" in page
    assert "文件规定落实情况" in page
    # A member reads; only the secretariat records.
    assert "登记会员（代表）大会" not in page


def test_electing_a_committee_at_a_congress_on_the_web(client, world):
    association_id, admin, _staff = _fresh_association(world)
    client.login_as(admin)
    response = client.post(
        f"/governance/{association_id}/congresses/new",
        data={
            "held_on": "2026-05-20",
            "delegates": "86",
            "members": "周涛，校长办公室，常委\n吴静，物理学院，常委\n郑伟，生命科学学院",
            "term_ends_on": "2031-05-20",
            "standing_committee_formed_on": "2026-05-20",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/governance/{association_id}").get_data(as_text=True)
    assert "会员（代表）大会已登记。" in page
    assert "周涛（校长办公室）" in page and "郑伟" in page
    assert "常务委员会（2026-05-20设立）: 周涛、吴静" in page
    assert _count(CommitteeTerm, association_id) == 1


def test_a_malformed_member_list_is_a_form_error_and_records_nothing(client, world):
    association_id, admin, _staff = _fresh_association(world)
    client.login_as(admin)
    response = client.post(
        f"/governance/{association_id}/congresses/new",
        data={"held_on": "2026-05-20", "delegates": "86", "members": "周涛，校办，主任"},
    )
    assert response.status_code == 400
    assert "第1行：第三列只能填写“常委”。" in response.get_data(as_text=True)
    assert _count(Congress, association_id) == 0


def test_a_refused_election_leaves_the_committee_in_office_as_it_was(app, world):
    """Every rule is checked before anything is written: nothing is left half done for the
    page that shows the refusal, or for a later step of the same request."""
    from service.governance import services

    tid = world.a.first.association.id
    with app.test_request_context(), use_scope(Scope.association(tid)):
        in_office = services.current_term(tid, date(2026, 5, 20))
        with pytest.raises(services.GovernanceError, match="常务委员会"):
            services.hold_congress(
                tid,
                held_on=date(2026, 5, 20),
                delegates=80,
                today=date(2026, 5, 20),
                # A standing member, but no date the standing committee was formed.
                members=[services.NewMember("周涛", "校长办公室", on_standing_committee=True)],
            )
        assert in_office.ends_on == date(2029, 4, 20), "the committee in office stepped down"
        assert services.current_term(tid, date(2026, 6, 1)) is in_office


def test_a_congress_in_the_future_is_refused(client, world):
    association_id, admin, _staff = _fresh_association(world)
    client.login_as(admin)
    response = client.post(
        f"/governance/{association_id}/congresses/new",
        data={"held_on": "2099-01-01", "delegates": "10"},
    )
    assert response.status_code == 400
    assert "会员（代表）大会召开后才能登记。" in response.get_data(as_text=True)
    assert _count(Congress, association_id) == 0


def test_staff_record_a_meeting_but_not_before_a_committee_exists(client, world):
    association_id, _admin, staff = _fresh_association(world)
    client.login_as(staff)
    response = client.post(
        f"/governance/{association_id}/meetings/new",
        data={"body": "committee", "held_on": "2026-03-01", "attendance": "5"},
    )
    assert response.status_code == 400
    assert "当天没有在任的委员会。" in response.get_data(as_text=True)
    assert _count(Meeting, association_id) == 0

    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        f"/governance/{tenant.association.id}/meetings/new",
        data={
            "body": "committee",
            "held_on": "2026-03-01",
            "attendance": "3",
            "minutes": "审议年度工作报告",
        },
    )
    assert response.status_code == 302
    assert "审议年度工作报告" in client.get(f"/governance/{tenant.association.id}").get_data(
        as_text=True
    )


def test_a_new_chair_takes_over_and_the_history_stays(client, world):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/governance/{tenant.association.id}/officers/new",
        data={
            "post": "chair",
            "name": "陈刚",
            "starts_on": "2026-07-01",
            "eligibility": "university_leader",
            "eligibility_basis": "校长",
        },
    )
    assert response.status_code == 302
    with use_scope(Scope.association(tenant.association.id)):
        chairs = db.session.scalars(
            sa.select(Officer).where(Officer.post == "chair").order_by(Officer.starts_on)
        ).all()
        assert [(c.name, c.ends_on) for c in chairs] == [
            ("李明", date(2026, 7, 1)),
            ("陈刚", None),
        ]


def test_a_chair_without_an_eligibility_basis_is_refused(client, world):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/governance/{tenant.association.id}/officers/new",
        data={"post": "chair", "name": "陈刚", "starts_on": "2026-07-01"},
    )
    assert response.status_code == 400
    assert "请说明其为校级领导还是知名专家。" in response.get_data(as_text=True)
    assert _count(Officer, tenant.association.id) == 3


def test_api_secretary_general_needs_nomination_and_an_approving_meeting(client, world):
    tenant = world.a.first
    url = f"/api/v1/governance/{tenant.association.id}/officers"
    body = {"post": "secretary_general", "name": "钱进", "starts_on": "2026-04-01"}
    response = client.post(url, json=body, headers=_bearer(tenant.tokens["rw"]))
    assert response.status_code == 422
    assert response.json["message"] == "请填写主席提名的日期。"
    # A meeting of another tenant is no approval here.
    foreign_meeting = world.b.first.governance["meeting_id"]
    response = client.post(
        url,
        json={**body, "nominated_on": "2026-03-01", "approving_meeting_id": foreign_meeting},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 422
    assert _count(Officer, tenant.association.id) == 3


def test_api_records_a_meeting_and_appoints_the_secretary_general(client, world):
    tenant = world.a.first
    headers = _bearer(tenant.tokens["rw"])
    meeting = client.post(
        f"/api/v1/governance/{tenant.association.id}/meetings",
        json={"body": "committee", "held_on": "2026-03-10", "attendance": 3},
        headers=headers,
    )
    assert meeting.status_code == 201, meeting.json
    assert meeting.headers["Location"] == f"/api/v1/governance/meetings/{meeting.json['id']}"
    officer = client.post(
        f"/api/v1/governance/{tenant.association.id}/officers",
        json={
            "post": "secretary_general",
            "name": "钱进",
            "starts_on": "2026-03-11",
            "nominated_on": "2026-03-01",
            "approving_meeting_id": meeting.json["id"],
        },
        headers=headers,
    )
    assert officer.status_code == 201, officer.json
    listed = client.get(
        f"/api/v1/governance/{tenant.association.id}/officers?post=secretary_general",
        headers=headers,
    )
    assert [(o["name"], o["ends_on"]) for o in listed.json] == [
        ("钱进", None),
        ("赵强", "2026-03-11"),
    ]
    assert "X-Pagination" in listed.headers


def test_api_with_the_job_queue_down_keeps_nothing_and_says_try_later(
    client, world, app, monkeypatch
):
    """A meeting changes the findings, which a job recomputes: with the queue unreachable
    the request is refused whole, never a meeting kept whose findings lag behind it."""
    tenant = world.a.first
    with socket.socket() as probe:  # a loopback port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    monkeypatch.setitem(app.config, "REDIS_URL", dead)
    response = client.post(
        f"/api/v1/governance/{tenant.association.id}/meetings",
        json={"body": "committee", "held_on": "2026-03-10", "attendance": 3},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert _count(Meeting, tenant.association.id) == 2


def test_api_rejects_unknown_fields(client, world):
    tenant = world.a.first
    response = client.post(
        f"/api/v1/governance/{tenant.association.id}/meetings",
        json={"body": "committee", "held_on": "2026-03-10", "attendance": 3, "secret": 1},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 422
    assert _count(Meeting, tenant.association.id) == 2


def test_api_findings_for_the_federation(client, world):
    response = client.get("/api/v1/compliance/findings", headers=_bearer(world.a.tokens["ro"]))
    assert response.status_code == 200
    ids = {row["association_id"] for row in response.json}
    assert ids == {world.a.first.association.id, world.a.second.association.id}
    assert {row["rule"] for row in response.json} == {r.code for r in compliance.RULES}
    rules = client.get("/api/v1/compliance/rules", headers=_bearer(world.a.tokens["ro"]))
    congress = next(r for r in rules.json if r["code"] == "congress")
    assert congress["document_thresholds"] == {
        "congress_due_soon_years": 3,
        "congress_max_years": 5,
    }


def test_the_federation_list_shows_and_filters_by_governance_status(client, world):
    from service.governance.jobs import recompute_findings

    overdue = world.a.second.association.id
    with use_scope(Scope.association(overdue)):
        recompute_findings(overdue, "2029-05-01")  # the congress fell due on 2029-04-20
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/associations/?compliance=overdue").get_data(as_text=True)
    assert world.a.second.association.name in page
    assert world.a.first.association.name not in page
    assert "已逾期" in page and "会员（代表）大会每3至5年召开一次" in page
    everyone = client.get("/associations/").get_data(as_text=True)
    assert "符合要求" in everyone


def test_the_association_home_page_says_what_to_do_next(client, world):
    _association_id, admin, _staff = _fresh_association(world)
    client.login_as(admin)
    page = client.get("/").get_data(as_text=True)
    assert "尚未登记会员（代表）大会。" in page
    assert "主席空缺。" in page


def test_scenario_first_congress_officers_meetings_and_time_passing(client, world):
    """Elect at the first congress, appoint officers, hold committee meetings, and watch
    the findings change as the date moves."""
    association_id, admin, staff = _fresh_association(world)
    client.login_as(admin)
    client.post(
        f"/governance/{association_id}/congresses/new",
        data={"held_on": "2025-01-10", "delegates": "60", "members": "周涛，校办\n吴静，物理学院"},
    )
    for post, name, eligibility, basis in (
        ("chair", "周涛", "university_leader", "副校长"),
        ("vice_chair", "吴静", "renowned_expert", "中国科学院院士"),
    ):
        response = client.post(
            f"/governance/{association_id}/officers/new",
            data={
                "post": post,
                "name": name,
                "starts_on": "2025-01-10",
                "eligibility": eligibility,
                "eligibility_basis": basis,
            },
        )
        assert response.status_code == 302
    client.login_as(staff)
    client.post(
        f"/governance/{association_id}/meetings/new",
        data={"body": "committee", "held_on": "2025-02-01", "attendance": "2"},
    )
    with use_scope(Scope.association(association_id)):
        meeting_id = db.session.scalar(sa.select(Meeting.id))
    client.login_as(admin)
    response = client.post(
        f"/governance/{association_id}/officers/new",
        data={
            "post": "secretary_general",
            "name": "王磊",
            "starts_on": "2025-02-02",
            "nominated_on": "2025-01-20",
            "approving_meeting_id": str(meeting_id),
        },
    )
    assert response.status_code == 302

    def status(day: date) -> dict[str, Status]:
        with use_scope(Scope.association(association_id)):
            return {f.rule: f.status for f in compliance.evaluate(association_id, day)}

    assert status(date(2025, 6, 1)) == {
        "establishment": Status.MISSING,  # founded before the platform; approval not on file
        "congress": Status.OK,
        "committee_meets": Status.OK,
        "standing_committee_meets": Status.OK,
        "chair_and_vice_chairs": Status.OK,
        "secretary_general": Status.OK,
    }
    assert status(date(2026, 11, 15))["committee_meets"] is Status.DUE_SOON
    # 2026 passed without a meeting: a finding of its own, beside 2027's, not yet due.
    with use_scope(Scope.association(association_id)):
        early_2027 = compliance.evaluate(association_id, date(2027, 1, 5))
    committee = {f.period: f.status for f in early_2027 if f.rule == "committee_meets"}
    assert (committee["2026"], committee["2027"]) == (Status.OVERDUE, Status.OK)
    assert status(date(2028, 1, 10))["congress"] is Status.DUE_SOON
    assert status(date(2030, 1, 10))["congress"] is Status.OVERDUE
