"""Activities of past years (活动台账) imported on the same engine and review page: the
association's own record gets in from the raw file, every row is checked by the activity
form's rules with exactly the bad rows listed, the rows are written through the activities
service (held, audited, counted), and the export imports back as it is."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from service.activities.models import Activity
from service.audit.models import AuditEvent
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import run_queued_jobs
from tests.factories.members import make_group_member
from tests.service import rosters
from tests.service.test_import_engine import _sheet
from tests.service.test_members import last_import


def upload_activities(client, filename: str, content: bytes):
    response = client.post(
        "/activities/imports",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    return response


def review(client, import_id: int, **fields) -> None:
    page = client.get(f"/activities/imports/{import_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"mode": "all", "on_match": "skip", "action": "commit", **fields}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post(f"/activities/imports/{import_id}/review", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    run_queued_jobs()


def activities_of(tenant) -> dict[str, Activity]:
    with use_scope(Scope.association(tenant.association.id)):
        found = {a.title: a for a in db.session.scalars(sa.select(Activity))}
        db.session.expunge_all()
    return found


def _graduate_group(tenant) -> int:
    with use_scope(Scope.association(tenant.association.id)):
        group = make_group_member(tenant.association, name="研究生科协", kind="graduate")
        db.session.commit()
        return group.id


def test_a_record_of_past_years_gets_in_with_its_bad_rows_listed(world, client):
    tenant = world.a.first
    group_id = _graduate_group(tenant)
    before = activities_of(tenant)
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    assert upload_activities(client, "活动台账.xlsx", rosters.activities_xlsx()).status_code == 302
    result = last_import(tenant)
    assert result.kind == "activities" and result.status == "review"
    found = {(e["row"], e["column"]) for e in result.errors}
    assert found == rosters.ACTIVITY_BAD_ROWS, result.errors
    values = {(e["row"], e["column"]): e["value"] for e in result.errors}
    assert "HYPERLINK" in values[(8, "活动名称")] and values[(11, "活动类型")] == "茶话会"
    assert values[(10, "参加人数")] == "5"
    report = _sheet(tenant, result.id).report
    assert report["header_row"] == 2 and report["footer"][1].startswith("合计")
    assert report["unmapped"] == ["序号", "备注"]
    page = client.get(f"/activities/imports/{result.id}").get_data(as_text=True)
    assert 'id="import-grid"' in page and "新活动" in page
    assert client.get(f"/members/imports/{result.id}").status_code == 404  # not a member file
    assert len(activities_of(tenant)) == len(before)

    review(client, result.id, mode="valid")
    result = last_import(tenant)
    assert result.status == "done" and result.imported_rows == len(rosters.ACTIVITY_GOOD_TITLES)
    found = activities_of(tenant)
    forum = found["2024年校际学术论坛"]
    assert (forum.task, forum.subtype, forum.status) == ("academic", "inter_university", "held")
    assert (forum.starts_on.isoformat(), forum.ends_on.isoformat()) == ("2024-05-10", "2024-05-11")
    assert (forum.participants, forum.speakers, forum.visibility) == (120, 8, "private")
    talk = found["走进实验室科普讲座"]
    assert (talk.task, talk.subtype, talk.events, talk.audience) == (
        "popularisation",
        "talk",
        3,
        300,
    )
    assert talk.starts_on == talk.ends_on and talk.starts_on.isoformat() == "2024-06-01"
    salon = found["跨院系青年学者沙龙"]
    assert (salon.subtype, salon.organiser_group_id, salon.participants) == (
        "cross_department",
        group_id,
        60,
    )
    assert salon.starts_on.isoformat() == "2024-06-28"  # an Excel serial
    assert salon.held_at is not None and salon.created_by

    with use_scope(Scope.association(tenant.association.id)):
        summary = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "import", AuditEvent.entity == "member_import"
            )
        ).one()
        assert summary.changes["rows"] == 3 and summary.changes["rejected"] == 6
        created = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "activity", AuditEvent.entity_id == str(forum.id))
        )
        assert created >= 1  # each activity's own creation is audited too
    rejected = client.get(f"/activities/imports/{result.id}/rejected.xlsx")
    rows = list(load_workbook(io.BytesIO(rejected.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == rosters.ACTIVITY_HEADER and len(rows) == 1 + 6

    # The same file again: nothing new, nothing changed.
    upload_activities(client, "活动台账.xlsx", rosters.activities_xlsx())
    again = last_import(tenant)
    review(client, again.id, mode="valid", on_match="update")
    again = last_import(tenant)
    assert again.status == "done" and again.imported_rows == 0
    assert len(activities_of(tenant)) == len(found)


def test_a_gbk_record_of_another_layout_gets_in_without_edits(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    upload_activities(client, "活动统计.csv", rosters.activities_gbk_csv())
    result = last_import(tenant)
    assert result.status == "review" and not result.errors, result.errors
    mapped = {c["header"]: c["field"] for c in _sheet(tenant, result.id).report["columns"]}
    assert mapped["活动主题"] == "title" and mapped["活动日期"] == "starts_on"
    assert mapped["参与人数"] == "participants" and mapped["活动地点"] == "place"
    review(client, result.id)  # the one confirmation of the suggested mapping
    assert last_import(tenant).status == "done"
    found = activities_of(tenant)
    forum = found["人工智能前沿论坛"]
    assert (forum.task, forum.participants, forum.speakers) == ("academic", 200, 6)
    assert forum.starts_on.isoformat() == "2023-03-15" and forum.place == "图书馆报告厅"
    assert found["校企合作对接会"].subtype == "institute_enterprise"
    camp = found["青年科学营"]
    assert (camp.task, camp.subtype, camp.participants) == (
        "student_practice",
        "youth_science_camp",
        150,
    )


def test_the_export_imports_back_as_it_is_and_a_change_updates_only_when_asked(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    before = activities_of(tenant)
    exported = client.get("/activities/export.xlsx").data
    upload_activities(client, "activities.xlsx", exported)
    result = last_import(tenant)
    assert result.status == "done", result.errors  # the template's headings, nothing to decide
    assert result.imported_rows == 0 and activities_of(tenant).keys() == before.keys()

    book = load_workbook(io.BytesIO(exported))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=header.index("活动名称") + 1).value
    sheet.cell(row=2, column=header.index("地点") + 1).value = "新校区报告厅"
    out = io.BytesIO()
    book.save(out)
    upload_activities(client, "changed.xlsx", out.getvalue())
    result = last_import(tenant)
    assert result.status == "review"
    page = client.get(f"/activities/imports/{result.id}").get_data(as_text=True)
    assert "新校区报告厅" in page and "→" in page
    review(client, result.id, on_match="update")
    assert last_import(tenant).status == "done"
    assert activities_of(tenant)[title].place == "新校区报告厅"


def test_activity_imports_are_the_association_s_own_and_need_the_right(world, client):
    mine, other = world.a.first, world.a.second
    client.login_as(mine.users[Role.ASSOCIATION_STAFF])
    template = client.get("/activities/template.xlsx")
    header = next(load_workbook(io.BytesIO(template.data)).active.iter_rows(values_only=True))
    assert header[:4] == ("主要任务", "活动类型", "活动名称", "开始日期")
    upload_activities(client, "我们的台账.xlsx", template.data)
    own = last_import(mine)
    assert own.status == "done" and own.imported_rows == 1, own.errors
    client.login_as(other.users[Role.ASSOCIATION_ADMIN])
    assert client.get(f"/activities/imports/{own.id}").status_code == 404
    assert "我们的台账" not in client.get("/activities/imports").get_data(as_text=True)
    client.login_as(mine.users[Role.MEMBER])
    assert client.get("/activities/imports").status_code == 403
