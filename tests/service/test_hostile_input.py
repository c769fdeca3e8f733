"""Hostile input, to every API write operation and every web form: each bad value gets a
clear 4xx or form error and changes nothing (the row count of every table, the audit log
included, is the same before and after). Operations come from the OpenAPI document and
forms from the URL map, so a new endpoint is covered the day it is added."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from markupsafe import escape

from service.auth.models import TokenLevel
from service.auth.roles import Role
from service.validation import ID_MAX
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.snapshots import row_counts

PATH_PARAM = re.compile(r"\{(\w+)\}")
WRITE_METHODS = ("post", "put", "patch")

# One acceptable body per write operation: each hostile case changes one field of it, so the
# refusal is for that field and not for something else missing.
VALID_BODIES = {
    ("PATCH", "/api/v1/associations/{association_id}"): {"address": "杭州市西湖区余杭塘路866号"},
    ("POST", "/api/v1/governance/{association_id}/congresses"): {
        "held_on": "2024-09-01",
        "delegates": 120,
    },
    ("POST", "/api/v1/governance/{association_id}/meetings"): {
        "body": "committee",
        "held_on": "2024-09-01",
        "attendance": 3,
    },
    ("POST", "/api/v1/governance/{association_id}/officers"): {
        "post": "secretary_general",
        "name": "张三",
        "starts_on": "2025-10-01",
        "nominated_on": "2025-08-20",
        "approving_meeting_id": "{meeting_id}",
    },
    ("PATCH", "/api/v1/governance/officers/{officer_id}"): {"ends_on": "2025-01-01"},
    ("PUT", "/api/v1/governance/{association_id}/secretariat"): {"host_office": "科学技术研究院"},
    ("POST", "/api/v1/members/"): {
        "name": "李四",
        "phone": "13800138000",
        "title": "intermediate",
    },
    ("PATCH", "/api/v1/members/{member_id}"): {"department": "化学学院"},
    ("POST", "/api/v1/member-imports/"): {
        "rows": [{"name": "李四", "phone": "13800138000", "title": "讲师"}]
    },
    ("POST", "/api/v1/group-members/"): {"name": "物理学院学生科协", "kind": "undergraduate"},
    ("PATCH", "/api/v1/group-members/{group_id}"): {"leader_name": "王五"},
    ("POST", "/api/v1/establishment/applications"): {
        "university_name": "湖州学院",
        "category": "applied",
        "charter_accepted": True,
        "st_workers": 600,
        "host_office": "科研处",
        "proposed_chair": "刘洋",
        "proposed_chair_basis": "副校长",
        "proposed_vice_chairs": "陈晨（长江学者）",
        "proposed_secretary_general": "马丽",
        "contact_name": "马丽",
        "contact_email": "mali@hzu.edu.cn",
    },
    ("POST", "/api/v1/establishment/applications/{application_id}/approve"): {
        "document_number": "浙科协函〔2026〕5号"
    },
    ("POST", "/api/v1/establishment/applications/{application_id}/return"): {
        "comment": "请补充材料"
    },
    ("POST", "/api/v1/establishment/applications/{application_id}/reject"): {
        "reason": "该校已有科协"
    },
    ("POST", "/api/v1/activities/"): {
        "task": "integrity",
        "subtype": "lecture",
        "title": "科学道德和学风建设宣讲报告会",
        "starts_on": "2025-09-12",
        "ends_on": "2025-09-12",
        "status": "held",
        "audience": 500,
        "speakers": 1,
        "speaker_kind": "academician",
        "audience_group": "graduate",
    },
    ("PATCH", "/api/v1/activities/{activity_id}"): {"place": "图书馆报告厅"},
    ("POST", "/api/v1/consulting-reports/"): {
        "title": "关于高校科协服务地方发展的建议",
        "recipient": "市人民政府",
        "recipient_level": "local",
        "submitted_on": "2026-05-01",
    },
    ("PATCH", "/api/v1/consulting-reports/{consulting_report_id}"): {"adoption_note": "获市长批示"},
    ("POST", "/api/v1/tech-transfers/"): {
        "title": "固态电池专利许可",
        "partner": "某储能公司",
        "mode": "licence",
        "signed_on": "2026-03-01",
        "value_yuan": 3_500_000,
    },
    ("PATCH", "/api/v1/tech-transfers/{tech_transfer_id}"): {"contracts": 2},
    ("POST", "/api/v1/nominations/"): {
        "award": "省科技进步奖",
        "level": "provincial",
        "year": 2026,
        "nominee_name": "孙红",
    },
    ("POST", "/api/v1/exemplars/"): {
        "kind": "person",
        "name": "周文",
        "deeds": "长期开展科普志愿服务",
        "year": 2026,
    },
    ("PATCH", "/api/v1/suggestions/{suggestion_id}"): {"state": "in_progress"},
    ("POST", "/api/v1/reporting/periods"): {"year": 2027, "deadline": "2028-03-31"},
    ("POST", "/api/v1/reporting/reports/{report_id}/explanations"): {
        "code": "ORG02",
        "text": "新成立的学院科协带来新会员",
    },
    ("POST", "/api/v1/reporting/reports/{report_id}/return"): {
        "comments": {"ORG02": "请核实六月入会的会员"}
    },
}
# Establishment and the federation's reporting steps are a provincial federation's token's,
# not an association's.
FEDERATION_PATHS = (
    "/api/v1/establishment/",
    "/api/v1/reporting/periods",
    "/api/v1/reporting/reports/{report_id}/return",
)

SCRIPT = "<script>alert('x')</script>"
SQL = "'; DROP TABLE member; --"
FULL_WIDTH_PHONE = "１３８００１３８０００"
EMOJI = "📞"
RTL_OVERRIDE = "\u202e"
LONE_SURROGATE = "\ud800x"  # valid JSON ("\ud800x"), but no UTF-8 text can hold it
HUGE_INTEGERS = {"2^63": 2**63, "2^64": 2**64, "10^30": 10**30}
OUT_OF_RANGE = {**HUGE_INTEGERS, "-1": -1}


def _spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def _write_operations(spec) -> list[tuple[str, str]]:
    """Operations with a JSON body; file uploads (multipart) have their own bad-file tests."""
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in WRITE_METHODS
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def _body_schema(spec, method: str, path: str) -> dict:
    content = spec["paths"][path][method.lower()]["requestBody"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _own_ids(world) -> dict[str, int]:
    tenant = world.a.first
    return {
        "association_id": tenant.association.id,
        "member_id": tenant.members[0].id,
        "group_id": tenant.groups[0].id,
        **tenant.governance,
        "application_id": world.a.application[0],
        "activity_id": tenant.activities[0].id,
        "consulting_report_id": tenant.consulting_reports[0].id,
        "tech_transfer_id": tenant.transfers[0].id,
        "suggestion_id": tenant.suggestions[0].id,
    }


def _prepare_report(world, path: str) -> None:
    """Put the caller's own report in the state the step takes: the world's approved one
    reopened (version 2, compiled) to explain, and that one submitted to return."""
    if "{report_id}" not in path:
        return
    from service.reporting import services as reporting
    from service.reporting.models import AnnualReport

    with system_scope("test: a report to work on"):
        approved = db.session.get(AnnualReport, world.a.first.reports[0])
        report = reporting.reopen(approved, "补报", "test")
        if path.endswith("/return"):
            report.status = "submitted"
        db.session.commit()


def _latest_report_id(world) -> int:
    from service.reporting.models import AnnualReport

    with system_scope("test: the report worked on"):
        return db.session.scalar(
            sa.select(sa.func.max(AnnualReport.id)).where(
                AnnualReport.tenant_id == world.a.first.association.id
            )
        )


def _own_url(world, path: str) -> str:
    """The operation's URL with the ids of the caller's own association."""
    ids = {**_own_ids(world), "report_id": _latest_report_id(world)}
    return PATH_PARAM.sub(lambda m: str(ids[m.group(1)]), path)


def _valid_body(world, method: str, path: str) -> dict:
    """VALID_BODIES[...] with "{kind_id}" placeholders replaced by own ids."""
    ids = _own_ids(world)
    body = VALID_BODIES.get((method, path), {})
    return {
        key: ids[PATH_PARAM.fullmatch(value).group(1)]
        if isinstance(value, str) and PATH_PARAM.fullmatch(value)
        else value
        for key, value in body.items()
    }


def _bad_values(name: str, prop: dict) -> Iterator[tuple[str, object]]:
    """(what is wrong, the value) for one property of a request body."""
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string" and "enum" not in prop:
        yield "wrong type", 12345
        yield "NUL", "a\x00b"
        yield "RTL override", f"abc{RTL_OVERRIDE}txt.exe"
        yield "over-long", "长" * (prop.get("maxLength", 20_000) + 1)
    if fmt == "date":
        yield "full-width digits", "２０２４-０９-０１"
        yield "date before 1900", "1000-01-01"
        yield "date after 2100", "9999-12-31"
        yield "no such day", "2024-02-30"
    if fmt == "email":
        yield "script as e-mail", f"{SCRIPT}@example.cn"
    if "phone" in name:
        yield "full-width digits", FULL_WIDTH_PHONE
        yield "emoji", EMOJI + "13800138000"
        yield "SQL", "13800138000" + SQL
    if "enum" in prop:
        yield "script as a choice", SCRIPT
        yield "SQL as a choice", SQL
    if kind == "integer":
        yield "text", "many"
        yield "negative", -1
        yield "fraction", 1.5
        yield "emoji", EMOJI
        for what, value in HUGE_INTEGERS.items():
            if value > prop.get("maximum", ID_MAX):  # a BIGINT amount may rightly hold 2^31
                yield what, value
    if kind == "boolean":
        yield "not a boolean", "perhaps"
    if kind == "object":
        yield "text, not an object", SCRIPT
        yield "a list, not an object", [SCRIPT]
        yield "an empty key", {"": SCRIPT}


def _hostile_bodies(spec, method: str, path: str, base: dict) -> Iterator[tuple[str, object]]:
    """(what is wrong, the body): whole-body faults, then one bad field at a time."""
    schema = _body_schema(spec, method, path)
    yield "unknown field", {**base, "is_admin": True}
    yield "a list, not an object", [base]
    yield "a string, not an object", SCRIPT
    for name in schema.get("required", []):
        yield f"missing {name}", {k: v for k, v in base.items() if k != name}
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("readOnly"):
            for what, value in _bad_values(name, prop):
                yield f"{name}: {what}", {**base, name: value}


def _operations_at_collection() -> list[tuple[str, str]]:
    from service import create_app

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return _write_operations(_spec(app.test_client()))


def _bearer(world) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.a.first.tokens['rw'][1]}"}


def _writer_for(world, path: str) -> dict[str, str]:
    """The association's writing token, or for establishment a writing token of its province."""
    if not path.startswith(FEDERATION_PATHS):
        return _bearer(world)
    with system_scope("test: a writing federation token"):
        federation = db.session.get(Federation, world.a.federation.id)
        _token, plaintext = factories.make_token(
            TokenLevel.FEDERATION, federation=federation, read_only=False
        )
        db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


