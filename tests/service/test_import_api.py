"""The member import API, as an HR system would use it: the raw roster through a dry run
(exactly its bad rows, with their values, nothing written), then a commit once per
Idempotency-Key; rows as JSON; the same checks, audit and all-or-nothing as the web; the
tokens that may and may not; and the progress the status shows while the job runs."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.members import importing
from service.members.models import Member, MemberImport
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests import snapshots
from tests.conftest import REDIS_URL, run_queued_jobs
from tests.service import rosters
from tests.service.test_members import members_of

URL = "/api/v1/member-imports/"


def _bearer(pair, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {pair[1]}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _post_file(client, token, filename, content, key=None, **form):
    data = {k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}
    response = client.post(
        URL,
        data={"file": (io.BytesIO(content), filename), **data},
        headers=_bearer(token, key),
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    return response


def _post_rows(client, token, body, key=None):
    response = client.post(URL, json=body, headers=_bearer(token, key))
    run_queued_jobs()
    return response


def _status(client, token, import_id) -> dict:
    response = client.get(f"{URL}{import_id}", headers=_bearer(token))
    assert response.status_code == 200, response.json
    return response.json


def row_counts() -> dict[str, int]:
    """Every table's rows. The test's session sets its scope on the connection again: a
    job's session, on the tests' one connection, left its own tenant's settings there."""
    db.session.info.pop("rls_scope", None)
    return snapshots.row_counts()


def _imports_of(tenant) -> int:
    with use_scope(Scope.association(tenant.association.id)):
        return db.session.scalar(sa.select(sa.func.count()).select_from(MemberImport))


def _import_events(tenant) -> list[AuditEvent]:
    with use_scope(Scope.association(tenant.association.id)):
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "import", AuditEvent.entity == "member"
            )
        ).all()
        db.session.expunge_all()
    return events


# --- the raw roster ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "bad"),
    [
        ("个人会员名册.xlsx", rosters.hr_xlsx(), rosters.HR_BAD_ROWS),
        ("会员信息汇总.csv", rosters.gbk_csv(), rosters.GBK_BAD_ROWS),
    ],
    ids=["hr-xlsx", "gbk-csv"],
)
def test_a_dry_run_reports_exactly_the_bad_rows_with_their_values_and_writes_nothing(
    world, client, filename, content, bad
):
    tenant = world.a.first
    before = row_counts()
    response = _post_file(client, tenant.tokens["rw"], filename, content, dry_run=True)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued" and response.json["dry_run"] is True
    result = _status(client, tenant.tokens["rw"], response.json["id"])
    assert response.headers["Location"].endswith(f"/member-imports/{result['id']}")
    assert result["status"] == "review" and result["dry_run"] is True
    assert {(p["row"], p["column"]) for p in result["problems"]} == bad, result["problems"]
    assert result["problem_count"] == len(result["problems"])
    assert all(p["message"] for p in result["problems"])
    if filename.endswith(".xlsx"):
        values = {p["row"]: p["value"] for p in result["problems"]}
        assert values[14] == "12345" and values[15] == "wumin@" and "HYPERLINK" in values[12]
        assert result["unmapped"] == ["序号", "备注"]
        mapped = {c["header"]: c["field"] for c in result["columns"]}
        assert mapped["出生年月"] == "birth_year" and mapped["手机号码"] == "phone"
        assert result["counts"]["total"] == 12 and result["counts"]["new"] == 7
        assert result["counts"]["bad"] == 5 and result["counts"]["imported"] == 0
    else:  # the staff number is a field of its own
        assert result["unmapped"] == []
        mapped = {c["header"]: c["field"] for c in result["columns"]}
        assert mapped["工号"] == "staff_number"
    # Nothing written: no member, no saved mapping, no import event; only the import itself.
    after = row_counts()
    assert after["member"] == before["member"]
    assert after["import_mapping"] == before["import_mapping"]
    assert after["member_import"] == before["member_import"] + 1
    assert not _import_events(tenant)


