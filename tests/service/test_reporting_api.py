"""The reporting cycle through the API only, as an integrator does it: a federation's writing
token opens the period, returns and approves, compiles and locks the roll-up; an association's
writing token compiles (202, then polls), explains and submits. Each step leaves the same
audit as the pages; each step the state does not allow is a 409 (or a 422 for a field) with a
message, and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service.audit.models import AuditEvent, PlatformAuditEvent
from service.auth.models import TokenLevel
from service.reporting.models import content_hash
from tenants.db import db
from tenants.models import Federation
from tenants.scope import system_scope
from tests import factories
from tests.conftest import run_queued_jobs
from tests.service.reporting_fixtures import EXPECTED_FIRST, MOVED, YEAR, add_records

API = "/api/v1/reporting"


def _bearer(plaintext: str) -> dict:
    return {"Authorization": f"Bearer {plaintext}"}


def _federation_writer(province) -> tuple[int, dict]:
    with system_scope("test: a writing federation token"):
        federation = db.session.get(Federation, province.federation.id)
        token, plaintext = factories.make_token(
            TokenLevel.FEDERATION, federation=federation, read_only=False
        )
        db.session.commit()
        return token.id, _bearer(plaintext)


def _snapshot() -> dict:
    """Every row of every table: a refused step leaves all of them as they were."""
    with system_scope("test: snapshot every table"):
        return {
            table.name: db.session.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def _events(entity: str, entity_id: int, log=AuditEvent) -> list:
    """The record's events in `log`: the tenants' (a report), or the platform's (a
    federation's own records: a period, a roll-up)."""
    with system_scope("test: read the audit log"):
        return db.session.scalars(
            sa.select(log)
            .where(log.entity == entity, log.entity_id == str(entity_id))
            .order_by(log.id)
        ).all()


def _status_changes(report_id: int) -> list[tuple[str, str]]:
    """(actor, new status) of each audited status change of the report, in order."""
    return [
        (e.actor.split(" ")[0], e.changes["status"][1])
        for e in _events("annual_report", report_id)
        if e.changes and "status" in e.changes and e.action == "update"
    ]


@pytest.fixture
def parties(world):
    with system_scope("test: this year's records"):
        add_records(world.a.first.association)
        db.session.commit()
    token_id, federation = _federation_writer(world.a)
    association = _bearer(world.a.first.tokens["rw"][1])
    return world, federation, association, token_id


def _refused(client, method, url, headers, status, json=None) -> dict:
    """The step is refused with `status` and a message, and no row anywhere changes."""
    before = _snapshot()
    response = client.open(url, method=method, headers=headers, json=json)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["message"]
    assert _snapshot() == before, f"{method} {url} was refused but changed the database"
    return response.get_json()