# --- the API --------------------------------------------------------------------------


def test_every_write_operation_has_a_valid_body_here(client, db_session):
    assert set(_write_operations(_spec(client))) == set(VALID_BODIES)


@pytest.mark.parametrize(("method", "path"), sorted(VALID_BODIES))
def test_the_valid_body_is_accepted(world, client, method, path):
    """So that each refusal below is for the one hostile value."""
    _prepare_report(world, path)
    url = _own_url(world, path)
    response = client.open(
        url, method=method, json=_valid_body(world, method, path), headers=_writer_for(world, path)
    )
    assert response.status_code in (200, 201, 202), response.json  # 202: an import job


@pytest.mark.parametrize(("method", "path"), _operations_at_collection())
def test_hostile_input_is_refused_and_changes_nothing(world, client, method, path):
    _prepare_report(world, path)
    url, tried, accepted = _own_url(world, path), 0, []
    headers = _writer_for(world, path)
    before = row_counts()
    base = _valid_body(world, method, path)
    for what, body in _hostile_bodies(_spec(client), method, path, base):
        response = client.open(url, method=method, json=body, headers=headers)
        refused = 400 <= response.status_code < 500 and response.is_json
        if not (refused and (response.json.get("errors") or response.json.get("message"))):
            accepted.append((what, response.status_code))
        tried += 1
    assert accepted == []
    assert row_counts() == before
    assert tried >= 5