def test_a_commit_imports_the_valid_rows_once_per_idempotency_key(world, client):
    tenant = world.a.first
    token = tenant.tokens["rw"]
    before = len(members_of(tenant))
    roster = rosters.hr_xlsx()  # the same bytes each time (a workbook carries its save time)
    first = _post_file(
        client, token, "个人会员名册.xlsx", roster, key="hr-2026-03-01", mode="valid"
    )
    assert first.status_code == 202, first.json
    result = _status(client, token, first.json["id"])
    assert result["status"] == "done" and result["dry_run"] is False
    assert result["counts"]["imported"] == len(rosters.GOOD_NAMES)
    assert {(p["row"], p["column"]) for p in result["problems"]} == rosters.HR_BAD_ROWS
    with use_scope(Scope.association(tenant.association.id)):
        first_member = db.session.scalars(sa.select(Member).where(Member.name == "欧阳·娜娜")).one()
        assert (first_member.phone, first_member.birth_year) == ("13900010001", 1978)
        assert first_member.email == "ouyang.nn@example.edu.cn"
    assert len(members_of(tenant)) == before + len(rosters.GOOD_NAMES)
    (event,) = _import_events(tenant)
    assert event.changes["rows"] == len(rosters.GOOD_NAMES) and event.changes["mode"] == "valid"
    assert event.changes["requested_by"].startswith("token:")

    # The HR system retries (its connection dropped): the first import, written once.
    imports = _imports_of(tenant)
    again = _post_file(
        client, token, "个人会员名册.xlsx", roster, key="hr-2026-03-01", mode="valid"
    )
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["status"] == "done"
    assert again.json["counts"] == result["counts"]
    assert _imports_of(tenant) == imports
    assert len(members_of(tenant)) == before + len(rosters.GOOD_NAMES)
    assert len(_import_events(tenant)) == 1

    # The same key with another request is refused, and changes nothing.
    counts = row_counts()
    other = _post_file(client, token, "个人会员名册.xlsx", roster, key="hr-2026-03-01", mode="all")
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json["message"]
    assert row_counts() == counts


def test_by_default_nothing_is_written_while_a_row_is_bad(world, client):
    tenant = world.a.first
    before = len(members_of(tenant))
    response = _post_file(client, tenant.tokens["rw"], "名册.xlsx", rosters.hr_xlsx())
    result = _status(client, tenant.tokens["rw"], response.json["id"])
    assert result["status"] == "review" and result["mode"] == "all"
    assert result["problem_count"] == len(rosters.HR_BAD_ROWS)
    assert result["counts"]["imported"] == 0
    assert len(members_of(tenant)) == before
    assert not _import_events(tenant)


