"""Suggestions, opinions and demands: the round trip from a member to the association and the
federation and back, and anonymity that leaves no trace of the submitter anywhere."""

from __future__ import annotations

import json
import logging
import re

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.observability import JsonFormatter
from service.suggestions.models import Suggestion
from service.validation import ID_MAX
from tenants.db import db
from tenants.scope import system_scope


def bearer(pair) -> dict:
    return {"Authorization": f"Bearer {pair[1]}"}


def suggestion_rows(title: str) -> list[Suggestion]:
    with system_scope("test: read suggestions as a database admin would"):
        rows = db.session.scalars(sa.select(Suggestion).where(Suggestion.title == title)).all()
        db.session.expunge_all()
    return rows


def submit(client, title: str, *, anonymous: bool = False, theme: str = "evaluation"):
    data = {"kind": "demand", "theme": theme, "title": title, "body": "希望完善青年教师职称评审。"}
    if anonymous:
        data["anonymous"] = "y"
    return client.post("/suggestions/new", data=data)


def test_a_named_suggestion_goes_round_trip_through_the_federation(world, app):
    tenant = world.a.first
    member, staff = tenant.users[Role.MEMBER], tenant.users[Role.ASSOCIATION_STAFF]
    officer = world.a.users[Role.FEDERATION_OFFICER]
    as_member = app.test_client().login_as(member)
    as_staff = app.test_client().login_as(staff)
    as_officer = app.test_client().login_as(officer)

    submitted = submit(as_member, "关于职称评审的诉求")
    assert submitted.status_code == 303
    assert "已收到" in as_member.get(submitted.headers["Location"]).get_data(as_text=True)
    (row,) = suggestion_rows("关于职称评审的诉求")
    assert row.submitter_user_id == member.id and row.state == "received"
    assert "关于职称评审的诉求" in as_member.get("/suggestions/mine").get_data(as_text=True)

    detail = as_staff.get(f"/suggestions/{row.id}").get_data(as_text=True)
    assert f"提交人：{member.display_name}" in detail  # the association knows who asked
    as_staff.post(f"/suggestions/{row.id}/handle", data={"action": "start"})
    refused = as_staff.post(f"/suggestions/{row.id}/handle", data={"action": "close"})
    assert "答复后才能办结" in as_staff.get(refused.headers["Location"]).get_data(as_text=True)
    as_staff.post(
        f"/suggestions/{row.id}/handle", data={"action": "answer", "answer": "已提交学校研究。"}
    )
    as_staff.post(f"/suggestions/{row.id}/escalate", data={"note": "涉及全省政策"})
    (row,) = suggestion_rows("关于职称评审的诉求")
    assert row.state == "answered" and row.escalated_at is not None
    assert "已提交学校研究。" in as_member.get("/suggestions/mine").get_data(as_text=True)

    # The federation sees it under its theme, without who submitted it.
    listing = as_officer.get("/suggestions/escalated/").get_data(as_text=True)
    assert "评价与职称" in listing and "关于职称评审的诉求" in listing
    page = as_officer.get(f"/suggestions/escalated/{row.id}").get_data(as_text=True)
    assert "涉及全省政策" in page
    assert member.username not in page and tenant.members[0].name not in page
    as_officer.post(f"/suggestions/escalated/{row.id}/reply", data={"reply": "将在全省推广。"})
    assert "将在全省推广。" in as_member.get("/suggestions/mine").get_data(as_text=True)
    as_staff.post(f"/suggestions/{row.id}/handle", data={"action": "close"})
    assert suggestion_rows("关于职称评审的诉求")[0].state == "closed"

    # Another province's officer cannot see it, nor the association's inbox.
    other = app.test_client().login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert other.get(f"/suggestions/escalated/{row.id}").status_code == 404
    assert "关于职称评审的诉求" not in other.get("/suggestions/escalated/").get_data(as_text=True)
    assert as_officer.get(f"/suggestions/{row.id}").status_code == 403


def test_an_item_not_escalated_stays_with_the_association(world, app):
    tenant = world.a.first
    anonymous = tenant.suggestions[1]  # the factory's: not escalated
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    assert officer.get(f"/suggestions/escalated/{anonymous.id}").status_code == 404
    token = world.a.tokens["ro"]
    listed = app.test_client().get("/api/v1/escalated-suggestions/", headers=bearer(token))
    ids = {item["id"] for item in listed.get_json()}
    assert tenant.suggestions[0].id in ids and anonymous.id not in ids
    assert world.b.first.suggestions[0].id not in ids
    themes = app.test_client().get("/api/v1/escalated-suggestions/themes", headers=bearer(token))
    counts = {t["theme"]: t["escalated"] for t in themes.get_json()}
    assert counts["research_funding"] == 2 and counts["other"] == 0