def test_a_body_that_is_not_json_is_refused(world, client):
    before = row_counts()
    response = client.post(
        "/api/v1/members/",
        data="name=李四&phone=13800138000",
        content_type="application/x-www-form-urlencoded",
        headers=_bearer(world),
    )
    assert response.status_code == 422
    assert row_counts() == before


def test_a_body_above_the_size_limit_is_413_with_a_message(app, world, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    before = row_counts()
    response = client.post("/api/v1/members/", json={"name": "李" * 10_000}, headers=_bearer(world))
    assert response.status_code == 413
    assert response.is_json and response.json["message"]
    assert row_counts() == before


def test_script_and_sql_are_stored_as_text_and_shown_escaped(world, client):
    headers = _bearer(world)
    name = f"{SCRIPT}{SQL}"[:50]
    created = client.post(
        "/api/v1/members/",
        json={"name": name, "department": SQL, "phone": "13800138001", "title": "senior"},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    member = client.get(f"/api/v1/members/{created.json['id']}", headers=headers).json
    assert member["name"] == name and member["department"] == SQL
    assert client.get("/api/v1/members/", headers=headers).status_code == 200  # table intact

    web = client.application.test_client()
    web.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    for url in ("/members/", f"/members/{created.json['id']}"):
        page = web.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(" in page, url
        assert "<script>alert(" not in page, url


def test_exports_neutralise_script_and_formulas(world, client):
    headers = _bearer(world)
    for name, phone in ((SCRIPT, "13800138002"), ('=HYPERLINK("http://x")', "13800138003")):
        response = client.post(
            "/api/v1/members/",
            json={"name": name, "phone": phone, "title": "senior"},
            headers=headers,
        )
        assert response.status_code == 201, response.json
    web = client.application.test_client()
    web.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    export = web.get("/members/export.csv")
    assert export.status_code == 200
    assert "text/csv" in export.content_type
    cells = [cell for row in csv.reader(io.StringIO(export.get_data(as_text=True))) for cell in row]
    assert SCRIPT in cells  # plain text in a CSV file: no browser renders it
    assert not any(cell.startswith("=") for cell in cells)
    assert '\'=HYPERLINK("http://x")' in cells


def test_a_duplicate_submission_is_refused(world, client):
    headers = _bearer(world)
    body = {"name": "赵六", "phone": "13800138004", "title": "senior"}
    assert client.post("/api/v1/members/", json=body, headers=headers).status_code == 201
    before = row_counts()
    again = client.post("/api/v1/members/", json=body, headers=headers)
    assert again.status_code in (409, 422), again.json
    assert again.json.get("message") or again.json.get("errors")
    assert row_counts() == before


# --- web forms ------------------------------------------------------------------------

FIELD = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"[^>]*>', re.IGNORECASE)
HIDDEN = re.compile(r'type="(?:hidden|submit|file|checkbox|radio)"', re.IGNORECASE)


def _form_pages(app, world) -> list[tuple[str, Role | None]]:
    """Every web route taking POST that also shows its form on GET, with own ids."""
    tenant = world.a.first
    ids = {
        "association_id": tenant.association.id,
        "member_id": tenant.members[0].id,
        "group_id": tenant.groups[0].id,
        "member_application_id": tenant.applications[0].id,
        "application_id": world.a.application[0],
        **tenant.governance,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not {"GET", "POST"} <= rule.methods:
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        urls.append(rule.build({name: ids[name] for name in rule.arguments})[1])
    return sorted(urls)


SIGNERS = (Role.ASSOCIATION_ADMIN, Role.FEDERATION_OFFICER, Role.MEMBER, None)


def _client_showing_form(app, world, url):
    """A client (signed in as whoever may see it) and the page with the form."""
    for role in SIGNERS:
        client = app.test_client()
        if role is Role.FEDERATION_OFFICER:
            client.login_as(world.a.users[role])
        elif role is not None:
            client.login_as(world.a.first.users[role])
        page = client.get(url)
        if page.status_code == 200 and "<form" in page.get_data(as_text=True):
            return client, page.get_data(as_text=True)
    return None, None


@pytest.mark.parametrize(
    "value",
    ["a\x00b", f"abc{RTL_OVERRIDE}txt.exe", "长" * 20_001],
    ids=["NUL", "RTL override", "over-long"],
)
def test_every_form_refuses_hostile_text_in_every_field(app, world, value):
    urls = _form_pages(app, world)
    assert "/members/new" in urls and "/login" in urls
    tried = 0
    for url in urls:
        client, page = _client_showing_form(app, world, url)
        if client is None:
            continue
        names = {
            m.group(1)
            for m in FIELD.finditer(page)
            if not HIDDEN.search(m.group(0)) and m.group(1) != "csrf_token"
        }
        before = row_counts()
        for name in sorted(names):
            response = client.post(url, data={name: value})
            assert response.status_code in (400, 401, 413, 429), (url, name, response.status_code)
            tried += 1
        assert row_counts() == before, url
    assert tried > 30


def test_a_form_post_above_the_size_limit_is_413_with_a_message(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    client = app.test_client()
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    before = row_counts()
    response = client.post("/members/new", data={"name": "李" * 10_000})
    assert response.status_code == 413
    assert "过大" in response.get_data(as_text=True)
    assert row_counts() == before


# --- import files ---------------------------------------------------------------------

CSV_OK = "姓名,手机,职称\r\n钱七,13800138005,中级\r\n".encode()


def _xlsx(*rows: list) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_OK = _xlsx(["姓名", "手机", "职称"], ["钱七", "13800138005", "中级"])
HUGE_CELL = "长" * 300_000
HOSTILE_FILES = {
    "wrong extension": ("members.exe", CSV_OK),
    "no extension": ("members", CSV_OK),
    "wrong magic number": ("members.xlsx", CSV_OK),
    "binary as CSV": ("members.csv", b"\x00\x01PK\x03\x04" + bytes(range(256)) * 8),
    "path traversal": ("../../../../etc/cron.d/members.exe", CSV_OK),
    "script in the name": (f"{SCRIPT}.exe", CSV_OK),
    # A cell past the csv module's own limit, and one past the column's.
    "huge cell (CSV)": (
        "members.csv",
        f"姓名,手机,院系\r\n钱七,13800138005,{HUGE_CELL}\r\n".encode(),
    ),
    "long cell (CSV)": (
        "members.csv",
        f"姓名,手机,院系\r\n钱七,13800138005,{'长' * 5000}\r\n".encode(),
    ),
    # openpyxl writes at most Excel's 32,767 characters to a cell: huge all the same.
    "huge cell (XLSX)": (
        "members.xlsx",
        _xlsx(["姓名", "手机", "院系"], ["钱七", "13800138005", HUGE_CELL]),
    ),
    "huge header (CSV)": ("members.csv", f"姓名,{HUGE_CELL}\r\n钱七,x\r\n".encode()),
    "huge line (CSV)": (
        "members.csv",
        ("姓名,手机\r\n钱七,13800138005," + "x," * 150_000).encode(),
    ),
    "huge line (XLSX)": (
        "members.xlsx",
        _xlsx(["姓名", "手机"], ["钱七", "13800138005", *["x"] * 16_000]),
    ),
    "binary junk (CSV)": ("members.csv", bytes((i * 7919) % 251 + 1 for i in range(100_000))),
    "binary junk (XLSX)": (
        "members.xlsx",
        b"PK\x03\x04" + bytes((i * 7919) % 256 for i in range(100_000)),
    ),
    "truncated CSV": ("members.csv", '姓名,手机,所属学会\r\n钱七,13800138005,"中国计算机'.encode()),
    "truncated XLSX": ("members.xlsx", XLSX_OK[: len(XLSX_OK) // 2]),
    "truncated UTF-8 (CSV)": ("members.csv", CSV_OK[:-4]),
}
CHINESE = re.compile("[\u4e00-\u9fff]")


def test_the_well_formed_files_import():
    """So that each hostile file below is refused for what was done to it."""
    from service.members.tabular import Limits, read_rows

    limits = Limits(max_bytes=5 * 2**20, max_rows=100)
    for name, content in (("members.csv", CSV_OK), ("members.xlsx", XLSX_OK)):
        assert read_rows(name, content, limits) == [
            (2, {"name": "钱七", "phone": "13800138005", "title": "中级"})
        ]


def _audited_since(count: int) -> set[str]:
    """What the audit events after the first `count` are about."""
    import sqlalchemy as sa

    from service.audit.models import AuditEvent

    with system_scope("test: read the audit log"):
        query = sa.select(AuditEvent.entity).order_by(AuditEvent.id).offset(count)
        return set(db.session.scalars(query))


@pytest.mark.parametrize("what", sorted(HOSTILE_FILES))
def test_a_hostile_import_file_imports_nothing_and_says_why(world, client, what):
    """The upload itself is recorded (so the clerk sees why it failed); nothing else is."""
    from tests.service.test_members import last_import, upload

    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    filename, content = HOSTILE_FILES[what]
    before = row_counts()
    upload(client, filename, content)
    result = last_import(tenant)
    # Refused whole, or (a cell too long) held for review with the row's problem: either
    # way nothing is imported.
    assert result.status in ("failed", "review")
    assert result.errors and CHINESE.search(result.errors[0]["message"]), result.errors
    after = row_counts()
    assert after.pop("member_import") == before.pop("member_import") + 1
    assert after.pop("import_sheet") == before.pop("import_sheet") + 1  # how it is read
    assert _audited_since(before.pop("audit_event")) <= {"member_import", "import_sheet"}
    after.pop("audit_event")
    assert after == before
    page = client.get(f"/members/imports/{result.id}").get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "正在检查" not in page and 'http-equiv="refresh"' not in page  # no endless wait
    assert str(escape(result.errors[0]["message"])) in page


# Bulk provisioning: a spreadsheet of associations, checked whole before anything is made.
PROVISION_HEADER = ["省份代码", "高校名称", "高校类型", "联系人", "批准日期", "批准文号"]


def _provision_files(code: str) -> dict[str, bytes]:
    ok = [code, "湖州学院", "applied", "马丽", "2024-05-30", "浙科协函〔2024〕5号"]
    sheet = _xlsx(PROVISION_HEADER, ok)
    return {
        "huge cell": _xlsx(PROVISION_HEADER, [code, HUGE_CELL, *ok[2:]]),
        "long university name": _xlsx(PROVISION_HEADER, [code, "长" * 195, *ok[2:]]),
        "long contact": _xlsx(PROVISION_HEADER, [*ok[:3], "长" * 51, *ok[4:]]),
        "long document number": _xlsx(PROVISION_HEADER, [*ok[:5], "长" * 51]),
        "direction override": _xlsx(PROVISION_HEADER, [*ok[:3], f"马{RTL_OVERRIDE}丽", *ok[4:]]),
        "huge line": _xlsx(PROVISION_HEADER, [*ok, *["x"] * 16_000]),
        "binary junk": b"PK\x03\x04" + bytes((i * 7919) % 256 for i in range(100_000)),
        "truncated": sheet[: len(sheet) // 2],
    }


def test_the_well_formed_provisioning_sheet_is_accepted(world, client):
    from tests.service.test_provisioning import _upload

    code = world.a.federation.code
    ok = [code, "湖州学院", "applied", "马丽", "2024-05-30", "浙科协函〔2024〕5号"]
    response = _upload(client, world, io.BytesIO(_xlsx(PROVISION_HEADER, ok)))
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]


PROVISIONING_REASONS = {
    "huge cell": "高校名称：最多 194 个字符",
    "long university name": "高校名称：最多 194 个字符",
    "long contact": "联系人：最多 50 个字符",
    "long document number": "批准文号：最多 50 个字符",
    "direction override": "联系人：请删除其中的控制字符或无效字符",
    "huge line": "该值所在的列没有列名，请移到有列名的列下",
    "binary junk": "文件不是 Excel 工作簿",
    "truncated": "文件不是 Excel 工作簿",
}


@pytest.mark.parametrize("what", sorted(PROVISIONING_REASONS))
def test_a_hostile_provisioning_sheet_creates_nothing_and_says_why(world, client, what):
    from tests.service.test_provisioning import _upload

    content = _provision_files(world.a.federation.code)[what]
    before = row_counts()
    response = _upload(client, world, io.BytesIO(content))
    assert response.status_code == 400
    assert PROVISIONING_REASONS[what] in response.get_data(as_text=True)
    assert row_counts() == before


# --- absurd nesting and broken characters ---------------------------------------------

NESTED_LIST = "[" * 100_000 + "]" * 100_000
NESTED_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
NESTED_TOO_DEEP = "嵌套层级过深"
BROKEN_CHARACTER = "无效字符"
# A lone surrogate as a forged form sends it: bytes that are not UTF-8.
NOT_UTF8 = b"\xed\xa0\x80x"


def test_a_body_nested_100000_deep_is_refused_on_every_write_operation(world, client):
    operations = _write_operations(_spec(client))
    writers = {path: _writer_for(world, path) for _method, path in operations}
    before = row_counts()
    for method, path in operations:
        for body in (NESTED_LIST, NESTED_OBJECT):
            response = client.open(
                _own_url(world, path),
                method=method,
                data=body,
                content_type="application/json",
                headers=writers[path],
            )
            assert response.status_code == 400, (method, path, response.status_code)
            assert NESTED_TOO_DEEP in response.json["message"], (method, path)
    assert row_counts() == before
    assert len(operations) == len(VALID_BODIES)


def _string_properties(spec, method: str, path: str) -> list[str]:
    schema = _body_schema(spec, method, path)
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if prop.get("type") == "string" and not prop.get("readOnly")
    ]


def test_a_lone_surrogate_is_refused_in_every_string_field_of_every_write(world, client):
    spec, tried = _spec(client), 0
    writers = {path: _writer_for(world, path) for _method, path in _write_operations(spec)}
    before = row_counts()
    for method, path in _write_operations(spec):
        base = _valid_body(world, method, path)
        for name in _string_properties(spec, method, path):
            response = client.open(
                _own_url(world, path),
                method=method,
                json={**base, name: LONE_SURROGATE},
                headers=writers[path],
            )
            assert response.status_code == 400, (method, path, name, response.status_code)
            assert BROKEN_CHARACTER in response.json["message"], (method, path, name)
            tried += 1
    assert row_counts() == before
    assert tried > 50


def test_a_lone_surrogate_in_a_key_is_refused(world, client):
    member = world.a.first.members[0]
    before = row_counts()
    response = client.patch(
        f"/api/v1/members/{member.id}", json={LONE_SURROGATE: "x"}, headers=_bearer(world)
    )
    assert response.status_code == 400
    assert BROKEN_CHARACTER in response.json["message"]
    assert row_counts() == before


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A form body as a browser sends it for forms with files, built by hand: the test
    client would refuse to encode bytes that are not UTF-8."""
    boundary = "hostile-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_every_form_refuses_bytes_that_are_not_utf8_in_every_field(app, world):
    """In a multipart body they decode to U+FFFD, refused with a message; in a urlencoded
    body Werkzeug drops the whole form, CSRF token included, so that post is refused too."""
    tried = 0
    for url in _form_pages(app, world):
        client, page = _client_showing_form(app, world, url)
        if client is None:
            continue
        names = {
            m.group(1)
            for m in FIELD.finditer(page)
            if not HIDDEN.search(m.group(0)) and m.group(1) != "csrf_token"
        }
        token = client.csrf_token()
        before = row_counts()
        for name in sorted(names):
            body, content_type = _multipart({"csrf_token": token.encode(), name: NOT_UTF8})
            response = client.post(url, data=body, content_type=content_type)
            assert response.status_code == 400, (url, name, response.status_code)
            assert BROKEN_CHARACTER in response.get_data(as_text=True), (url, name)
            urlencoded = client.post(
                url,
                data=f"csrf_token={token}&".encode() + name.encode() + b"=" + NOT_UTF8,
                content_type="application/x-www-form-urlencoded",
            )
            assert urlencoded.status_code == 400, (url, name, urlencoded.status_code)
            tried += 1
        assert row_counts() == before, url
    assert tried > 30


# --- integers out of range: query, path and body ---------------------------------------


def _operations(spec) -> Iterator[tuple[str, str, dict]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def _parameters(spec, path: str, operation, where: str) -> list[dict]:
    """The operation's parameters in `where`, those declared for its whole path included."""
    declared = spec["paths"][path].get("parameters", []) + operation.get("parameters", [])
    return [p for p in declared if p["in"] == where]


def _bounded(schema: dict, largest: int) -> bool:
    return (
        "minimum" in schema and schema["minimum"] >= 0 and schema.get("maximum", 2**64) <= largest
    )


def test_every_integer_a_request_takes_is_bounded_in_the_document(client, db_session):
    """What the checks below enforce, stated where clients read it; on SQLite, where an
    out-of-range integer does not fail, this is what catches an unbounded new field."""
    spec, unbounded = _spec(client), []
    for method, path, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if schema.get("type") != "integer":
                continue
            if parameter["name"] == "page":  # past the last row is an empty page (below)
                assert schema.get("minimum") == 1
                continue
            if not _bounded(schema, ID_MAX):
                unbounded.append((method, path, parameter["name"]))
    for method, path in _write_operations(spec):
        for name, prop in _body_schema(spec, method, path).get("properties", {}).items():
            integer = prop.get("type") == "integer" and not prop.get("readOnly")
            if integer and not _bounded(prop, 2**63 - 1):  # a BIGINT amount may pass ID_MAX
                unbounded.append((method, path, name))
    assert unbounded == []


def _readers(world) -> list[dict[str, str]]:
    """A token of every level: each GET operation is tried with the first that may read it."""
    return [
        _bearer(world),
        {"Authorization": f"Bearer {world.a.tokens['ro'][1]}"},
        {"Authorization": f"Bearer {world.national_a[1]}"},
    ]


def _reader_url(world, path: str) -> tuple[str, dict] | None:
    ids = {**_own_ids(world), "federation_id": world.a.federation.id}
    if not set(PATH_PARAM.findall(path)) <= set(ids):
        return None
    return PATH_PARAM.sub(lambda m: str(ids[m.group(1)]), path), ids


def test_integer_query_parameters_out_of_range_are_422_or_an_empty_page(world, client):
    spec, tried = _spec(client), set()
    for method, path, operation in _operations(spec):
        query = _parameters(spec, path, operation, "query")
        integers = [p["name"] for p in query if p["schema"].get("type") == "integer"]
        filled = _reader_url(world, path)
        if method != "GET" or not integers or filled is None:
            continue
        # Each required parameter at its smallest value, so the one under test is to blame.
        required = {p["name"]: p["schema"].get("minimum", 1) for p in query if p.get("required")}
        url = filled[0]
        headers = next(
            (
                h
                for h in _readers(world)
                if client.get(url, query_string=required, headers=h).status_code == 200
            ),
            None,
        )
        assert headers is not None, path
        for name in integers:
            for what, value in OUT_OF_RANGE.items():
                args = {**required, name: value}
                response = client.get(url, query_string=args, headers=headers)
                if name == "page" and value > 0:  # SECURITY.md: an empty page
                    assert response.status_code == 200, (path, name, what)
                    assert response.json == [], (path, name, what)
                    continue
                assert response.status_code == 422, (path, name, what, response.status_code)
                assert response.json["message"] and name in str(response.json["errors"])
            tried.add((path, name))
    assert ("/api/v1/activities/", "association_id") in tried
    assert len(tried) > 40


def test_an_activity_filter_by_an_organiser_past_the_largest_id_is_422(world, client):
    response = client.get(
        "/api/v1/activities/?organiser=9999999999999999999", headers=_bearer(world)
    )
    assert response.status_code == 422 and "organiser" in str(response.json["errors"])
    web = client.application.test_client()
    web.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert (
        web.get("/activities/?organiser=9999999999999999999").status_code == 200
    )  # filter ignored


def test_ids_out_of_range_in_api_paths_are_404(world, client):
    spec, tried = _spec(client), 0
    for method, path, operation in _operations(spec):
        for parameter in _parameters(spec, path, operation, "path"):
            if parameter["schema"].get("type") != "integer":
                continue
            for what, value in OUT_OF_RANGE.items():
                ids = {
                    name: value if name == parameter["name"] else 1
                    for name in PATH_PARAM.findall(path)
                }
                url = PATH_PARAM.sub(lambda m, ids=ids: str(ids.get(m.group(1), "x")), path)
                response = client.open(url, method=method, json={}, headers=_bearer(world))
                assert response.status_code == 404, (method, url, what)
                assert response.is_json and response.json["message"]
                tried += 1
    assert tried > 150


def _web_rules_with_ids(app) -> list:
    from service.rest import IdConverter

    return [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/")
        and any(isinstance(c, IdConverter) for c in rule._converters.values())
    ]


def test_ids_out_of_range_in_web_urls_are_404(app, world):
    from service.rest import IdConverter

    client = app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    tried = 0
    for rule in _web_rules_with_ids(app):
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for name, converter in rule._converters.items():
            if not isinstance(converter, IdConverter):
                continue
            for what, value in OUT_OF_RANGE.items():
                values = {n: value if n == name else 1 for n in rule.arguments}
                url = rule.rule
                for n, v in values.items():
                    url = re.sub(rf"<[^>]*\b{n}>", str(v), url)
                response = client.open(url, method=method)
                # 405 where the same path, read as text, is another page's (which has no
                # such method): no page, either way, and no query ever ran.
                assert response.status_code in (404, 405), (url, what, response.status_code)
                assert 'class="error-page"' in response.get_data(as_text=True)
                tried += 1
    assert tried > 100


def _web_lists(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/api/")
    )


def test_a_page_past_any_row_is_an_empty_page_on_every_web_page(app, world):
    signed_in = []
    for user in (
        world.a.first.users[Role.ASSOCIATION_ADMIN],
        world.a.users[Role.FEDERATION_OFFICER],
        world.operator,
        world.a.first.users[Role.MEMBER],
    ):
        signed_in.append(app.test_client().login_as(user))
    covered = set()
    for url in _web_lists(app):
        client = next((c for c in signed_in if c.get(url).status_code == 200), None)
        if client is None:
            continue
        for what, value in OUT_OF_RANGE.items():
            response = client.get(f"{url}?page={value}")
            assert response.status_code == 200, (url, what, response.status_code)
        covered.add(url)
    assert {"/members/", "/activities/", "/suggestions/", "/audit/", "/associations/"} <= covered
    # Empty indeed: the first page shows a member, the 10^30th shows none.
    admin = signed_in[0]
    name = world.a.first.members[0].name
    assert name in admin.get("/members/").get_data(as_text=True)
    assert name not in admin.get(f"/members/?page={10**30}").get_data(as_text=True)


NUMBER = re.compile(r'<input\b[^>]*\btype="number"[^>]*>', re.IGNORECASE)
NAME = re.compile(r'\bname="([^"]+)"')


def test_every_form_refuses_numbers_out_of_range(app, world):
    tried = 0
    for url in _form_pages(app, world):
        client, page = _client_showing_form(app, world, url)
        if client is None:
            continue
        before = row_counts()
        for field in NUMBER.findall(page):
            name = NAME.search(field).group(1)
            for what, value in OUT_OF_RANGE.items():
                response = client.post(url, data={name: str(value)})
                assert response.status_code == 400, (url, name, what, response.status_code)
                tried += 1
        assert row_counts() == before, url
    assert tried > 20


def test_the_province_thresholds_refuse_numbers_out_of_range(app, world):
    from service.governance import compliance

    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    with use_scope(Scope.federation(world.a.federation.id)):  # the province's own rules
        in_force = compliance.thresholds_for(world.a.federation.id)
    valid = {key: str(getattr(in_force, key)) for key in compliance.THRESHOLD_KEYS}
    before = row_counts()
    for key in compliance.THRESHOLD_KEYS:
        for what, value in OUT_OF_RANGE.items():
            response = officer.post("/governance/rules/thresholds", data={**valid, key: value})
            assert response.status_code == 400, (key, what)
            page = response.get_data(as_text=True)
            assert f"请输入 0 到 {ID_MAX} 之间的整数" in page, (key, what)
    assert row_counts() == before