def test_rows_as_json_keyed_by_field_or_by_heading_are_checked_and_written(world, client):
    tenant = world.a.first
    token = tenant.tokens["rw"]
    before = len(members_of(tenant))
    body = {
        "rows": [
            {
                "name": "欧阳·娜娜",
                "phone": "+86 139-0001-0101",
                "title": "教授",
                "birth_year": "1978.05",
                "gender": "female",
            },
            {"name": "张伟", "phone": 13900010102, "title": "讲师", "email": "ZW@Example.edu.CN"},
            {"name": '=HYPERLINK("http://x")', "phone": "13900010103", "title": "讲师"},
            {},
            {"name": "李四", "phone": "12345", "title": "讲师"},
        ],
        "mode": "valid",
    }
    response = _post_rows(client, token, body, key="json-1")
    assert response.status_code == 202, response.json
    assert response.json["filename"] == "rows.json"
    result = _status(client, token, response.json["id"])
    assert result["status"] == "done"
    # Each problem's row is the row's place in the list (from 1); the blank one is skipped.
    assert {(p["row"], p["column"], p["value"]) for p in result["problems"]} == {
        (3, "name", '=HYPERLINK("http://x")'),
        (5, "phone", "12345"),
    }
    assert result["counts"]["total"] == 4 and result["counts"]["imported"] == 2
    with use_scope(Scope.association(tenant.association.id)):
        written = {
            m.name: m
            for m in db.session.scalars(
                sa.select(Member).where(Member.name.in_(["欧阳·娜娜", "张伟"]))
            )
        }
        assert written["欧阳·娜娜"].phone == "13900010101"
        assert written["欧阳·娜娜"].birth_year == 1978 and written["欧阳·娜娜"].title == "senior"
        assert written["欧阳·娜娜"].gender == "female"
        assert written["张伟"].email == "zw@example.edu.cn"
    assert len(members_of(tenant)) == before + 2

    # The HR system's own headings, one of them mapped by the caller.
    body = {
        "rows": [
            {"人员姓名": "王芳", "手机号码": "13900010104", "职称": "研究员", "人员编号": "E01"}
        ],
        "mapping": {"人员姓名": "name", "人员编号": None},
    }
    result = _status(client, token, _post_rows(client, token, body).json["id"])
    assert result["status"] == "done", result
    mapped = {c["header"]: c["field"] for c in result["columns"]}
    assert mapped == {"人员姓名": "name", "手机号码": "phone", "职称": "title", "人员编号": None}
    assert result["unmapped"] == ["人员编号"]
    assert "王芳" in {m.name for m in members_of(tenant)}


def test_a_file_with_a_mapping_for_headings_the_service_does_not_know(world, client):
    tenant = world.a.first
    content = rosters.csv_of(["人员姓名", "移动终端", "职称"], [["钱学", "13600000002", "教授"]])
    mapping = json.dumps({"人员姓名": "name", "移动终端": "phone"}, ensure_ascii=False)
    made = _post_file(client, tenant.tokens["rw"], "hr.csv", content, mapping=mapping)
    result = _status(client, tenant.tokens["rw"], made.json["id"])
    assert result["status"] == "done" and result["counts"]["imported"] == 1, result
    assert {c["header"]: c["how"] for c in result["columns"]}["移动终端"] == "saved"
    member = next(m for m in members_of(tenant) if m.name == "钱学")
    assert member.phone == "13600000002" and member.title == "senior"


def test_a_matched_member_is_updated_only_when_asked(world, client):
    tenant = world.a.first
    existing = tenant.members[1]
    token = tenant.tokens["rw"]
    row = {"name": existing.name, "phone": existing.phone, "department": "新成立的学院"}
    skipped = _status(client, token, _post_rows(client, token, {"rows": [row]}).json["id"])
    assert skipped["status"] == "done" and skipped["counts"]["changed"] == 1
    assert skipped["counts"]["updated"] == 0
    updated = _status(
        client, token, _post_rows(client, token, {"rows": [row], "on_match": "update"}).json["id"]
    )
    assert updated["counts"]["updated"] == 1 and updated["progress"]["written"] == 1
    member = next(m for m in members_of(tenant) if m.id == existing.id)
    assert member.department == "新成立的学院"


