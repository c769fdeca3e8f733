"""The provincial federation: categories with history, rollups that agree with the live
numbers, dashboards whose page, API and xlsx agree, guidance followed up, problems."""

from __future__ import annotations

import io
import random
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook

from service.activities import talent
from service.activities.models import Exemplar
from service.associations.models import Category
from service.audit.models import PlatformAuditEvent
from service.auth.models import TokenLevel
from service.auth.roles import Role
from service.federation import dashboards, exemplars, jobs, metrics, problems, rollups
from service.federation.metrics import DASHBOARD_METRICS
from service.federation.models import (
    CategoryChange,
    GuidanceReceipt,
    MetricRollup,
    Problem,
    University,
    UniversityCategory,
)
from service.governance.models import Meeting
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.conftest import run_queued_jobs


def _bearer(token) -> dict:
    return {"Authorization": f"Bearer {token[1]}"}


def _ids(province) -> list[int]:
    return [province.first.association.id, province.second.association.id]


def test_every_federation_starts_with_the_default_categories(world):
    with system_scope("test"):
        codes = db.session.scalars(
            sa.select(UniversityCategory.code).where(
                UniversityCategory.federation_id == world.b.federation.id
            )
        ).all()
    assert set(codes) == {"research", "teaching_research", "applied", "vocational", "private"}


def test_the_officer_moves_an_association_to_another_category_with_history(world, client):
    tenant = world.a.first
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        f"/federation/associations/{tenant.association.id}/category",
        data={"category": "applied", "reason": "转设为应用型本科"},
    )
    assert response.status_code == 302
    page = client.get(f"/federation/associations/{tenant.association.id}").get_data(as_text=True)
    assert "转设为应用型本科" in page and "应用型本科高校" in page
    with system_scope("test"):
        change = db.session.scalars(
            sa.select(CategoryChange)
            .where(CategoryChange.tenant_id == tenant.association.id)
            .order_by(CategoryChange.id.desc())
        ).first()
    assert (change.from_code, change.to_code) == ("research", "applied")
    assert world.a.users[Role.FEDERATION_OFFICER].username in change.actor


def test_the_education_supervisor_may_not_change_a_category(world, client):
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    response = client.post(
        f"/federation/associations/{world.a.first.association.id}/category",
        data={"category": "applied", "reason": "x"},
    )
    assert response.status_code == 403


def test_rollups_agree_with_the_live_aggregates(world):
    year = date.today().year
    ids = _ids(world.a) + _ids(world.b)
    with system_scope("test"):
        factories.make_member(world.a.first.association)
        db.session.add(
            Meeting(
                tenant_id=world.b.second.association.id,
                body="committee",
                held_on=date(year, 1, 5),
                attendance=9,
            )
        )
        db.session.flush()
        for association_id in ids:
            jobs.refresh_association(association_id)
        live = metrics.compute_all(ids, year)
        stored = rollups.read(ids, year)
    assert stored == live
    assert live[world.a.first.association.id]["members_individual"] == 3
    assert live[world.b.second.association.id]["committee_meetings"] >= 1


def test_activities_reach_the_rollups_per_task(world):
    year = date.today().year
    mine = world.a.first.association
    with system_scope("test"):
        before = metrics.compute_all([mine.id], year)[mine.id]
        factories.make_activity(
            mine, starts_on=date(year, 3, 1), ends_on=date(year, 3, 1), events=4
        )
        factories.make_activity(
            mine,
            task="popularisation",
            subtype="science_week",
            starts_on=date(year, 5, 20),
            ends_on=date(year, 5, 20),
            events=2,
            participants=300,
            speakers=5,
            papers=0,
        )
        jobs.refresh_association(mine.id)
        stored = rollups.read([mine.id], year)[mine.id]
    assert stored["academic_events"] == before["academic_events"] + 4
    assert stored["popularisation_events"] == before["popularisation_events"] + 2