def test_an_anonymous_suggestion_leaves_no_trace_of_its_submitter(world, app, caplog):
    caplog.set_level(logging.INFO, logger="kexie.request")
    tenant = world.a.first
    member = tenant.users[Role.MEMBER]
    as_member = app.test_client().login_as(member)
    as_staff = app.test_client().login_as(tenant.users[Role.ASSOCIATION_ADMIN])

    response = submit(
        as_member, "匿名反映学术不端线索", anonymous=True, theme="academic_environment"
    )
    assert response.status_code == 303
    receipt = as_member.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'id="receipt-code">([^<]+)<', receipt).group(1)
    # Shown once: the page does not show it again.
    assert code not in as_member.get(response.headers["Location"]).get_data(as_text=True)

    (row,) = suggestion_rows("匿名反映学术不端线索")
    assert row.anonymous and row.submitter_user_id is None
    assert row.receipt_hash and code not in row.receipt_hash
    assert row.updated_at is None  # no timestamp of the moment it was sent
    with system_scope("test: the audit log as a database admin sees it"):
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "suggestion")
        ).all()
        written = [e for e in events if e.entity_id == str(row.id)]
        assert written and all(e.actor == "anonymous" for e in written)
        assert all(e.occurred_at.time().isoformat() == "00:00:00" for e in written)
        logged = json.dumps([e.changes for e in written], ensure_ascii=False)
        ids_and_dates = r'"id": \d+|"tenant_id": \d+|\d{4}-\d\d-\d\d'
        assert str(member.id) not in re.sub(ids_and_dates, "", logged)
        assert code not in logged
    line = next(
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "kexie.request" and getattr(r, "endpoint", "") == "suggestions.new"
    )
    assert line["principal"] == "concealed" and "user_id" not in line

    # Nobody sees who sent it: not the association, not the member's own list.
    page = as_staff.get(f"/suggestions/{row.id}").get_data(as_text=True)
    assert "匿名提交" in page and "提交人：" not in page
    assert "匿名反映学术不端线索" not in as_member.get("/suggestions/mine").get_data(as_text=True)

    # The code, and only the code, brings the submitter back to the answer.
    as_staff.post(
        f"/suggestions/{row.id}/handle", data={"action": "answer", "answer": "已受理核查。"}
    )
    answer = as_member.post("/suggestions/receipt", data={"code": code.lower()})
    assert "已受理核查。" in answer.get_data(as_text=True)
    wrong = as_member.post("/suggestions/receipt", data={"code": "JY-0000-0000-0000-0000-0000"})
    assert wrong.status_code == 302
    # Another association's member cannot read it, even with the code.
    stranger = app.test_client().login_as(world.a.second.users[Role.MEMBER])
    assert stranger.post("/suggestions/receipt", data={"code": code}).status_code == 302


def test_the_api_handles_suggestions_and_never_names_the_submitter(world, app):
    tenant = world.a.first
    client = app.test_client()
    listed = client.get("/api/v1/suggestions/", headers=bearer(tenant.tokens["ro"]))
    assert listed.status_code == 200 and "X-Pagination" in listed.headers
    body = json.dumps(listed.get_json())
    assert "submitter" not in body and "receipt" not in body
    named = tenant.suggestions[0]
    answered = client.patch(
        f"/api/v1/suggestions/{named.id}",
        json={"answer": "谢谢，已采纳。"},
        headers=bearer(tenant.tokens["rw"]),
    )
    assert answered.status_code == 200 and answered.get_json()["state"] == "answered"
    refused = client.patch(
        f"/api/v1/suggestions/{tenant.suggestions[1].id}",
        json={"state": "closed"},
        headers=bearer(tenant.tokens["rw"]),
    )
    assert refused.status_code == 422
    unknown = client.patch(
        f"/api/v1/suggestions/{named.id}",
        json={"submitter_user_id": 1},
        headers=bearer(tenant.tokens["rw"]),
    )
    assert unknown.status_code == 422
    read_only = client.patch(
        f"/api/v1/suggestions/{named.id}",
        json={"state": "closed"},
        headers=bearer(tenant.tokens["ro"]),
    )
    assert read_only.status_code == 403


def _statements():
    """Count the SQL statements a block sends: the work a request does, without a stopwatch."""
    counted: list[str] = []

    def count(conn, cursor, statement, *args):
        counted.append(statement)

    return counted, count


