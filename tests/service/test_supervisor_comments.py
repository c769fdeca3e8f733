"""The education supervisor (教育厅) reads a report and comments on it, as joint supervision
intends; comments are signed with the writer's name, never a username; the association does
not see the supervisors' notes."""

from __future__ import annotations

import html

import sqlalchemy as sa

from service.auth.models import User
from service.auth.roles import Role
from service.federation.models import Comment
from service.reporting.models import AnnualReport
from tenants.db import db
from tenants.scope import system_scope


def _named(user, name: str) -> None:
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name=name))
    db.session.commit()


def _report_id(world) -> int:
    """The world's 2025 report of its first association (approved and locked)."""
    return world.a.first.reports[0]


def _page(client, report_id: int) -> str:
    response = client.get(f"/reporting/reports/{report_id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _comments() -> list[str]:
    """Every comment. The test's session sets its scope on the connection again: a request
    that committed, on the tests' one connection, left its own settings there (PostgreSQL)."""
    db.session.info.pop("rls_scope", None)
    with system_scope("test: read the comments"):
        return list(db.session.scalars(sa.select(Comment.body)))


def test_the_education_supervisor_comments_on_a_report(world, client):
    report_id = _report_id(world)
    supervisor = world.a.users[Role.EDUCATION_SUPERVISOR]
    _named(supervisor, "王教育")
    client.login_as(supervisor)

    page = _page(client, report_id)
    assert "主管部门意见" in page and 'name="body"' in page

    response = client.post(
        f"/reporting/reports/{report_id}/comments", data={"body": "请核实科普活动人数。"}
    )
    assert response.status_code == 302

    page = _page(client, report_id)
    assert "王教育</strong>：请核实科普活动人数。" in page
    assert supervisor.username not in page.split('id="supervisor-comments"')[1]
    # The federation officer reviewing the report reads it on the same page.
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    assert "王教育</strong>：请核实科普活动人数。" in _page(client, report_id)


def test_the_association_does_not_see_the_supervisors_notes(world, client):
    report_id = _report_id(world)
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    client.post(f"/reporting/reports/{report_id}/comments", data={"body": "内部意见 MK-NOTE"})

    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    page = _page(client, report_id)
    assert "MK-NOTE" not in page and "主管部门意见" not in page
    refused = client.post(f"/reporting/reports/{report_id}/comments", data={"body": "x"})
    assert refused.status_code == 403


def test_an_empty_comment_is_refused_and_nothing_is_written(world, client):
    report_id = _report_id(world)
    before = _comments()
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])

    response = client.post(
        f"/reporting/reports/{report_id}/comments", data={"body": "   "}, follow_redirects=True
    )

    assert "请填写意见" in html.unescape(response.get_data(as_text=True))
    assert _comments() == before


def test_another_provinces_supervisor_cannot_comment(world, client):
    report_id = _report_id(world)
    before = _comments()
    client.login_as(world.b.users[Role.EDUCATION_SUPERVISOR])
    response = client.post(f"/reporting/reports/{report_id}/comments", data={"body": "越权"})
    assert response.status_code == 404
    assert _comments() == before


def test_comments_on_an_association_are_signed_with_the_name(world, client):
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _named(officer, "李处长")
    client.login_as(officer)
    association_id = world.a.first.association.id

    client.post(f"/federation/associations/{association_id}/comments", data={"body": "做得好"})
    page = html.unescape(
        client.get(f"/federation/associations/{association_id}").get_data(as_text=True)
    )

    assert "李处长：做得好" in page
    assert f"{officer.username}:" not in page and f"{officer.username}：" not in page


