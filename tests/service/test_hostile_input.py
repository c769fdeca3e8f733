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

from service.auth.models import TokenLevel
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import system_scope
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
}
# Establishment is decided by a provincial federation's token, not an association's.
FEDERATION_PATHS = "/api/v1/establishment/"

SCRIPT = "<script>alert('x')</script>"
SQL = "'; DROP TABLE member; --"
FULL_WIDTH_PHONE = "１３８００１３８０００"
EMOJI = "📞"
RTL_OVERRIDE = "\u202e"


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


def _own_url(world, path: str) -> str:
    """The operation's URL with the ids of the caller's own association."""
    ids = _own_ids(world)
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
        yield "huge", 10**30
        yield "emoji", EMOJI
    if kind == "boolean":
        yield "not a boolean", "perhaps"


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
        federation = db.session.get(factories.Federation, world.a.federation.id)
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
    url = _own_url(world, path)
    response = client.open(
        url, method=method, json=_valid_body(world, method, path), headers=_writer_for(world, path)
    )
    assert response.status_code in (200, 201), response.json


@pytest.mark.parametrize(("method", "path"), _operations_at_collection())
def test_hostile_input_is_refused_and_changes_nothing(world, client, method, path):
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
HOSTILE_FILES = {
    "wrong extension": ("members.exe", CSV_OK),
    "no extension": ("members", CSV_OK),
    "wrong magic number": ("members.xlsx", CSV_OK),
    "binary as CSV": ("members.csv", b"\x00\x01PK\x03\x04" + bytes(range(256)) * 8),
    "path traversal": ("../../../../etc/cron.d/members.exe", CSV_OK),
    "script in the name": (f"{SCRIPT}.exe", CSV_OK),
}


@pytest.mark.parametrize("what", sorted(HOSTILE_FILES))
def test_a_hostile_import_file_imports_nothing_and_says_why(world, client, what):
    """The upload itself is recorded (so the clerk sees why it failed); no member is."""
    from tests.service.test_members import last_import, upload

    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    filename, content = HOSTILE_FILES[what]
    members = row_counts()["member"]
    upload(client, filename, content)
    result = last_import(tenant)
    assert result.status == "failed"
    assert result.errors and result.errors[0]["message"]
    assert row_counts()["member"] == members
    page = client.get(f"/members/imports/{result.id}").get_data(as_text=True)
    assert "<script>alert(" not in page