def test_a_write_refreshes_the_rollup_after_commit(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        "/members/new", data={"name": "新会员", "phone": "13700009999", "title": "senior"}
    )
    assert response.status_code == 302
    run_queued_jobs()
    with use_scope(Scope.association(tenant.association.id)):
        value = db.session.scalar(
            sa.select(MetricRollup.value).where(
                MetricRollup.metric == "members_individual",
                MetricRollup.year == date.today().year,
            )
        )
    assert value == 3


def _refresh(world) -> None:
    with system_scope("test"):
        for association_id in _ids(world.a) + _ids(world.b):
            jobs.refresh_association(association_id)


def test_page_api_and_xlsx_of_the_overview_agree(world, client):
    _refresh(world)
    api = client.get("/api/v1/federation/overview", headers=_bearer(world.a.tokens["ro"])).json
    assert api["associations"] == 2
    assert api["members"]["individual"] == 4
    assert api["open_problems"] == 1
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    page = client.get("/federation/").get_data(as_text=True)
    assert f'id="n-individual">{api["members"]["individual"]}<' in page
    assert f'id="n-problems">{api["open_problems"]}<' in page
    book = load_workbook(io.BytesIO(client.get("/federation/export/overview.xlsx").data))
    cells = {row[0]: row[1] for row in book.active.iter_rows(values_only=True)}
    assert cells["个人会员"] == api["members"]["individual"]
    assert cells["团体会员"] == api["members"]["group"]