def test_a_problems_history_names_who_acted(world, client):
    from service.auth.principal import principal_for_user
    from service.federation import problems

    officer = world.a.users[Role.FEDERATION_OFFICER]
    _named(officer, "李处长")
    with system_scope("test: the federation's own problem"):
        problem_id = problems.open_problem(
            world.a.federation.id,
            title="全省共性问题",
            description="换届滞后",
            association_id=None,
            category=None,
            assignee_id=None,
            actor=principal_for_user(officer).audit_label,
        ).id
        db.session.commit()
    client.login_as(officer)

    page = html.unescape(client.get(f"/federation/problems/{problem_id}").get_data(as_text=True))

    history = page.split("<caption>")[-1]
    assert "李处长" in history and f"user:{officer.id}" not in history


# --- comments per report version -------------------------------------------------------------


def _versions(world) -> list[int]:
    """Ids of world.a.first's report versions of its period, oldest first."""
    db.session.info.pop("rls_scope", None)
    with system_scope("test: the report's versions"):
        period_id = db.session.get(AnnualReport, _report_id(world)).period_id
        return list(
            db.session.scalars(
                sa.select(AnnualReport.id)
                .where(
                    AnnualReport.tenant_id == world.a.first.association.id,
                    AnnualReport.period_id == period_id,
                )
                .order_by(AnnualReport.version)
            )
        )


def _reopened(world, client) -> tuple[int, int]:
    """world.a.first's approved report with a supervisor's comment on it, then reopened as
    version 2 by the officer; the ids of both versions."""
    first_id = _report_id(world)
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    client.post(f"/reporting/reports/{first_id}/comments", data={"body": "第一版的意见 V1-NOTE"})
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(f"/reporting/reports/{first_id}/reopen", data={"reason": "补报"})
    assert response.status_code == 302
    versions = _versions(world)
    assert versions[0] == first_id and len(versions) == 2
    return first_id, versions[1]


def _section(page: str, element_id: str) -> str:
    if f'id="{element_id}"' not in page:
        return ""
    return page.split(f'id="{element_id}"', 1)[1].split("</ul>", 1)[0]


def test_a_later_versions_page_shows_earlier_comments_as_earlier(world, client):
    first_id, second_id = _reopened(world, client)
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    client.post(f"/reporting/reports/{second_id}/comments", data={"body": "第二版的意见 V2-NOTE"})

    page = _page(client, second_id)
    current, earlier = _section(page, "current-comments"), _section(page, "earlier-comments")
    assert "V2-NOTE" in current and "V1-NOTE" not in current
    assert "第 1 版" in earlier and "V1-NOTE" in earlier and "V2-NOTE" not in earlier

    # the first version's page: its own comment as current, nothing of the later version
    page = _page(client, first_id)
    assert "V1-NOTE" in _section(page, "current-comments")
    assert "V2-NOTE" not in page and _section(page, "earlier-comments") == ""
    # the association's page at the federation keeps every note on the association
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    association_id = world.a.first.association.id
    overview = html.unescape(
        client.get(f"/federation/associations/{association_id}").get_data(as_text=True)
    )
    assert "V1-NOTE" in overview and "V2-NOTE" in overview


def test_migration_0028_ties_existing_comments_to_the_version_then_current(world, client):
    import importlib.util
    from datetime import datetime
    from pathlib import Path

    path = next(Path("migrations/versions").glob("0028_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0028", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    first_id, second_id = _reopened(world, client)
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    client.post(f"/reporting/reports/{second_id}/comments", data={"body": "V2-NOTE"})
    db.session.info.pop("rls_scope", None)
    with system_scope("test: comments as they were before 0028"):
        db.session.add(
            Comment(
                federation_id=world.a.federation.id,
                association_id=world.a.first.association.id,
                body="EARLY-NOTE",
                author="factory",
                created_at=datetime(2000, 1, 1),
            )
        )
        db.session.flush()
        db.session.execute(sa.update(Comment).values(report_id=None))
        db.session.execute(sa.text(migration.BACKFILL))
        tied = dict(db.session.execute(sa.select(Comment.body, Comment.report_id)).all())
        db.session.rollback()

    assert tied["第一版的意见 V1-NOTE"] == first_id and tied["V2-NOTE"] == second_id
    assert tied["EARLY-NOTE"] is None  # written before any report of the association