def test_the_whole_cycle_through_the_api(parties, client):
    world, federation, association, federation_token = parties
    association_token = world.a.first.tokens["rw"][0].id

    # the federation opens the period
    response = client.post(
        f"{API}/periods",
        json={"year": YEAR, "deadline": date(YEAR + 1, 3, 31).isoformat()},
        headers=federation,
    )
    assert response.status_code == 201, response.get_json()
    period = response.get_json()
    assert period["year"] == YEAR and period["federation_id"] == world.a.federation.id
    (opened,) = _events("reporting_period", period["id"], PlatformAuditEvent)
    assert opened.action == "create" and opened.actor.startswith(f"token:{federation_token} ")
    listed = client.get(f"{API}/periods", headers=association).get_json()
    assert period["id"] in [p["id"] for p in listed]

    # the association compiles: 202 and where to poll; the job then compiles it
    response = client.post(f"{API}/periods/{period['id']}/compile", headers=association)
    assert response.status_code == 202, response.get_json()
    report_id = response.get_json()["id"]
    assert response.headers["Location"] == f"{API}/reports/{report_id}"
    assert response.get_json()["status"] in ("compiling", "compiled")
    run_queued_jobs()
    report = client.get(response.headers["Location"], headers=association).get_json()
    assert report["status"] == "compiled" and report["figures"] == EXPECTED_FIRST
    assert set(report["unexplained"]) == set(MOVED)

    # figures that moved a lot are explained before it can be submitted
    refused = _refused(client, "POST", f"{API}/reports/{report_id}/submit", association, 409)
    # The message in words (the indicators' names); the codes are the report's `unexplained`.
    assert "个人会员数" in refused["message"]
    for code in sorted(MOVED):
        response = client.post(
            f"{API}/reports/{report_id}/explanations",
            json={"code": code, "text": "新成立"},
            headers=association,
        )
        assert response.status_code == 200, response.get_json()
    assert response.get_json()["unexplained"] == []
    submitted = client.post(f"{API}/reports/{report_id}/submit", headers=association)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"

    # the federation returns it with a comment on one figure
    response = client.post(
        f"{API}/reports/{report_id}/return",
        json={"comments": {"ORG02": "漏报了六月入会的会员"}},
        headers=federation,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "returned"
    read = client.get(f"{API}/reports/{report_id}", headers=association).get_json()
    assert read["review_comments"] == {"ORG02": "漏报了六月入会的会员"}

    # the association fixes the records, recompiles (the same report) and resubmits
    with system_scope("test: the missing member"):
        factories.make_member(world.a.first.association, joined_on=date(YEAR, 6, 1))
        db.session.commit()
    again = client.post(f"{API}/periods/{period['id']}/compile", headers=association)
    assert again.status_code == 202 and again.get_json()["id"] == report_id
    run_queued_jobs()
    assert (
        client.get(f"{API}/reports/{report_id}", headers=association).get_json()["figures"]["ORG02"]
        == 4
    )
    assert client.post(f"{API}/reports/{report_id}/submit", headers=association).status_code == 200

    # approved: locked with the hash of its figures
    response = client.post(f"{API}/reports/{report_id}/approve", headers=federation)
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "approved" and approved["hash"] == content_hash(
        approved["figures"]
    )
    by_status = client.get(
        f"{API}/reports",
        query_string={"period_id": period["id"], "status": "approved"},
        headers=federation,
    ).get_json()
    assert [r["id"] for r in by_status] == [report_id]

    # the roll-up: compiled from the approved report, the neighbour missing; then locked
    response = client.post(f"{API}/periods/{period['id']}/rollups", headers=federation)
    assert response.status_code == 200, response.get_json()
    rollup = response.get_json()
    assert rollup["status"] == "draft" and rollup["figures"]["ORG02"] == 4
    assert [m["association_id"] for m in rollup["missing"]] == [world.a.second.association.id]
    response = client.post(f"{API}/rollups/{rollup['id']}/lock", headers=federation)
    assert response.status_code == 200, response.get_json()
    locked = response.get_json()
    assert locked["status"] == "locked" and len(locked["hash"]) == 64
    run_queued_jobs()
    versions = client.get(f"{API}/periods/{period['id']}/rollups", headers=federation).get_json()
    assert [(v["id"], v["status"]) for v in versions] == [(rollup["id"], "locked")]
    national = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/rollups/{YEAR}",
        headers=_bearer(world.national_a[1]),
    ).get_json()
    assert national["hash"] == locked["hash"] and national["figures"]["ORG02"] == 4

    # every step is in the audit log, by the token that took it
    federation_actor, association_actor = f"token:{federation_token}", f"token:{association_token}"
    assert _status_changes(report_id) == [
        ("system", "compiled"),  # the job, as when compiled from the page
        (association_actor, "submitted"),
        (federation_actor, "returned"),
        (association_actor, "compiling"),
        ("system", "compiled"),
        (association_actor, "submitted"),
        (federation_actor, "approved"),
    ]
    lock = [
        e
        for e in _events("federation_rollup", rollup["id"], PlatformAuditEvent)
        if e.action == "update"
    ]
    assert lock[-1].actor.startswith(f"{federation_actor} ") and lock[-1].changes["status"] == [
        "draft",
        "locked",
    ]


def test_each_step_the_state_does_not_allow_is_refused_and_changes_nothing(parties, client):
    """The world's reports of last year are approved and its roll-up locked."""
    world, federation, association, _token = parties
    period_id = world.a.reporting["period_id"]
    report_id = world.a.first.reports[0]
    rollup_id = world.a.reporting["rollup_id"]
    comments = {"comments": {"ORG02": "请核实"}}
    explanation = {"code": "ORG02", "text": "说明"}

    message = _refused(
        client,
        "POST",
        f"{API}/periods",
        federation,
        422,
        {"year": 2025, "deadline": "2026-03-31"},
    )
    assert message["errors"]["json"]["year"]
    message = _refused(
        client, "POST", f"{API}/periods", federation, 422, {"year": 2030, "deadline": "2029-12-31"}
    )
    assert message["errors"]["json"]["deadline"]
    compile_ = _refused(client, "POST", f"{API}/periods/{period_id}/compile", association, 409)
    assert "不能重新生成" in compile_["message"]  # a submitted or approved report is not recompiled
    _refused(
        client, "POST", f"{API}/reports/{report_id}/explanations", association, 409, explanation
    )
    _refused(client, "POST", f"{API}/reports/{report_id}/submit", association, 409)
    _refused(client, "POST", f"{API}/reports/{report_id}/return", federation, 409, comments)
    approve = _refused(client, "POST", f"{API}/reports/{report_id}/approve", federation, 409)
    assert "只有已报送的报表" in approve["message"]  # only a submitted report
    lock = _refused(client, "POST", f"{API}/rollups/{rollup_id}/lock", federation, 409)
    assert "已经锁定" in lock["message"]  # locked already
    # bodies that cannot be taken, whatever the state
    for body in (
        {"comments": {}},
        {"comments": {"NOPE": "x"}},
        {"comments": {"ORG02": "   "}},
        {"comments": {"ORG02": "x"}, "decision": "approve"},
    ):
        _refused(client, "POST", f"{API}/reports/{report_id}/return", federation, 422, body)
    for body in ({"code": "NOPE", "text": "x"}, {"code": "ORG02", "text": " "}):
        _refused(client, "POST", f"{API}/reports/{report_id}/explanations", association, 422, body)