def test_named_and_anonymous_submissions_answer_alike(world, app, caplog):
    caplog.set_level(logging.INFO, logger="kexie.request")
    member = world.a.first.users[Role.MEMBER]
    client = app.test_client().login_as(member)
    assert client.get("/suggestions/new").status_code == 200
    answers, work = {}, {}
    for anonymous in (False, True):
        counted, count = _statements()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = submit(client, f"一样的回答 {anonymous}", anonymous=anonymous)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        answers[anonymous] = (response.status_code, response.headers["Location"])
        work[anonymous] = len(counted)
        assert client.get(response.headers["Location"]).status_code == 200
    # The same status and place to go, and the same database work (the same timing class).
    assert answers[False] == answers[True] == (303, "/suggestions/received")
    assert work[False] == work[True]

    # No line of the form, its submissions or the page after names the account.
    lines = [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "kexie.request"
        and getattr(r, "endpoint", "") in ("suggestions.new", "suggestions.received")
    ]
    assert [(line["method"], line["status"]) for line in lines] == [
        ("GET", 200),
        ("POST", 303),
        ("GET", 200),
        ("POST", 303),
        ("GET", 200),
    ]
    for line in lines:
        assert line["principal"] == "concealed"
        assert not {"user_id", "token_id", "tenant_id", "federation_id"} & set(line)


def test_suggestion_ids_and_the_anonymous_audit_event_are_not_sequential(world, app):
    client = app.test_client().login_as(world.a.first.users[Role.MEMBER])
    titles = [f"编号 {i}" for i in range(6)]
    for i, title in enumerate(titles):
        assert submit(client, title, anonymous=i % 2 == 1).status_code == 303
    ids = [suggestion_rows(title)[0].id for title in titles]
    # Not a run, not even close together: six draws from two billion.
    assert max(ids) - min(ids) > 10_000
    assert all(0 < i <= ID_MAX for i in ids)  # inside the BIGINT range ids are bounded to
    with system_scope("test: the audit log as a database admin sees it"):
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "suggestion", AuditEvent.entity_id.in_(map(str, ids))
            )
        ).all()
    by_item = {int(e.entity_id): e for e in events}
    anonymous = [by_item[i] for i in ids[1::2]]
    named = [by_item[i] for i in ids[::2]]
    # No submission's event has a place in the sequence: a random id below zero, at
    # midnight, so it sits between no two other events. Named ones too (with their actor),
    # or the anonymous ones would be the log lines left over once the named ones are matched.
    for event in anonymous + named:
        assert event.id < 0 and event.occurred_at.time().isoformat() == "00:00:00"
    assert len({e.id for e in anonymous + named}) == 6
    assert all(e.actor == "anonymous" for e in anonymous)
    assert not any(e.actor == "anonymous" for e in named)


def test_a_random_id_that_clashes_is_drawn_again(world, app, monkeypatch):
    from service.suggestions import models

    taken = world.a.first.suggestions[0].id
    draws = iter([taken, 424242])
    monkeypatch.setattr(models, "random_id", lambda: next(draws))
    client = app.test_client().login_as(world.a.first.users[Role.MEMBER])
    logged_before = created_events()
    assert submit(client, "撞号").status_code == 303
    assert suggestion_rows("撞号")[0].id == 424242
    # The log tells what was written: the item that was kept, not the draw that clashed.
    assert created_events() == logged_before + 1
    assert created_events(424242) == 1


def test_a_submission_whose_every_draw_clashes_is_refused_and_keeps_nothing(
    world, app, monkeypatch
):
    from service.suggestions import models

    taken = world.a.first.suggestions[0].id
    monkeypatch.setattr(models, "random_id", lambda: taken)
    client = app.test_client().login_as(world.a.first.users[Role.MEMBER])
    logged_before = created_events()
    refused = submit(client, "三次撞号")
    assert refused.status_code == 400
    assert "建议暂时未能保存，请重新提交。" in refused.get_data(as_text=True)
    assert suggestion_rows("三次撞号") == []
    assert created_events() == logged_before


def created_events(suggestion_id: int | None = None) -> int:
    """How many times the log says a suggestion (this one, or any) was created."""
    query = sa.select(sa.func.count()).where(
        AuditEvent.entity == "suggestion", AuditEvent.action == "create"
    )
    if suggestion_id is not None:
        query = query.where(AuditEvent.entity_id == str(suggestion_id))
    with system_scope("test: read the audit log"):
        return db.session.scalar(query)
