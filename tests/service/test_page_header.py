"""Every list and detail page opens the same way (the design system's `page_header` macro,
templates/_page.html): the title on the left and the page's primary actions on the right,
not scattered down the page."""

from __future__ import annotations

import re

import pytest

from service.auth.roles import Role


def _header(page: str) -> str:
    match = re.search(r'<div class="page-header">(.*?)\n</div>', page, re.S)
    assert match, "no page header"
    return match.group(1)


def _actions(page: str) -> str:
    header = _header(page)
    return header.split('<div class="page-actions">', 1)[1] if "page-actions" in header else ""


ASSOCIATION_PAGES = [
    "/activities/",
    "/activities/calendar",
    "/activities/figures",
    "/activities/outcomes",
    "/members/",
    "/members/groups/",
    "/members/applications/",
    "/suggestions/",
    "/talent/nominations/",
    "/talent/exemplars/",
    "/audit/",
]
FEDERATION_PAGES = [
    "/federation/",
    "/federation/associations",
    "/federation/trends",
    "/federation/categories",
    "/federation/universities",
    "/federation/guidance/",
    "/federation/problems/",
]


@pytest.mark.parametrize("url", ASSOCIATION_PAGES)
def test_the_association_s_lists_open_with_the_page_header(world, client, url):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    assert re.search(r"<h1[^>]*>", _header(page))
    assert page.count("<h1") == 1


@pytest.mark.parametrize("url", FEDERATION_PAGES)
def test_the_federation_s_lists_open_with_the_page_header(world, client, url):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    assert re.search(r"<h1[^>]*>", _header(page))
    assert page.count("<h1") == 1


def test_detail_pages_put_their_actions_in_the_header(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    member = client.get(f"/members/{tenant.members[0].id}").get_data(as_text=True)
    assert f"/members/{tenant.members[0].id}/edit" in _actions(member)
    activity = client.get(f"/activities/{tenant.activities[0].id}").get_data(as_text=True)
    assert f"/activities/{tenant.activities[0].id}/advance" in _actions(activity)
    profile = client.get(f"/associations/{tenant.association.id}").get_data(as_text=True)
    assert f"/associations/{tenant.association.id}/edit" in _actions(profile)


def test_list_pages_put_their_primary_actions_and_exports_in_the_header(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    members = _actions(client.get("/members/?status=active").get_data(as_text=True))
    assert "/members/new" in members and "/members/export.xlsx?status=active" in members
    activities = _actions(client.get("/activities/").get_data(as_text=True))
    assert "/activities/new/academic" in activities and "/activities/export.xlsx" in activities
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    overview = _actions(client.get("/federation/").get_data(as_text=True))
    assert "/federation/export/overview.xlsx" in overview
    guidance = _actions(client.get("/federation/guidance/").get_data(as_text=True))
    assert "/federation/guidance/new" in guidance


def test_the_header_puts_the_actions_on_the_right(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"\.page-header \{[^}]*justify-content: space-between", css)
    assert re.search(r"\.page-actions \{[^}]*justify-content: flex-end", css)


# --- reporting, accounts and sign-in settings --------------------------------------------


def _open_period(world, client) -> int:
    from datetime import date

    import sqlalchemy as sa

    from service.reporting.models import ReportingPeriod
    from tenants.db import db
    from tenants.scope import system_scope

    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.post("/reporting/periods", data={"year": 2024, "deadline": date(2025, 3, 31)})
    with system_scope("test: the period just opened"):
        return db.session.scalar(sa.select(ReportingPeriod.id).where(ReportingPeriod.year == 2024))


def _one_header(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    assert re.search(r"<h1[^>]*>", _header(page)), url
    assert page.count("<h1") == 1, url
    return _actions(page)


def test_the_reporting_pages_open_with_the_page_header(world, client):
    period_id = _open_period(world, client)
    assert "/indicators" in _one_header(client, "/reporting/")
    period = _one_header(client, f"/reporting/periods/{period_id}")
    assert f"/reporting/periods/{period_id}/rollup" in period
    rollup = _one_header(client, f"/reporting/periods/{period_id}/rollup")
    assert f'action="/reporting/periods/{period_id}/rollup"' in rollup
    # The association, before its report is compiled: the compile is the header's action.
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    waiting = _one_header(client, f"/reporting/periods/{period_id}")
    assert f'action="/reporting/periods/{period_id}/compile"' in waiting


def test_the_account_pages_put_their_actions_in_the_header(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    users = _one_header(client, "/users")
    assert 'href="#create-account"' in users
    tokens = _one_header(client, "/tokens")
    assert 'href="#create-token"' in tokens
    _one_header(client, "/sso/settings")
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    _one_header(client, "/sso/federation/settings")
