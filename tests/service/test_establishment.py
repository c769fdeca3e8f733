"""Establishment and lifecycle: apply, return, resubmit, approve or reject; suspend with a
reason; and the whole path from application to findings that change as time passes."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from service.auth.roles import Role
from service.governance import compliance
from service.governance.compliance import Status
from service.governance.models import (
    ApplicationEvent,
    Establishment,
    EstablishmentApplication,
    LifecycleChange,
    Meeting,
)
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope
from tests import factories


def _form(world, **changes) -> dict:
    data = factories.application_data(**changes)
    data["federation_id"] = str(world.a.federation.id)
    data["charter_accepted"] = "y" if data["charter_accepted"] else ""
    return {k: v for k, v in data.items() if v != ""}


def _apply(client, world, **changes) -> tuple[str, str]:
    """Apply on the public page; returns the tracking key and the university's name."""
    data = _form(world, **changes)
    data["documents"] = [(io.BytesIO(factories.PDF_BYTES), "学校批复.pdf")]
    response = client.post("/establishment/apply", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return factories.tracking_key(response.get_data(as_text=True)), data["university_name"]


def _track(client, key: str, **data):
    """What the tracking page's script does with the key from the link's fragment."""
    return client.post("/establishment/track", data={"key": key, **data})


def _application(name: str) -> EstablishmentApplication:
    with system_scope("test: read an application"):
        return db.session.scalar(
            sa.select(EstablishmentApplication).where(
                EstablishmentApplication.university_name == name
            )
        )


def test_an_application_without_the_charter_is_refused_and_nothing_is_kept(client, world):
    response = client.post("/establishment/apply", data=_form(world, charter_accepted=False))
    assert response.status_code == 400
    assert "必须承认中国科协章程" in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count(EstablishmentApplication.id))) == 2


def test_an_officer_sees_only_applications_to_their_federation(client, world):
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.get(f"/establishment/{world.a.application[0]}").status_code == 404
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    assert client.get(f"/establishment/{world.a.application[0]}").status_code == 200


def test_a_wrong_tracking_key_is_a_404(client, world):
    response = _track(client, "not-a-key")
    assert response.status_code == 404
    assert "没有与此查询码对应的申请" in response.get_data(as_text=True)


def test_an_old_tracking_link_moves_the_key_into_the_fragment(client, world):
    _id, key = world.a.application
    response = client.get(f"/establishment/track/{key}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/establishment/track#{key}")
    # The page at the bare address asks for the key (its script takes it from the fragment).
    assert 'data-secret-from-fragment="key"' in client.get("/establishment/track").get_data(
        as_text=True
    )
    assert _track(client, key).status_code == 200
    # Nothing but a key's characters goes into the Location header.
    assert client.get("/establishment/track/a%0d%0aSet-Cookie:x=1").status_code == 404


def test_returning_needs_a_comment_and_rejecting_a_reason(client, world):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    url = f"/establishment/{world.a.application[0]}"
    for decision in ("return", "reject"):
        response = client.post(url, data={"decision": decision, "comment": " "})
        assert response.status_code == 400
    response = client.post(url, data={"decision": "approve"})
    assert response.status_code == 400
    assert "请填写批准文号。" in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count(Association.id))) == 4


def test_a_rejection_keeps_the_reason_for_the_applicant(client, world):
    key, name = _apply(client, world)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.post(
        f"/establishment/{_application(name).id}",
        data={"decision": "reject", "comment": "该校已有科协，请联系原科协换届"},
    )
    client.post("/logout")
    page = _track(client, key).get_data(as_text=True)
    assert "未予批准" in page and "该校已有科协，请联系原科协换届" in page
    assert "重新提交" not in page