def test_the_table_sorts_filters_and_matches_its_export(world, client):
    _refresh(world)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    api = client.get(
        "/api/v1/federation/associations?sort=health&order=desc",
        headers=_bearer(world.a.tokens["ro"]),
    ).json
    names = [r["name"] for r in api["rows"]]
    assert set(names) == {world.a.first.association.name, world.a.second.association.name}
    assert [r["health"] for r in api["rows"]] == sorted(
        (r["health"] for r in api["rows"]), reverse=True
    )
    filtered = client.get(
        "/api/v1/federation/associations?category=teaching_research",
        headers=_bearer(world.a.tokens["ro"]),
    ).json
    assert [r["name"] for r in filtered["rows"]] == [world.a.second.association.name]
    page = client.get(f"/federation/associations?year={date.today().year}&sort=health&order=desc")
    assert page.status_code == 200
    assert page.get_data(as_text=True).index(names[0]) < page.get_data(as_text=True).index(names[1])
    book = load_workbook(
        io.BytesIO(client.get("/federation/export/associations.xlsx?sort=health&order=desc").data)
    )
    rows = list(book.active.iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == names
    assert [r[-1] for r in rows] == [r["health"] for r in api["rows"]]


def test_a_filtered_table_scores_against_the_whole_federation(world, client):
    """Filtering reads fewer rollups; each score still compares with the federation's
    best, not with the best of the rows shown."""
    with system_scope("test"):
        for _ in range(3):
            factories.make_member(world.a.first.association)
        db.session.commit()
    _refresh(world)
    headers = _bearer(world.a.tokens["ro"])
    everyone = client.get("/api/v1/federation/associations", headers=headers).json["rows"]
    alone = client.get(
        "/api/v1/federation/associations?category=teaching_research", headers=headers
    ).json["rows"]
    second = next(r for r in everyone if r["name"] == world.a.second.association.name)
    assert [r["name"] for r in alone] == [second["name"]]
    assert alone[0]["health"] == second["health"]
    assert second["metrics"]["members_individual"] < max(
        r["metrics"]["members_individual"] for r in everyone
    )


def test_the_officer_sets_the_health_weights_and_the_formula_is_shown(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    data = {
        code: 0
        for code in (
            "members_individual",
            "members_group",
            "congresses",
            "committee_meetings",
            "standing_meetings",
        )
    }
    response = client.post("/federation/weights", data={**data, "compliance_issues": 5})
    assert response.status_code == 302
    page = client.get("/federation/associations").get_data(as_text=True)
    assert 'id="health-formula"' in page
    api = client.get("/api/v1/federation/associations", headers=_bearer(world.a.tokens["ro"])).json
    assert api["weights"]["compliance_issues"] == 5
    assert api["weights"]["members_individual"] == 0


def test_the_category_view_places_each_association_among_its_peers(world, client):
    with system_scope("test"):
        extra = factories.make_association(world.a.federation)
        factories.make_member(extra)
        extra_id, extra_name = extra.id, extra.name
        db.session.commit()
    _refresh(world)
    with system_scope("test"):
        jobs.refresh_association(extra_id)
    view = client.get(
        "/api/v1/federation/categories/research", headers=_bearer(world.a.tokens["ro"])
    ).json
    assert {a["name"] for a in view["associations"]} == {world.a.first.association.name, extra_name}
    members = next(m for m in view["metrics"] if m["code"] == "members_individual")
    assert members["distribution"]["median"] == 1.5
    assert members["leaders"][0] == world.a.first.association.name
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    page = client.get("/federation/categories/research").get_data(as_text=True)
    assert "data-chart=" in page and world.a.first.association.name in page


def test_placement_counts_the_peers_each_association_is_ahead_of():
    """Counted from the values in order, as row against row would count it: ties place no
    one ahead, and where lower is better, ahead means below."""
    rng = random.Random(5)

    def metrics() -> dict[str, float]:
        return {m.code: float(rng.choice([0, 1, 1, 2, 7, 30])) for m in DASHBOARD_METRICS}

    rows = [
        dashboards.Row(i, f"协会{i}", "research", "研究型", "active", "ok", metrics(), 0.0)
        for i in range(40)
    ]
    placed = dashboards.placements(rows)
    for row, placement in zip(rows, placed, strict=True):
        for metric in DASHBOARD_METRICS:
            mine = row.metrics[metric.code]
            peers = [r.metrics[metric.code] for r in rows if r is not row]
            if metric.higher_is_better:
                ahead = sum(1 for v in peers if mine > v)
            else:
                ahead = sum(1 for v in peers if mine < v)
            assert placement[metric.code] == ahead, metric.code
    lower = next(m for m in DASHBOARD_METRICS if not m.higher_is_better)
    worst = max(rows, key=lambda r: r.metrics[lower.code])
    assert placed[rows.index(worst)][lower.code] == 0


def test_guidance_to_one_category_is_acknowledged_and_the_officer_sees_it(world, client):
    """The issue's 'done means': guidance to a category, its associations acknowledge, the
    officer sees who did; the other federation sees none of it."""
    officer = world.a.users[Role.FEDERATION_OFFICER]
    client.login_as(officer)
    response = client.post(
        "/federation/guidance/new",
        data={
            "title": "关于研究型大学科协加强学术交流的指导意见",
            "body": "请各研究型大学科协制定年度学术交流计划。",
            "audience": "categories",
            "categories": ["research"],
            "deadline": "2099-01-31",
            "attachments": (io.BytesIO(factories.PDF_BYTES), "意见.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    guidance_id = int(response.headers["Location"].rsplit("/", 1)[1])

    research, other = world.a.first, world.a.second
    client.login_as(research.users[Role.ASSOCIATION_ADMIN])
    assert "关于研究型大学科协加强学术交流的指导意见" in client.get("/").get_data(as_text=True)
    assert client.get(f"/guidance/{guidance_id}").status_code == 200
    assert client.post(f"/guidance/{guidance_id}/acknowledge").status_code == 302
    inbox = client.get("/guidance/").get_data(as_text=True)
    assert "关于研究型大学科协加强学术交流的指导意见" in inbox

    client.login_as(other.users[Role.ASSOCIATION_ADMIN])
    assert "关于研究型大学科协加强学术交流的指导意见" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/guidance/{guidance_id}").status_code == 404

    client.login_as(officer)
    page = client.get(f"/federation/guidance/{guidance_id}").get_data(as_text=True)
    assert 'id="count-targeted">1<' in page and 'id="count-acknowledged">1<' in page
    assert research.association.name in page
    api = client.get(
        f"/api/v1/federation/guidance/{guidance_id}", headers=_bearer(world.a.tokens["ro"])
    ).json
    assert api["acknowledged"] == 1 and api["associations"][0]["acknowledged_at"]

    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.get(f"/federation/guidance/{guidance_id}").status_code == 404
    assert "学术交流" not in client.get("/federation/guidance/").get_data(as_text=True)
    response = client.get(
        f"/api/v1/federation/guidance/{guidance_id}", headers=_bearer(world.b.tokens["ro"])
    )
    assert response.status_code == 404


def test_an_association_responds_with_text_and_a_file(world, client):
    tenant = world.a.second
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/guidance/{world.a.guidance_id}/respond",
        data={
            "response": "已完成总结。",
            "attachment": (io.BytesIO(factories.PDF_BYTES), "总结.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with use_scope(Scope.association(tenant.association.id)):
        receipt = db.session.scalar(
            sa.select(GuidanceReceipt).where(GuidanceReceipt.guidance_id == world.a.guidance_id)
        )
        assert receipt.response == "已完成总结。" and receipt.response_file_id


def test_a_response_file_that_is_not_a_document_is_refused(world, client):
    client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/guidance/{world.a.guidance_id}/respond",
        data={"response": "见附件", "attachment": (io.BytesIO(b"MZ\x90\x00"), "总结.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with use_scope(Scope.association(world.a.second.association.id)):
        receipt = db.session.scalar(
            sa.select(GuidanceReceipt).where(GuidanceReceipt.guidance_id == world.a.guidance_id)
        )
        assert receipt.responded_at is None


def test_overdue_associations_are_reminded(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    with system_scope("test"):
        from service.federation.models import Guidance

        db.session.get(Guidance, world.a.guidance_id).deadline = date(2020, 1, 1)
        db.session.commit()
    page = client.get(f"/federation/guidance/{world.a.guidance_id}").get_data(as_text=True)
    assert 'id="count-overdue">1<' in page  # the second has not responded; the first has
    assert client.post(f"/federation/guidance/{world.a.guidance_id}/remind").status_code == 302
    client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    assert "提醒" in client.get("/").get_data(as_text=True)


def test_a_problem_is_assigned_and_resolved_with_history(world, client):
    officer = world.a.users[Role.FEDERATION_OFFICER]
    client.login_as(officer)
    response = client.post(
        "/federation/problems/new",
        data={
            "title": "应用型高校科协普遍缺少团体会员",
            "description": "多数应用型本科高校未建立院系科协。",
            "association_id": 0,
            "category": "applied",
            "assignee_id": officer.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    problem_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "应用型高校科协普遍缺少团体会员" in client.get("/federation/").get_data(as_text=True)
    response = client.post(
        f"/federation/problems/{problem_id}",
        data={"state": "resolved", "assignee_id": officer.id, "note": "已召开专题会"},
    )
    assert response.status_code == 302
    with system_scope("test"):
        problem = db.session.get(Problem, problem_id)
        assert problem.state == "resolved"
        assert [e.to_state for e in problem.events] == ["open", "resolved"]
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.get(f"/federation/problems/{problem_id}").status_code == 404


def test_the_education_supervisor_comments_but_does_not_manage(world, client):
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    tenant = world.a.first.association.id
    response = client.post(
        f"/federation/associations/{tenant}/comments", data={"body": "请加快换届。"}
    )
    assert response.status_code == 302
    assert "请加快换届。" in client.get(f"/federation/associations/{tenant}").get_data(as_text=True)
    assert client.get("/federation/guidance/new").status_code == 403
    assert client.get("/federation/problems/new").status_code == 403


def test_the_drill_down_masks_the_contact(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    tenant = world.a.first
    page = client.get(f"/federation/associations/{tenant.association.id}").get_data(as_text=True)
    with system_scope("test"):
        from service.associations.models import AssociationProfile

        phone = db.session.scalar(
            sa.select(AssociationProfile.contact_phone).where(
                AssociationProfile.tenant_id == tenant.association.id
            )
        )
    assert phone not in page and phone[:3] + "****" + phone[-4:] in page


def test_coverage_counts_the_universities_without_an_association(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        "/federation/universities", data={"name": "某某职业技术学院", "category": "vocational"}
    )
    assert response.status_code == 302
    api = client.get("/api/v1/federation/overview", headers=_bearer(world.a.tokens["ro"])).json
    assert api["coverage"] == {"with_association": 2, "without_association": 1}
    other = client.get("/api/v1/federation/overview", headers=_bearer(world.b.tokens["ro"])).json
    assert other["coverage"]["without_association"] == 0


def test_the_nightly_run_rebuilds_every_rollup(world):
    from service.jobs import SCHEDULES

    assert any(p.func == "service.federation.jobs:refresh_all" for p in SCHEDULES)
    ids = _ids(world.a) + _ids(world.b)
    with system_scope("test"):
        db.session.execute(sa.delete(MetricRollup))
        db.session.commit()
    assert jobs.refresh_all() >= 4
    with system_scope("test"):
        stored = rollups.read(ids, date.today().year)
        assert stored == metrics.compute_all(ids, date.today().year)
        assert db.session.scalar(sa.select(sa.func.count(MetricRollup.id))) >= 4 * len(
            metrics.METRICS
        )


# --- exemplars ----------------------------------------------------------------------------


def _recognise(world, *, named: str, publish: bool) -> None:
    """Recognise the first association's exemplar of province A (consent is on record), and
    publish it one by one if asked; the second association's stays proposed."""
    with system_scope("test"):
        exemplar = db.session.get(Exemplar, world.a.first.exemplars[0].id)
        exemplar.name = named
        talent.recognise_exemplar(exemplar, "test")
        if publish:
            talent.publish_exemplar(exemplar, True)
        proposed = db.session.get(Exemplar, world.a.second.exemplars[0].id)
        proposed.name = "尚未认定的典型"
        db.session.commit()


def test_the_exemplars_page_lists_only_what_the_federation_recognised(world, client):
    _recognise(world, named="张科普", publish=False)
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    page = client.get("/federation/exemplars").get_data(as_text=True)
    assert "张科普" in page and world.a.first.association.name in page
    assert "长期开展科普志愿服务" in page  # what they did
    assert "尚未认定的典型" not in page
    api = client.get("/api/v1/federation/exemplars", headers=_bearer(world.a.tokens["ro"])).json
    assert [(e["name"], e["association_id"], e["year"]) for e in api["items"]] == [
        ("张科普", world.a.first.association.id, 2026)
    ]
    assert api["published"] is False and api["public_url"] is None
    # The other federation's supervisors see none of it.
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert "张科普" not in client.get("/federation/exemplars").get_data(as_text=True)
    other = client.get("/api/v1/federation/exemplars", headers=_bearer(world.b.tokens["ro"])).json
    assert other["items"] == []


def test_only_the_officer_publishes_the_exemplars_page(world, client):
    _recognise(world, named="张科普", publish=True)
    public = f"/public/federations/{world.a.federation.code}/exemplars"
    assert app_client(client).get(public).status_code == 404
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    assert client.post("/federation/exemplars/publication", data={"publish": "1"}).status_code == (
        403
    )
    assert app_client(client).get(public).status_code == 404
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    refused = client.post("/federation/exemplars/publication", data={"publish": "yes"})
    assert refused.status_code == 303
    assert app_client(client).get(public).status_code == 404
    response = client.post("/federation/exemplars/publication", data={"publish": "1"})
    assert response.status_code == 302
    with system_scope("test"):
        logged = db.session.scalars(
            sa.select(PlatformAuditEvent.actor).where(
                PlatformAuditEvent.entity == "federation_exemplar_page"
            )
        ).all()
    assert len(logged) == 1 and world.a.users[Role.FEDERATION_OFFICER].username in logged[0]
    page = app_client(client).get(public)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "张科普" in text and world.a.first.association.name in text
    assert "尚未认定的典型" not in text
    # No contact, no one's account: neither who proposed nor who decided.
    assert "factory" not in text and "test" not in text
    api = client.get("/api/v1/federation/exemplars", headers=_bearer(world.a.tokens["ro"])).json
    assert api["published"] is True and api["public_url"].endswith(public)
    # The other federation's page stays unpublished.
    other = f"/public/federations/{world.b.federation.code}/exemplars"
    assert app_client(client).get(other).status_code == 404
    client.post("/federation/exemplars/publication", data={"publish": "0"})
    assert app_client(client).get(public).status_code == 404


def test_the_public_page_shows_no_exemplar_that_was_not_published_one_by_one(world, client):
    _recognise(world, named="张科普", publish=False)
    with system_scope("test"):
        exemplars.set_published(world.a.federation.id, True, "test")
        db.session.commit()
    text = app_client(client).get(f"/public/federations/{world.a.federation.code}/exemplars")
    assert text.status_code == 200
    assert "张科普" not in text.get_data(as_text=True)


def app_client(client):
    """A visitor who has not signed in (a fresh client: no session cookie)."""
    return client.application.test_client()


# --- activities per task, this year against last, and the category cut -------------------


def _small_province():
    """A federation of two associations (research, applied) whose activities are counted by
    hand below, a university without an association and a problem about the applied ones."""
    this, last = date.today().year, date.today().year - 1
    with system_scope("test"):
        federation = factories.make_federation()
        research = factories.make_association(federation, category=Category.RESEARCH)
        applied = factories.make_association(federation, category=Category.APPLIED)
        factories.make_member(research)

        def held(association, task, subtype, year, events):
            day = date(year, 1, 5)
            factories.make_activity(
                association, task=task, subtype=subtype, starts_on=day, ends_on=day, events=events
            )

        held(research, "academic", "inter_university", this, 3)
        held(research, "academic", "inter_university", last, 2)
        held(research, "popularisation", "science_week", last, 5)
        held(applied, "academic", "inter_university", this, 1)
        factories.make_activity(  # cancelled: not counted
            applied,
            starts_on=date(this, 1, 6),
            ends_on=date(this, 1, 6),
            status="cancelled",
            events=7,
        )
        db.session.add(
            University(federation_id=federation.id, name="某职业大学", category="applied")
        )
        problems.open_problem(
            federation.id,
            title="应用型高校科协活动偏少",
            description="—",
            association_id=None,
            category="applied",
            assignee_id=None,
            actor="test",
        )
        ids = [research.id, applied.id]
        rollups.store(ids, this)
        rollups.store(ids, last)
        officer = factories.make_user(Role.FEDERATION_OFFICER, federation=federation)
        token = factories.make_token(TokenLevel.FEDERATION, federation=federation)
        applied_id = db.session.scalar(
            sa.select(UniversityCategory.id).where(
                UniversityCategory.federation_id == federation.id,
                UniversityCategory.code == "applied",
            )
        )
        db.session.commit()
    return officer, token, applied_id


def _xlsx_tasks(client, query: str = "") -> dict[str, tuple]:
    book = load_workbook(io.BytesIO(client.get(f"/federation/export/overview.xlsx{query}").data))
    rows = list(book["各项任务活动"].iter_rows(values_only=True))
    return {row[0]: row[1:] for row in rows[1:]}


def test_activities_per_task_this_year_against_last_agree_on_page_api_and_xlsx(world, client):
    officer, token, _applied = _small_province()
    this, last = date.today().year, date.today().year - 1
    api = client.get("/api/v1/federation/overview", headers=_bearer(token)).json
    tasks = api["activities_by_task"]
    assert tasks["academic_events"] == {"this_year": 3 + 1, "last_year": 2}
    assert tasks["popularisation_events"] == {"this_year": 0, "last_year": 5}
    assert tasks["talent_events"] == {"this_year": 0, "last_year": 0}
    client.login_as(officer)
    page = client.get("/federation/").get_data(as_text=True)
    row = page[page.index('id="task-academic_events"') :].split("</tr>")[0]
    assert '<td class="last-year">2</td><td class="this-year">4</td>' in row
    row = page[page.index('id="task-popularisation_events"') :].split("</tr>")[0]
    assert '<td class="last-year">5</td><td class="this-year">0</td>' in row
    assert 'id="chart-activities"' in page
    sheet = _xlsx_tasks(client)
    label = str(metrics.BY_CODE["academic_events"].label)
    assert sheet[label] == (2, 4)
    book = load_workbook(io.BytesIO(client.get("/federation/export/overview.xlsx").data))
    header = next(book["各项任务活动"].iter_rows(values_only=True))
    assert header[1:] == (str(last), str(this))


def test_the_overview_is_cut_by_category(world, client):
    officer, token, applied_id = _small_province()
    research = client.get(
        "/api/v1/federation/overview?category=research", headers=_bearer(token)
    ).json
    assert research["category"] == "research"
    assert research["associations"] == 1
    assert research["members"]["individual"] == 1
    assert research["coverage"] == {"with_association": 1, "without_association": 0}
    assert research["activities_by_task"]["academic_events"] == {"this_year": 3, "last_year": 2}
    assert research["open_problems"] == 0
    # By the category's id as well as its code.
    applied = client.get(
        f"/api/v1/federation/overview?category={applied_id}", headers=_bearer(token)
    ).json
    assert applied["category"] == "applied"
    assert applied["activities_by_task"]["academic_events"] == {"this_year": 1, "last_year": 0}
    assert applied["coverage"] == {"with_association": 1, "without_association": 1}
    assert applied["open_problems"] == 1
    unknown = client.get("/api/v1/federation/overview?category=nope", headers=_bearer(token))
    assert unknown.status_code == 400 and "category" in unknown.json["message"]
    superscript = client.get("/api/v1/federation/overview?category=²", headers=_bearer(token))
    assert superscript.status_code == 400  # a digit to str.isdigit, not to int()
    client.login_as(officer)
    page = client.get("/federation/?category=research").get_data(as_text=True)
    assert 'id="n-associations">1<' in page and 'id="n-problems">0<' in page
    assert '<option value="research" selected>' in page
    assert "category=research" in page  # the export link keeps the cut
    assert _xlsx_tasks(client, "?category=research")[
        str(metrics.BY_CODE["academic_events"].label)
    ] == (2, 3)
    whole = client.get("/federation/").get_data(as_text=True)
    assert 'id="n-associations">2<' in whole and 'id="n-problems">1<' in whole


def test_a_university_listed_twice_is_a_form_error_and_stays_listed_once(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    university = {"name": "某某职业技术学院", "category": "vocational"}
    assert client.post("/federation/universities", data=university).status_code == 302
    again = client.post("/federation/universities", data=university)
    assert again.status_code == 400 and "该高校已登记" in again.get_data(as_text=True)
    api = client.get("/api/v1/federation/overview", headers=_bearer(world.a.tokens["ro"])).json
    assert api["coverage"]["without_association"] == 1


def test_a_taken_category_code_is_a_form_error_and_adds_nothing(world, client):
    federation_id = world.a.federation.id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    refused = client.post("/federation/categories", data={"code": "research", "name": "重名"})
    assert refused.status_code == 400 and "该代码已被使用" in refused.get_data(as_text=True)
    added = client.post("/federation/categories", data={"code": "innovation", "name": "创新型"})
    assert added.status_code == 302
    with use_scope(Scope.federation(federation_id)):
        names = db.session.scalars(
            sa.select(UniversityCategory.name).where(
                UniversityCategory.federation_id == federation_id
            )
        ).all()
    assert "创新型" in names and "重名" not in names


def test_no_text_of_the_dashboards_exports_runs_as_a_formula(world, client):
    """Association and category names come from users: every text cell is neutralised."""
    hostile_name = '=HYPERLINK("http://evil.example","点我")'
    with system_scope("test: names a spreadsheet would run"):
        db.session.execute(
            sa.update(Association)
            .where(Association.id == world.a.first.association.id)
            .values(name=hostile_name)
        )
        db.session.execute(
            sa.update(UniversityCategory)
            .where(
                UniversityCategory.federation_id == world.a.federation.id,
                UniversityCategory.code == "research",
            )
            .values(name="+SUM(1,2)")
        )
        db.session.commit()
    _refresh(world)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    texts = []
    for view in ("overview", "associations", "research"):
        response = client.get(f"/federation/export/{view}.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.data))
        texts += [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        ]
    assert "'" + hostile_name in texts and "'+SUM(1,2)" in texts
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]
