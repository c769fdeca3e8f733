"""The import engine on rosters as secretariats keep them: the raw file gets in with one
confirmation of the suggested mapping and no edits, and exactly the truly bad rows are
listed, with their values, in one pass."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from service.auth.roles import Role
from service.imports import normalise
from service.imports.models import ImportMapping, ImportSheet
from service.imports.reading import is_formula
from service.imports.titles import SEEDED, level_of
from service.members.models import Member, ProfessionalTitle
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import run_queued_jobs
from tests.service import rosters
from tests.service.test_members import last_import, members_of, upload


def _sheet(tenant, import_id: int) -> ImportSheet:
    with use_scope(Scope.association(tenant.association.id)):
        sheet = db.session.scalars(
            sa.select(ImportSheet).where(ImportSheet.member_import_id == import_id)
        ).one()
        db.session.expunge(sheet)
    return sheet


def _review(client, import_id: int, **fields) -> None:
    page = client.get(f"/members/imports/{import_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"mode": "all", "on_match": "skip", "action": "commit", **fields}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post(f"/members/imports/{import_id}/review", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    run_queued_jobs()


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (datetime(1978, 5, 1), 1978),
        ("1978.05", 1978),
        (1978.05, 1978),
        ("1978年5月", 1978),
        ("1978-5", 1978),
        ("78.05", 1978),
        (28626, 1978),  # an Excel date read without its format
        ("１９７８．０５", 1978),
        ("1986年", 1986),
        ("1975/06/12", 1975),
        ("197805", 1978),
    ],
)
def test_dates_as_written_become_years(value, year):
    assert normalise.year(value) == year


@pytest.mark.parametrize(
    ("value", "phone"),
    [
        ("+86 139-0001-0002", "13900010002"),
        ("0086 13900010003", "13900010003"),
        ("１３９ ０００１ ０００１", "13900010001"),
        (13900010004, "13900010004"),
        ("(0571) 8888 6666", "057188886666"),
    ],
)
def test_phones_as_written_become_numbers(value, phone):
    assert normalise.phone(value) == phone


def test_a_phone_with_a_plus_is_not_a_formula_and_a_formula_is():
    assert not is_formula("+86 139-0001-0002")
    assert not is_formula("-12.5")
    assert is_formula("=1+1")
    assert is_formula("+cmd|' /C calc'!A0")
    assert is_formula("@SUM(A1)")
    assert is_formula("\t=1+1")


def test_job_titles_of_every_series_have_a_level():
    for word, level in [
        ("教授", ProfessionalTitle.SENIOR),
        ("副教授", ProfessionalTitle.ASSOCIATE_SENIOR),
        ("讲师", ProfessionalTitle.INTERMEDIATE),
        ("助教", ProfessionalTitle.JUNIOR),
        ("研究员", ProfessionalTitle.SENIOR),
        ("高级工程师", ProfessionalTitle.ASSOCIATE_SENIOR),
        ("主治医师", ProfessionalTitle.INTERMEDIATE),
        ("副研究馆员", ProfessionalTitle.ASSOCIATE_SENIOR),
        ("副教授（三级）", ProfessionalTitle.ASSOCIATE_SENIOR),
    ]:
        assert level_of(word, SEEDED) is level, word
    assert level_of("首席科学家", SEEDED) is None


# --- the raw roster ----------------------------------------------------------------------


def test_an_hr_roster_gets_in_with_one_confirmation_and_its_bad_rows_listed(world, client):
    tenant = world.a.first
    before = len(members_of(tenant))
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = upload(client, "个人会员名册.xlsx", rosters.hr_xlsx())
    assert response.status_code == 302
    result = last_import(tenant)
    assert result.status == "review"  # a layout never seen: the mapping is confirmed first
    assert {(e["row"], e["column"]) for e in result.errors} == rosters.HR_BAD_ROWS, result.errors
    values = {e["row"]: e["value"] for e in result.errors}
    assert values[14] == "12345" and values[15] == "wumin@" and "HYPERLINK" in values[12]
    assert "与第 4 行重复" in next(e["message"] for e in result.errors if e["row"] == 13)

    sheet = _sheet(tenant, result.id)
    report = sheet.report
    assert report["header_row"] == 3
    assert report["above"][0] == [1, rosters.HR_TITLE]
    assert report["footer"][0] == 18 and report["footer"][1].startswith("合计")
    assert report["unmapped"] == ["序号", "备注"]
    mapped = {c["header"]: c["field"] for c in report["columns"]}
    assert mapped["出生年月"] == "birth_year" and mapped["所在学院（部门）"] == "department"
    assert mapped["手机号码"] == "phone" and mapped["职称"] == "title"

    page = client.get(f"/members/imports/{result.id}").get_data(as_text=True)
    assert 'id="import-mapping"' in page and 'id="import-grid"' in page
    assert "序号" in page and "合计" in page  # the summary names what was not imported
    grid = page[page.index('id="import-grid"') :]
    assert grid.index("点我") < grid.index("欧阳·娜娜")  # bad rows first
    assert len(members_of(tenant)) == before  # nothing before the confirmation

    # The one confirmation: the suggested mapping as it is, import the valid rows.
    _review(client, result.id, mode="valid")
    result = last_import(tenant)
    assert result.status == "done" and result.imported_rows == len(rosters.GOOD_NAMES)
    with use_scope(Scope.association(tenant.association.id)):
        imported = {
            m.name: m
            for m in db.session.scalars(
                sa.select(Member).where(Member.name.in_(rosters.GOOD_NAMES))
            )
        }
        db.session.expunge_all()
    assert set(imported) == set(rosters.GOOD_NAMES)
    first = imported["欧阳·娜娜"]
    assert (first.phone, first.email, first.birth_year) == (
        "13900010001",
        "ouyang.nn@example.edu.cn",
        1978,
    )
    assert first.title == "senior" and first.in_cast_society
    assert imported["张伟"].phone == "13900010002" and imported["张伟"].birth_year == 1978
    assert imported["陈静"].birth_year == 1978 and imported["陈静"].title == "associate_senior"
    assert imported["刘洋"].title == "junior" and imported["刘洋"].in_cast_society
    assert len(members_of(tenant)) == before + len(rosters.GOOD_NAMES)

    rejected = client.get(f"/members/imports/{result.id}/rejected.xlsx")
    sheet_rows = list(load_workbook(io.BytesIO(rejected.data)).active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == rosters.HR_HEADER  # the file's own layout
    assert len(sheet_rows) == 1 + len(rosters.HR_BAD_ROWS)  # one problem each
    report = client.get(f"/members/imports/{result.id}/errors.csv").data.decode("utf-8-sig")
    assert "wumin@" in report and "12345" in report
    # Once imported, the members' data lives in their records only: the kept report holds
    # the rows left out, no copy of the imported ones.
    kept = _sheet(tenant, result.id).report["rows"]
    assert {r["n"] for r in kept} == {row for row, _column in rosters.HR_BAD_ROWS}
    assert not any("欧阳·娜娜" in r["cells"] for r in kept)

    # The mapping is remembered, and the same file again changes nothing.
    with use_scope(Scope.association(tenant.association.id)):
        saved = dict(db.session.execute(sa.select(ImportMapping.header, ImportMapping.field)).all())
    assert saved["出生年月"] == "birth_year" and saved["序号"] == ""
    upload(client, "个人会员名册.xlsx", rosters.hr_xlsx())
    again = last_import(tenant)
    assert again.status == "review"
    assert {c["how"] for c in _sheet(tenant, again.id).report["columns"]} == {"saved"}
    _review(client, again.id, mode="valid")
    assert last_import(tenant).imported_rows == 0
    assert len(members_of(tenant)) == before + len(rosters.GOOD_NAMES)


def test_a_gbk_csv_of_another_layout_gets_in_with_its_staff_numbers(world, client):
    tenant = world.a.first
    before = len(members_of(tenant))
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    upload(client, "会员信息汇总.csv", rosters.gbk_csv())
    result = last_import(tenant)
    assert result.status == "review"
    assert {(e["row"], e["column"]) for e in result.errors} == rosters.GBK_BAD_ROWS, result.errors
    report = _sheet(tenant, result.id).report
    assert report["header_row"] == 2 and report["unmapped"] == []
    assert {c["header"]: c["field"] for c in report["columns"]}["工号"] == "staff_number"
    assert report["footer"][1].startswith("填表说明")

    # Nothing is imported while a row is bad (the default), then fixed in the page.
    _review(client, result.id)
    assert last_import(tenant).status == "review"
    assert len(members_of(tenant)) == before
    _review(
        client,
        result.id,
        **{"cell-8-6": "13700029005", "exclude": ["9", "10"]},
    )
    result = last_import(tenant)
    assert result.status == "done", result.errors
    names = {m.name for m in members_of(tenant)}
    assert set(rosters.GBK_GOOD_NAMES) | {"小龙女"} <= names
    staff = {m.name: m.staff_number for m in members_of(tenant)}
    assert staff["马·阿里木"] == "T001" and staff["小龙女"] == "T005"
    assert "尹志平" not in names
    assert len(members_of(tenant)) == before + len(rosters.GBK_GOOD_NAMES) + 1


def test_a_changed_member_is_updated_only_when_asked_with_the_diff_shown(world, client):
    tenant = world.a.first
    existing = tenant.members[0]
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    content = rosters.csv_of(
        ["姓名", "手机号码", "职称", "所在学院（部门）"],
        [[existing.name, existing.phone, "教授", "新成立的学院"]],
    )
    upload(client, "更新.csv", content)
    result = last_import(tenant)
    assert result.status == "review" and not result.errors
    page = client.get(f"/members/imports/{result.id}").get_data(as_text=True)
    assert "新成立的学院" in page and "→" in page
    _review(client, result.id, on_match="update")
    assert last_import(tenant).status == "done"
    updated = next(m for m in members_of(tenant) if m.id == existing.id)
    assert updated.department == "新成立的学院" and updated.title == "senior"


def test_an_association_names_its_own_job_title(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    page = client.get("/members/imports/titles").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"word": "首席科学家", "level": "senior"}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post("/members/imports/titles", data=data).status_code == 302
    assert "首席科学家" in client.get("/members/imports/titles").get_data(as_text=True)
    content = rosters.csv_of(["姓名", "手机", "职称"], [["钱学", "13600000001", "首席科学家"]])
    upload(client, "m.csv", content)
    assert last_import(tenant).status == "done"
    assert next(m for m in members_of(tenant) if m.name == "钱学").title == "senior"
    assert "已导入 1 名会员" in client.get("/members/imports").get_data(as_text=True)
    # Another association's table is its own.
    other = world.a.second
    client.login_as(other.users[Role.ASSOCIATION_ADMIN])
    assert "首席科学家</td>" not in client.get("/members/imports/titles").get_data(as_text=True)