def test_the_federation_suspends_an_association_with_a_reason(client, world):
    tenant = world.a.second
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    url = f"/establishment/lifecycle/{tenant.association.id}"
    assert client.post(url, data={"status": "suspended", "reason": ""}).status_code == 400
    response = client.post(url, data={"status": "suspended", "reason": "连续两年未开展活动"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "暂停" in page and "连续两年未开展活动" in page
    with use_scope(Scope.association(tenant.association.id)):
        changes = db.session.scalars(
            sa.select(LifecycleChange.to_status).order_by(LifecycleChange.id)
        ).all()
    assert changes == ["active", "suspended"]
    # A dissolved association cannot come back.
    client.post(url, data={"status": "dissolved", "reason": "学校撤并"})
    assert client.post(url, data={"status": "active", "reason": "恢复"}).status_code == 400


def test_scenario_apply_return_resubmit_approve_elect_appoint_meet_and_time_passes(client, world):
    # A university applies; too few S&T workers is refused before anything is kept.
    too_few = _form(world, st_workers=80)
    response = client.post("/establishment/apply", data=too_few)
    assert response.status_code == 400
    assert "至少需要100名科技工作者。" in response.get_data(as_text=True)
    assert _application(too_few["university_name"]) is None
    key, name = _apply(client, world)

    # The officer returns it for revision with comments.
    officer = world.a.users[Role.FEDERATION_OFFICER]
    client.login_as(officer)
    application_id = _application(name).id
    response = client.post(
        f"/establishment/{application_id}",
        data={"decision": "return", "comment": "请补充副主席的任职依据"},
    )
    assert response.status_code == 302

    # The applicant reads the comment and resubmits, in a browser without the officer's
    # session (signing out would end all of the officer's sessions).
    client.delete_cookie("session")
    page = _track(client, key).get_data(as_text=True)
    assert "退回修改" in page and "请补充副主席的任职依据" in page
    data = _form(world, university_name=name, proposed_vice_chairs="陈晨（长江学者，化学学院院长）")
    data.pop("federation_id")
    response = _track(client, key, resubmit="1", **data)
    assert response.status_code == 200
    assert "申请已重新提交" in response.get_data(as_text=True)
    assert "待审核" in _track(client, key).get_data(as_text=True)

    # The officer approves: the tenant exists, approved by this federation, with the number.
    client.login_as(officer)
    response = client.post(
        f"/establishment/{application_id}",
        data={"decision": "approve", "document_number": "浙科协函〔2025〕12号"},
    )
    assert response.status_code == 302
    # The officer is shown the first administrator's one-time link to pass on.
    review = client.get(f"/establishment/{application_id}").get_data(as_text=True)
    token = factories.set_password_token(review)
    application = _application(name)
    assert application.status == "approved"
    with system_scope("test"):
        steps = db.session.scalars(
            sa.select(ApplicationEvent.action)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id)
        ).all()
        association = db.session.scalar(
            sa.select(Association).where(Association.id == application.association_id)
        )
        record = db.session.scalar(
            sa.select(Establishment).where(Establishment.tenant_id == association.id)
        )
    assert steps == ["submitted", "returned", "resubmitted", "approved"]
    assert (association.federation_id, association.status) == (world.a.federation.id, "active")
    assert record.document_number == "浙科协函〔2025〕12号"
    association_name = association.name
    assert record.approved_by_federation_id == world.a.federation.id

    # The contact sets a password through the link and signs in as the first administrator;
    # the secretariat elects the committee at the first congress and appoints officers.
    tid = association.id
    password = {"token": token, "new": "secretariat-2025", "confirm": "secretariat-2025"}
    assert client.post("/account/set-password", data=password).status_code == 302
    login = {"username": "mali@example.edu.cn", "password": "secretariat-2025"}
    assert client.post("/login", data=login).status_code == 302
    assert (
        client.post(
            f"/governance/{tid}/congresses/new",
            data={
                "held_on": "2025-01-10",
                "delegates": "60",
                "members": "刘洋，校办\n陈晨，化学学院",
            },
        ).status_code
        == 302
    )
    for post, who, eligibility, basis in (
        ("chair", "刘洋", "university_leader", "副校长"),
        ("vice_chair", "陈晨", "renowned_expert", "长江学者"),
    ):
        assert (
            client.post(
                f"/governance/{tid}/officers/new",
                data={
                    "post": post,
                    "name": who,
                    "starts_on": "2025-01-10",
                    "eligibility": eligibility,
                    "eligibility_basis": basis,
                },
            ).status_code
            == 302
        )
    # Committee meetings, the first approving the secretary-general.
    for day in ("2025-02-01", "2026-02-01"):
        assert (
            client.post(
                f"/governance/{tid}/meetings/new",
                data={"body": "committee", "held_on": day, "attendance": "2"},
            ).status_code
            == 302
        )
    with use_scope(Scope.association(tid)):
        first_meeting = db.session.scalar(sa.select(Meeting.id).order_by(Meeting.held_on))
    assert (
        client.post(
            f"/governance/{tid}/officers/new",
            data={
                "post": "secretary_general",
                "name": "马丽",
                "starts_on": "2025-02-02",
                "nominated_on": "2025-01-20",
                "approving_meeting_id": str(first_meeting),
            },
        ).status_code
        == 302
    )

    # The findings as the date moves.
    def statuses(day: date) -> dict[str, Status]:
        with use_scope(Scope.association(tid)):
            return {f.rule: f.status for f in compliance.evaluate(tid, day)}

    assert set(statuses(date(2026, 3, 1)).values()) == {Status.OK}
    assert statuses(date(2026, 11, 20))["committee_meets"] is Status.OK  # met in 2026
    assert statuses(date(2027, 11, 20))["committee_meets"] is Status.DUE_SOON
    # 2027 passed without a meeting: a finding of its own, beside 2028's, not yet due.
    with use_scope(Scope.association(tid)):
        early_2028 = compliance.evaluate(tid, date(2028, 1, 2))
    committee = {f.period: f.status for f in early_2028 if f.rule == "committee_meets"}
    assert (committee["2027"], committee["2028"]) == (Status.OVERDUE, Status.OK)
    assert statuses(date(2028, 1, 10))["congress"] is Status.DUE_SOON
    assert statuses(date(2030, 1, 10))["congress"] is Status.OVERDUE
    # The stored findings the federation's list reads were refreshed after each write.
    client.login_as(officer)
    page = client.get("/associations/").get_data(as_text=True)
    assert association_name in page


def test_api_lifecycle_history_and_establishment_record(client, world):
    tenant = world.a.first
    headers = {"Authorization": f"Bearer {world.a.tokens['ro'][1]}"}
    history = client.get(f"/api/v1/governance/{tenant.association.id}/lifecycle", headers=headers)
    assert [(h["from_status"], h["to_status"]) for h in history.json] == [("applying", "active")]
    record = client.get(
        f"/api/v1/governance/{tenant.association.id}/establishment", headers=headers
    ).json
    assert record["approved_by_federation_id"] == world.a.federation.id
    foreign = client.get(
        f"/api/v1/governance/{world.b.first.association.id}/establishment", headers=headers
    )
    assert foreign.status_code == 404
