"""The staff number (工号) on individual members: entered in the form and the API, unique
within the association where given, exported (masked where contacts are), erased with the
rest of a member's personal data, and the first key an import matches a member by."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from service.auth.roles import Role
from service.members import services
from service.members.models import Member
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import run_queued_jobs
from tests.service import rosters
from tests.service.test_members import last_import, members_of, upload


def _bearer(pair):
    return {"Authorization": f"Bearer {pair[1]}"}


def _set_staff_number(tenant, member_id: int, number: str) -> None:
    with use_scope(Scope.association(tenant.association.id)):
        db.session.get(Member, member_id).staff_number = number
        db.session.commit()


def _form(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": token.group(1)} if token else {}


def test_the_form_takes_a_staff_number_and_refuses_one_in_use(world, client):
    tenant = world.a.first
    _set_staff_number(tenant, tenant.members[1].id, "S1001")
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    data = {"name": "林立", "staff_number": "S2002", "phone": "13911112222", "title": "senior"}
    response = client.post("/members/new", data={**_form(client, "/members/new"), **data})
    assert response.status_code == 302
    created = next(m for m in members_of(tenant) if m.name == "林立")
    assert created.staff_number == "S2002"
    assert "S2002" in client.get(f"/members/{created.id}").get_data(as_text=True)
    again = {**data, "name": "林二", "phone": "13911113333", "staff_number": "S1001"}
    response = client.post("/members/new", data={**_form(client, "/members/new"), **again})
    assert response.headers["Location"].endswith(f"/members/{tenant.members[1].id}")
    assert "林二" not in {m.name for m in members_of(tenant)}


def test_the_api_reads_and_writes_it_masked_for_readers(world, client):
    tenant = world.a.first
    headers = _bearer(tenant.tokens["rw"])
    body = {"name": "陈晨", "staff_number": "20010123", "phone": "13922223333", "title": "senior"}
    created = client.post("/api/v1/members/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["staff_number"] == "20010123"
    duplicate = {**body, "name": "陈二", "phone": "13922224444"}
    refused = client.post("/api/v1/members/", json=duplicate, headers=headers)
    assert refused.status_code == 422
    assert "工号" in refused.json["message"] or "staff number" in refused.json["message"]
    read = client.get(f"/api/v1/members/{created.json['id']}", headers=_bearer(tenant.tokens["ro"]))
    assert read.json["staff_number"] == "******23"
    too_long = client.post(
        "/api/v1/members/", json={**body, "staff_number": "9" * 31}, headers=headers
    )
    assert too_long.status_code == 422


def test_the_export_has_it_and_masks_it_with_the_contacts(world, client):
    tenant = world.a.first
    _set_staff_number(tenant, tenant.members[1].id, "20010123")
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    rows = list(
        load_workbook(io.BytesIO(client.get("/members/export.xlsx").data)).active.iter_rows(
            values_only=True
        )
    )
    column = rows[0].index("工号")
    assert "20010123" in [r[column] for r in rows[1:]]
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    masked = client.get("/members/export.csv").data.decode("utf-8-sig")
    assert "20010123" not in masked and "******23" in masked


def test_erasure_clears_it(world, client):
    tenant = world.a.first
    me = tenant.members[0]  # the member's own record
    _set_staff_number(tenant, me.id, "20010999")
    client.login_as(tenant.users[Role.MEMBER])
    own = client.get("/me/").get_data(as_text=True)
    assert "20010999" in own and "人事信息" in own  # shown to the member, with its purpose
    confirmed = {"confirmed": "yes", "confirmation_word": "删除"}
    assert client.post("/me/erase", data={**_form(client, "/me/"), **confirmed}).status_code == 302
    erased = next(m for m in members_of(tenant) if m.id == me.id)
    assert erased.staff_number is None and erased.erased_at is not None


def test_the_database_keeps_it_unique_per_association_where_given(world):
    first, second = world.a.first, world.a.second
    with use_scope(Scope.association(second.association.id)):
        db.session.get(Member, second.members[0].id).staff_number = "S1"
        db.session.commit()
    with use_scope(Scope.association(first.association.id)):
        db.session.get(Member, first.members[0].id).staff_number = "S1"  # another association
        db.session.commit()
        assert services.find_staff_number("S1").id == first.members[0].id
        db.session.get(Member, first.members[1].id).staff_number = "S1"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Member).where(Member.staff_number.is_(None))
        )
        assert count >= 1  # many members without one


def test_an_import_row_is_the_member_with_its_staff_number_first(world, client):
    tenant = world.a.first
    known, other = tenant.members
    _set_staff_number(tenant, known.id, "T100")
    _set_staff_number(tenant, other.id, "T999")
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    content = rosters.csv_of(
        ["职工号", "姓名", "手机号码", "职称"],
        [
            ["T100", known.name, "13933334444", "教授"],  # a new phone: still the same member
            ["T200", "新人", "13933335555", "讲师"],
            ["T300", "错配", other.phone, "讲师"],  # the phone of a member with another number
        ],
    )
    upload(client, "工号.csv", content)
    result = last_import(tenant)
    assert result.status == "review"
    assert [(e["row"], e["column"]) for e in result.errors] == [(4, "职工号")], result.errors
    page = client.get(f"/members/imports/{result.id}").get_data(as_text=True)
    assert "13933334444" in page and "→" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"mode": "valid", "on_match": "update", "action": "commit"}
    if token:
        data["csrf_token"] = token.group(1)
    client.post(f"/members/imports/{result.id}/review", data=data)
    run_queued_jobs()
    assert last_import(tenant).status == "done"
    members = {m.id: m for m in members_of(tenant)}
    assert members[known.id].phone == "13933334444" and members[known.id].title == "senior"
    assert next(m for m in members.values() if m.name == "新人").staff_number == "T200"
    assert "错配" not in {m.name for m in members.values()}
    assert members[other.id].staff_number == "T999"

    # A duplicate staff number within the file is a problem of the second row.
    upload(
        client,
        "dup.csv",
        rosters.csv_of(
            ["工号", "姓名", "手机", "职称"],
            [["T900", "甲", "13944440001", "讲师"], ["T900", "乙", "13944440002", "讲师"]],
        ),
    )
    errors = last_import(tenant).errors
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [(3, "工号", "T900")]
