"""The activity pages and API: recording per task, evidence, the calendar, the figures,
the export, nominations and exemplars through the federation, and the public page."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from service.activities.models import Activity, ActivityEvidence, Exemplar, Nomination
from service.audit.models import AuditEvent
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import system_scope
from tests import office_files
from tests.factories.files import PDF_BYTES as PDF

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def bearer(pair) -> dict:
    return {"Authorization": f"Bearer {pair[1]}"}


def rows(model, **where):
    with system_scope("test: read what was written"):
        found = db.session.scalars(sa.select(model).filter_by(**where).order_by(model.id)).all()
        db.session.expunge_all()
    return found


def academic_form(**changes) -> dict:
    return {
        "subtype": "international",
        "title": "2025 国际材料科学研讨会",
        "starts_on": "2025-10-20",
        "ends_on": "2025-10-22",
        "place": "紫金港校区",
        "organiser_group_id": "",
        "co_universities": "清华大学\n上海交通大学",
        "co_enterprises": "某新材料公司",
        "visibility": "public",
        "status": "held",
        "events": "1",
        "participants": "260",
        "speakers": "30",
        "papers": "48",
        "foreign_participants": "35",
        "countries": "美国、德国、新加坡",
        **changes,
    }


def test_staff_record_an_activity_with_its_figures_and_evidence(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    form = client.get("/activities/new/academic").get_data(as_text=True)
    assert "境外参会人数" in form and "受众人次" not in form  # the task's own figures
    assert "受众群体" in client.get("/activities/new/integrity").get_data(as_text=True)

    response = client.post("/activities/new/academic", data=academic_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    (activity,) = rows(Activity, title="2025 国际材料科学研讨会")
    assert activity.status == "held" and activity.countries == ["美国", "德国", "新加坡"]
    assert {"name": "清华大学", "kind": "university"} in activity.co_organisers
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "国际学术交流" in page and "清华大学" in page and "35" in page

    upload = client.post(
        f"/activities/{activity.id}/evidence",
        data={"file": (io.BytesIO(PDF), "签到表.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    (evidence,) = rows(ActivityEvidence, activity_id=activity.id)
    (logged,) = rows(AuditEvent, entity="stored_file", entity_id=str(evidence.file_id))
    assert logged.changes["name"] == "签到表.pdf" and "%PDF" not in str(logged.changes)
    download = client.get(f"/activities/evidence/{evidence.id}")
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    for name, content in (("photo.pdf", PNG), ("run.exe", b"MZ\x90\x00"), ("empty.png", b"")):
        refused = client.post(
            f"/activities/{activity.id}/evidence",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 302
    assert len(rows(ActivityEvidence, activity_id=activity.id)) == 1

    client.post(f"/activities/{activity.id}/advance")  # asks first: 已上报 is final
    assert rows(Activity, id=activity.id)[0].status == "held"
    client.post(f"/activities/{activity.id}/advance", data={"confirmed": "yes"})
    assert rows(Activity, id=activity.id)[0].status == "reported"
    edit = client.post(f"/activities/{activity.id}/edit", data=academic_form(participants="300"))
    assert edit.status_code == 400 and "不能再修改" in edit.get_data(as_text=True)


def test_office_evidence_is_kept_and_only_ever_downloaded(world, client):
    """A sign-in sheet in Excel and a programme in Word are kept; a web page zipped up and
    named .docx is refused with the reason; every download is an attachment."""
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    activity = tenant.activities[0]
    url = f"/activities/{activity.id}/evidence"
    assert "docx" in client.get(f"/activities/{activity.id}").get_data(as_text=True)
    sheet, programme = office_files.xlsx(), office_files.docx()
    for name, data in (("签到表.xlsx", sheet), ("议程.docx", programme)):
        upload = {"file": (io.BytesIO(data), name)}
        answer = client.post(url, data=upload, content_type="multipart/form-data")
        assert answer.status_code == 302
    disguised = office_files.package({"word/document.html": b"<script>alert(1)</script>"})
    refused = client.post(
        url,
        data={"file": (io.BytesIO(disguised), "通知.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "文件内容不是 Word (.docx)" in refused.get_data(as_text=True)
    kept = rows(ActivityEvidence, activity_id=activity.id)
    downloads = [client.get(f"/activities/evidence/{e.id}") for e in kept]
    by_data = {d.data: d for d in downloads}
    assert set(by_data) >= {sheet, programme} and disguised not in by_data
    assert by_data[sheet].mimetype.endswith("spreadsheetml.sheet")
    assert by_data[programme].mimetype.endswith("wordprocessingml.document")
    for download in by_data.values():
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == "sandbox"


def test_the_form_refuses_bad_figures_beside_their_fields(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    for changes, message in (
        ({"participants": "-5"}, "0 或正整数"),
        ({"participants": "12.5"}, ""),
        ({"participants": "10", "speakers": "30", "foreign_participants": "0"}, "不能少于报告人数"),
        ({"ends_on": "2025-10-01"}, "结束日期不能早于开始日期"),
        ({"countries": ""}, "请填写境外参会者来自的国家或地区"),
    ):
        response = client.post("/activities/new/academic", data=academic_form(**changes))
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True)
    assert rows(Activity, title="2025 国际材料科学研讨会") == []


def test_the_federation_lists_shared_activities_and_a_public_calendar(world, app):
    a1 = world.a.first
    shared, private = a1.activities
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    listing = officer.get("/activities/?year=2026").get_data(as_text=True)
    assert shared.title in listing and private.title not in listing
    assert world.b.first.activities[0].title not in listing
    assert officer.get(f"/activities/{private.id}").status_code == 404
    only_a1 = officer.get(f"/activities/?association_id={a1.association.id}").get_data(as_text=True)
    assert world.a.second.activities[0].title not in only_a1

    staff = app.test_client().login_as(a1.users[Role.ASSOCIATION_STAFF])
    staff.post(
        "/activities/new/popularisation",
        data={
            "subtype": "science_week",
            "title": "科技周开放日",
            "starts_on": "2026-05-18",
            "ends_on": "2026-05-19",
            "visibility": "public",
            "status": "held",
            "events": "2",
            "audience": "1500",
            "speakers": "4",
            "volunteers": "20",
            "volunteer_hours": "160",
            "venues_opened": "3",
            "venue_visitors": "900",
        },
    )
    calendar = officer.get("/activities/calendar?month=2026-05").get_data(as_text=True)
    assert "科技周开放日" in calendar and shared.title not in calendar  # public only
    own = staff.get("/activities/calendar?month=2026-05").get_data(as_text=True)
    assert "科技周开放日" in own and shared.title in own and private.title in own
    assert staff.get("/activities/calendar?month=bogus").status_code == 200


def test_filters_by_task_subtype_period_and_organiser(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    group = tenant.groups[0]
    client.post(
        "/activities/new/student_practice",
        data={
            "subtype": "competition",
            "title": "学院挑战杯选拔赛",
            "starts_on": "2025-04-10",
            "ends_on": "2025-04-10",
            "organiser_group_id": str(group.id),
            "visibility": "private",
            "status": "held",
            "events": "1",
            "participants": "80",
            "mentors": "6",
            "projects": "25",
            "secondary_students": "0",
        },
    )
    title = "学院挑战杯选拔赛"

    def listed(query: str) -> bool:
        return title in client.get(f"/activities/?{query}").get_data(as_text=True)

    assert listed("task=student_practice") and not listed("task=academic")
    assert listed("subtype=competition") and not listed("subtype=youth_science_camp")
    assert listed("year=2025") and not listed("year=2026")
    assert listed("from=2025-04-01&to=2025-04-30") and not listed("from=2025-05-01")
    assert listed(f"organiser={group.id}") and not listed("organiser=association")
    assert listed("task=nonsense&year=abc")  # malformed filters are ignored


def test_the_export_has_chinese_headers_and_neutralised_cells(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    client.post(
        "/activities/new/academic",
        data=academic_form(title='=HYPERLINK("http://x","点我")', status="held"),
    )
    response = client.get("/activities/export.xlsx?year=2025")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["主要任务", "活动类型", "活动名称", "开始日期"]
    assert "境外参会人数" in header and "高校科协" not in header
    values = [c.value for c in sheet[2]]
    assert values[0] == "学术交流" and values[1] == "国际学术交流"
    assert values[2].startswith("'=")
    assert values[header.index("境外参会人数")] == 35
    officer = client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    federation = load_workbook(io.BytesIO(officer.get("/activities/export.xlsx").data)).active
    assert federation.cell(1, 1).value == "高校科协"


def test_the_figures_page_for_an_association_and_for_the_federation(world, app):
    staff = app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = staff.get("/activities/figures?year=2026").get_data(as_text=True)
    assert "学术交流活动场次" in page and "收到建议数" in page
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = officer.get("/activities/figures?year=2026&task=academic").get_data(as_text=True)
    assert world.a.first.association.name in page and world.b.first.association.name not in page


def test_outcomes_are_recorded_and_listed(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        "/activities/outcomes/reports/new",
        data={
            "title": "关于建设区域科技创新中心的建议",
            "recipient": "省委办公厅",
            "recipient_level": "provincial",
            "submitted_on": "2026-02-01",
            "adopted": "y",
            "adopted_on": "2026-01-01",
        },
    )
    assert response.status_code == 400 and "采纳日期不能早于报送日期" in response.get_data(
        as_text=True
    )
    client.post(
        "/activities/outcomes/transfers/new",
        data={
            "title": "固态电池专利许可",
            "partner": "某储能公司",
            "mode": "licence",
            "signed_on": "2026-03-01",
            "contracts": "2",
            "value_yuan": "3500000",
        },
    )
    page = client.get("/activities/outcomes").get_data(as_text=True)
    assert "固态电池专利许可" in page and "350.00" in page


def test_exemplars_go_through_the_federation_to_the_public_page(world, app):
    tenant = world.a.first
    admin = app.test_client().login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = admin.post(
        "/talent/exemplars/new",
        data={
            "kind": "team",
            "name": "青年科普讲师团",
            "unit": "物理学院",
            "deeds": "五年来走进 120 所中小学开展科普。",
            "year": "2026",
            "consent_to_publish": "y",
        },
    )
    assert response.status_code == 302
    (exemplar,) = rows(Exemplar, name="青年科普讲师团")
    assert admin.post(f"/talent/exemplars/{exemplar.id}/decision", data={}).status_code == 403
    refused = officer.post(
        f"/talent/exemplars/{exemplar.id}/decision", data={"decision": "decline", "reason": ""}
    )
    assert "理由" in officer.get(refused.headers["Location"]).get_data(as_text=True)
    officer.post(f"/talent/exemplars/{exemplar.id}/decision", data={"decision": "approve"})
    officer.post(f"/talent/exemplars/{exemplar.id}/publish", data={"publish": "1"})
    assert rows(Exemplar, id=exemplar.id)[0].published

    # The page's first address: 404 until the officer publishes the federation's page, then
    # a permanent redirect to it.
    old_address = f"/talent/public/{world.a.federation.id}"
    assert app.test_client().get(old_address).status_code == 404
    officer.post("/federation/exemplars/publication", data={"publish": "1"})
    moved = app.test_client().get(old_address)
    page = f"/public/federations/{world.a.federation.code}/exemplars"
    assert moved.status_code == 301 and moved.headers["Location"].endswith(page)
    public = app.test_client().get(page)
    assert public.status_code == 200 and "青年科普讲师团" in public.get_data(as_text=True)
    # The factory's exemplars are proposed, not recognised: not on the page.
    assert "王芳" not in public.get_data(as_text=True)
    assert app.test_client().get(f"/talent/public/{world.b.federation.id}").status_code == 404
    assert app.test_client().get("/talent/public/999999").status_code == 404

    admin.post(f"/talent/exemplars/{exemplar.id}/consent", data={})  # consent withdrawn
    public = app.test_client().get(page)
    assert "青年科普讲师团" not in public.get_data(as_text=True)


def test_a_nomination_needs_consent_before_it_goes_forward(world, app):
    tenant = world.a.first
    admin = app.test_client().login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    admin.post(
        "/talent/nominations/new",
        data={
            "award": "中国青年科技奖",
            "level": "national",
            "year": "2026",
            "nominee_name": "赵强",
        },
    )
    (nomination,) = rows(Nomination, nominee_name="赵强")
    url = f"/talent/nominations/{nomination.id}"
    refused = officer.post(f"{url}/decision", data={"decision": "approve"})
    assert "未同意公开姓名" in officer.get(refused.headers["Location"]).get_data(as_text=True)
    assert "不能登记" not in admin.get(url).get_data(as_text=True)
    admin.post(f"{url}/consent", data={"consent": "y"})
    officer.post(f"{url}/decision", data={"decision": "approve"})
    admin.post(f"{url}/outcome", data={"outcome": "awarded"})
    assert rows(Nomination, id=nomination.id)[0].status == "awarded"
    officer.post("/federation/exemplars/publication", data={"publish": "1"})
    page = f"/public/federations/{world.a.federation.code}/exemplars"
    public = app.test_client().get(page).get_data(as_text=True)
    assert "中国青年科技奖" in public and "赵强" in public


# --- API -----------------------------------------------------------------------------------


def integrity_json(**changes) -> dict:
    return {
        "task": "integrity",
        "subtype": "lecture",
        "title": "科学道德和学风建设宣讲报告会",
        "starts_on": "2025-09-12",
        "ends_on": "2025-09-12",
        "status": "held",
        "audience": 500,
        "speakers": 1,
        "speaker_kind": "academician",
        "speaker_name": "周院士",
        "audience_group": "graduate",
        **changes,
    }


def test_the_api_records_and_validates_activities(world, app):
    tenant = world.a.first
    client = app.test_client()
    rw = bearer(tenant.tokens["rw"])
    created = client.post("/api/v1/activities/", json=integrity_json(), headers=rw)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["association_id"] == tenant.association.id and body["audience"] == 500
    assert created.headers["Location"] == f"/api/v1/activities/{body['id']}"
    assert client.get(created.headers["Location"], headers=rw).get_json() == body
    for changes in (
        {"audience": -1},
        {"audience": 10.0},
        {"audience": "500"},
        {"speakers": 9, "audience": 3},
        {"ends_on": "2025-09-01"},
        {"participants": 30},  # not a figure of integrity lectures
        {"audience_group": None},
        {"subtype": "talk"},
        {"submitter": "x"},
    ):
        refused = client.post("/api/v1/activities/", json=integrity_json(**changes), headers=rw)
        assert refused.status_code == 422, changes
    assert (
        client.post(
            "/api/v1/activities/", json=integrity_json(), headers=bearer(tenant.tokens["ro"])
        ).status_code
        == 403
    )

    moved = client.patch(
        f"/api/v1/activities/{body['id']}", json={"status": "reported"}, headers=rw
    )
    assert moved.status_code == 200 and moved.get_json()["status"] == "reported"
    back = client.patch(f"/api/v1/activities/{body['id']}", json={"status": "held"}, headers=rw)
    assert back.status_code == 422

    # A change whose step is refused keeps nothing, not even the fields it changed first.
    planned = client.post(
        "/api/v1/activities/",
        json=integrity_json(status="planned", starts_on="2099-09-12", ends_on="2099-09-12"),
        headers=rw,
    ).get_json()
    skipped = client.patch(
        f"/api/v1/activities/{planned['id']}",
        json={"title": "改过的标题", "status": "reported"},
        headers=rw,
    )
    assert skipped.status_code == 422
    (kept,) = rows(Activity, id=planned["id"])
    assert kept.title == planned["title"] and kept.status == "planned"

    listed = client.get("/api/v1/activities/?task=integrity&year=2025", headers=rw)
    assert [a["id"] for a in listed.get_json()] == [body["id"]]
    assert "X-Pagination" in listed.headers
    evidence = client.get(f"/api/v1/activities/{tenant.activities[0].id}/evidence/", headers=rw)
    assert evidence.get_json()[0]["filename"] == "签到表.pdf"
    assert "content" not in evidence.get_json()[0]


def test_the_api_above_an_association_sees_shared_activities_and_every_figure(world, app):
    client = app.test_client()
    federation = bearer(world.a.tokens["ro"])
    listed = client.get("/api/v1/activities/", headers=federation).get_json()
    ids = {a["id"] for a in listed}
    a1 = world.a.first
    assert a1.activities[0].id in ids and a1.activities[1].id not in ids
    assert world.b.first.activities[0].id not in ids
    figures = client.get("/api/v1/activity-figures/?year=2026", headers=federation).get_json()
    by_id = {f["association_id"]: f for f in figures}
    assert set(by_id) == {a1.association.id, world.a.second.association.id}
    # Both forums (the shared and the private one) count: visibility hides details, not numbers.
    assert by_id[a1.association.id]["academic_events"] == 2
    assert by_id[a1.association.id]["tech_transfer_value_yuan"] == 2_000_000
    vocabulary = client.get("/api/v1/activity-vocabulary", headers=federation).get_json()
    assert "youth_science_camp" in vocabulary["subtypes"]["student_practice"]
    assert client.get("/api/v1/activity-figures/", headers=federation).status_code == 422
    # National reads the figures through the reports' roll-ups, not activity by activity.
    national = bearer(world.national_a)
    assert client.get("/api/v1/activity-figures/?year=2026", headers=national).status_code == 403


def test_the_api_records_outcomes_nominations_and_exemplars(world, app):
    tenant = world.a.first
    client = app.test_client()
    rw = bearer(tenant.tokens["rw"])
    report = client.post(
        "/api/v1/consulting-reports/",
        json={
            "title": "关于高校科协服务地方发展的建议",
            "recipient": "市政府",
            "recipient_level": "local",
            "submitted_on": "2026-05-01",
        },
        headers=rw,
    )
    assert report.status_code == 201
    adopted = client.patch(
        f"/api/v1/consulting-reports/{report.get_json()['id']}",
        json={"adopted": True, "adopted_on": "2026-06-01"},
        headers=rw,
    )
    assert adopted.get_json()["adopted"] is True
    transfer = client.post(
        "/api/v1/tech-transfers/",
        json={
            "title": "x",
            "partner": "y",
            "mode": "licence",
            "signed_on": "2026-01-01",
            "value_yuan": -1,
        },
        headers=rw,
    )
    assert transfer.status_code == 422
    nomination = client.post(
        "/api/v1/nominations/",
        json={"award": "省科技进步奖", "level": "provincial", "year": 2026, "nominee_name": "孙红"},
        headers=rw,
    )
    assert nomination.status_code == 201 and nomination.get_json()["status"] == "proposed"
    for created in (report, nomination):
        found = client.get(created.headers["Location"], headers=rw)
        assert found.status_code == 200 and found.get_json()["id"] == created.get_json()["id"]
    exemplar = client.post(
        "/api/v1/exemplars/",
        json={"kind": "person", "name": "周文", "deeds": "科普", "year": 2026},
        headers=rw,
    )
    assert exemplar.status_code == 201 and exemplar.get_json()["published"] is False