def test_each_side_takes_only_its_own_steps(parties, client):
    world, federation, association, _token = parties
    period_id, report_id = world.a.reporting["period_id"], world.a.first.reports[0]
    rollup_id = world.a.reporting["rollup_id"]
    for url in (
        f"{API}/reports/{report_id}/approve",
        f"{API}/periods/{period_id}/rollups",
        f"{API}/rollups/{rollup_id}/lock",
    ):
        _refused(client, "POST", url, association, 403)
    _refused(client, "POST", f"{API}/periods/{period_id}/compile", federation, 403)
    _refused(client, "POST", f"{API}/reports/{report_id}/submit", federation, 403)
    for reader in (world.a.first.tokens["ro"][1], world.a.tokens["ro"][1]):
        _refused(client, "POST", f"{API}/reports/{report_id}/submit", _bearer(reader), 403)
        _refused(client, "POST", f"{API}/reports/{report_id}/approve", _bearer(reader), 403)
    # the federation's roll-ups are the reviewers' (as on the pages), never an association's
    assert client.get(f"{API}/rollups/{rollup_id}", headers=federation).status_code == 200
    assert client.get(f"{API}/rollups/{rollup_id}", headers=association).status_code == 403


def test_other_tenants_ids_are_404_and_change_nothing(parties, client):
    world, federation, association, _token = parties
    other = world.b
    neighbour_report = world.a.second.reports[0]
    for headers, method, url, body in (
        (federation, "GET", f"{API}/periods/{other.reporting['period_id']}", None),
        (federation, "GET", f"{API}/reports/{other.first.reports[0]}", None),
        (federation, "GET", f"{API}/rollups/{other.reporting['rollup_id']}", None),
        (federation, "GET", f"{API}/periods/{other.reporting['period_id']}/rollups", None),
        (federation, "POST", f"{API}/periods/{other.reporting['period_id']}/rollups", None),
        (federation, "POST", f"{API}/rollups/{other.reporting['rollup_id']}/lock", None),
        (federation, "POST", f"{API}/reports/{other.first.reports[0]}/approve", None),
        (
            federation,
            "POST",
            f"{API}/reports/{other.first.reports[0]}/return",
            {"comments": {"ORG02": "x"}},
        ),
        (association, "POST", f"{API}/periods/{other.reporting['period_id']}/compile", None),
        (association, "GET", f"{API}/reports/{neighbour_report}", None),
        (association, "POST", f"{API}/reports/{neighbour_report}/submit", None),
        (
            association,
            "POST",
            f"{API}/reports/{neighbour_report}/explanations",
            {"code": "ORG02", "text": "x"},
        ),
        # a foreign id with a body that is wrong anyway: still 404, never a 422
        (association, "POST", f"{API}/reports/{neighbour_report}/explanations", {}),
    ):
        _refused(client, method, url, headers, 404, body)


def test_the_document_says_what_each_step_answers(client, db_session):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    compile_ = paths[f"{API}/periods/{{period_id}}/compile"]["post"]["responses"]
    assert "Location" in compile_["202"]["headers"] and "409" in compile_ and "404" in compile_
    for path in (
        "/reports/{report_id}/explanations",
        "/reports/{report_id}/submit",
        "/reports/{report_id}/return",
        "/reports/{report_id}/approve",
        "/periods/{period_id}/rollups",
        "/rollups/{rollup_id}/lock",
    ):
        responses = paths[API + path]["post"]["responses"]
        assert {"401", "403", "404", "409"} <= set(responses), path
    assert "201" in paths[f"{API}/periods"]["post"]["responses"]