# --- refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "says"),
    [
        ({"json": {"rows": []}}, 422, None),
        ({"json": {"rows": [{"name": {"first": "x"}}]}}, 422, None),
        ({"json": {"rows": [{"name": "x"}], "mapping": {"a": "nope"}}}, 422, None),
        (
            {"json": {"rows": [{"a": "x", "b": "y"}], "mapping": {"a": "name", "b": "name"}}},
            422,
            None,
        ),
        ({"json": {"rows": [{"name": "x"}], "extra": 1}}, 422, None),
        ({"json": {"rows": [{"name": "x"}], "mode": "some"}}, 422, None),
        ({"data": "name\n张三", "content_type": "text/csv"}, 415, None),
        (
            {
                "data": {"file": (io.BytesIO(b"%PDF-1.4"), "名册.pdf")},
                "content_type": "multipart/form-data",
            },
            422,
            ".xlsx",
        ),
        (
            {
                "data": {"file": (io.BytesIO(b"not a zip"), "名册.xlsx")},
                "content_type": "multipart/form-data",
            },
            422,
            None,
        ),
        (
            {
                "data": {"file": (io.BytesIO(b"a,b\n"), "m.csv"), "mapping": "{not json"},
                "content_type": "multipart/form-data",
            },
            422,
            "mapping",
        ),
        ({"data": {"mode": "all"}, "content_type": "multipart/form-data"}, 422, "file"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(
    world, client, kwargs, status, says
):
    before = row_counts()
    response = client.post(URL, headers=_bearer(world.a.first.tokens["rw"]), **kwargs)
    assert response.status_code == status, response.json
    assert response.json["message"]
    if says:
        assert says in response.json["message"]
    assert row_counts() == before


def test_an_oversized_file_is_refused_as_on_the_web(app, world, client):
    before = row_counts()
    app.config["IMPORT_MAX_BYTES"], limit = 1000, app.config["IMPORT_MAX_BYTES"]
    try:
        response = _post_file(client, world.a.first.tokens["rw"], "m.csv", b"x" * 2000)
    finally:
        app.config["IMPORT_MAX_BYTES"] = limit
    assert response.status_code == 422 and "MB" in response.json["message"]
    assert row_counts() == before


def test_messages_are_in_chinese_for_a_chinese_caller(world, client):
    response = client.post(
        URL,
        data="x",
        content_type="text/plain",
        headers={**_bearer(world.a.first.tokens["rw"]), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 415 and "multipart/form-data" in response.json["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["message"])


# --- who may ----------------------------------------------------------------------------


def test_a_read_only_token_may_read_the_status_but_not_import(world, client):
    tenant = world.a.first
    before = row_counts()
    refused = _post_file(client, tenant.tokens["ro"], "名册.xlsx", rosters.hr_xlsx())
    assert refused.status_code == 403 and refused.json["message"]
    assert row_counts() == before
    made = _post_file(client, tenant.tokens["rw"], "名册.xlsx", rosters.hr_xlsx(), dry_run=True)
    seen = _status(client, tenant.tokens["ro"], made.json["id"])
    assert seen["status"] == "review" and seen["problem_count"] == len(rosters.HR_BAD_ROWS)
    phones = [p["value"] for p in seen["problems"] if p["column"] == "手机号码"]
    assert phones and all("*" in v for v in phones)  # contacts masked, as in its member list
    problems = client.get(f"{URL}{made.json['id']}/problems", headers=_bearer(tenant.tokens["ro"]))
    assert problems.status_code == 200 and len(problems.json) == len(rosters.HR_BAD_ROWS)


def test_a_federation_token_cannot_import_into_an_association(world, client):
    before = row_counts()
    response = _post_rows(client, world.a.tokens["ro"], {"rows": [{"name": "x", "phone": "1"}]})
    assert response.status_code == 403
    assert row_counts() == before


def test_another_association_s_import_is_404(world, client):
    tenant, neighbour = world.a.first, world.a.second
    made = _post_rows(
        client, tenant.tokens["rw"], {"rows": [{"name": "钱学", "phone": "13600000001"}]}, "k-1"
    )
    for token in (neighbour.tokens["rw"], world.b.first.tokens["ro"]):
        for path in (f"{URL}{made.json['id']}", f"{URL}{made.json['id']}/problems"):
            assert client.get(path, headers=_bearer(token)).status_code == 404
    # The neighbour's own key of the same name is its own.
    own = _post_rows(
        client, neighbour.tokens["rw"], {"rows": [{"name": "钱学", "phone": "13600000001"}]}, "k-1"
    )
    assert own.status_code == 202 and own.json["id"] != made.json["id"]


def test_a_key_taken_by_another_request_at_the_same_moment_keeps_the_first_only(world):
    """Two requests with one key, each past the look for an earlier one: the second's
    upload is refused at its flush, and its transaction goes on to answer with the first."""
    with use_scope(Scope.association(world.a.first.association.id)):
        first = importing.start_import(
            "a.csv", b"x", "hr", idempotency_key="same-moment", request_digest="d"
        )
        with pytest.raises(importing.KeyTaken):
            importing.start_import(
                "b.csv", b"y", "hr", idempotency_key="same-moment", request_digest="d"
            )
        assert importing.sheet_under_key("same-moment").member_import_id == first.id
        names = db.session.scalars(
            sa.select(MemberImport.filename).where(MemberImport.created_by == "hr")
        ).all()
    assert names == ["a.csv"]


def test_every_problem_is_listed_page_by_page(world, client):
    tenant = world.a.first
    rows = [{"name": f"会员{i}", "phone": "123", "title": "讲师"} for i in range(130)]
    made = _post_rows(client, tenant.tokens["rw"], {"rows": rows, "dry_run": True})
    result = _status(client, tenant.tokens["rw"], made.json["id"])
    assert result["problem_count"] == 130 and len(result["problems"]) == 100
    pages = [
        client.get(
            f"{URL}{made.json['id']}/problems?page={n}&page_size=100",
            headers=_bearer(tenant.tokens["rw"]),
        )
        for n in (1, 2)
    ]
    assert [len(p.json) for p in pages] == [100, 30]
    assert pages[1].json[-1]["row"] == 130


# --- progress ---------------------------------------------------------------------------


def _big_roster(n: int) -> bytes:
    header = ["序号", "姓名", "手机号码", "职称"]
    rows = [[str(i), f"会员{i}", f"135{i:08d}", "讲师"] for i in range(1, n + 1)]
    return rosters.csv_of(header, rows)


def test_the_status_shows_the_states_and_rows_checked_of_total_while_the_job_runs(
    app, world, client
):
    """Under the real queue when TEST_REDIS_URL is set, inline otherwise: each time the job
    reports progress, the status endpoint is asked what it shows at that moment."""
    tenant = world.a.first
    reader = app.test_client()
    seen: list[dict] = []

    def look(import_id, **_step):
        seen.append(_status(reader, tenant.tokens["ro"], import_id))

    total = 2500
    importing.progressed.connect(look)
    try:
        response = client.post(
            URL,
            data={"file": (io.BytesIO(_big_roster(total)), "全校名册.csv"), "mode": "valid"},
            headers=_bearer(tenant.tokens["rw"], "big-1"),
            content_type="multipart/form-data",
        )
        assert response.status_code == 202 and response.json["status"] == "queued"
        if REDIS_URL:  # not yet worked: queued, with no progress reported
            waiting = _status(client, tenant.tokens["ro"], response.json["id"])
            assert waiting["status"] == "queued" and waiting["progress"] is None
            assert not seen
        run_queued_jobs()
    finally:
        importing.progressed.disconnect(look)

    assert {s["status"] for s in seen} == {"queued"}
    steps = [
        (s["progress"]["state"], s["progress"]["checked"], s["progress"]["written"]) for s in seen
    ]
    assert all(s["progress"]["total"] == total for s in seen)
    checking = [checked for state, checked, _w in steps if state == "checking"]
    writing = [written for state, _c, written in steps if state == "importing"]
    assert checking == [0, 1000, 2000, total]
    assert writing == [1000, 2000, total]
    assert steps.index(("importing", total, 1000)) > steps.index(("checking", total, 0))

    done = _status(client, tenant.tokens["ro"], response.json["id"])
    assert done["status"] == "done"
    assert done["progress"] == {"state": "done", "checked": total, "written": total, "total": total}
    assert done["counts"]["imported"] == total
