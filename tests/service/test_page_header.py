"""Every list and detail page opens the same way (the design system's `page_header` macro,
templates/_page.html): the title on the left and the page's primary actions on the right,
not scattered down the page."""

from __future__ import annotations

import re
from pathlib import Path

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


# --- every full page, including the signed-out ones -------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "service"
#: Documents drawn outside the layout on purpose, and why.
OUTSIDE_THE_DESIGN_SYSTEM = {
    # The national statistical forms on paper: their heading is the form's own title, laid
    # out as the form prescribes (report-print.css), with no screen chrome.
    "reporting/print.html",
}


def _templates() -> dict[str, str]:
    found = {}
    for folder in TEMPLATES.glob("**/templates"):
        for path in folder.glob("**/*.html"):
            found[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return found


def _calls_page_header(name: str, templates: dict[str, str], seen=()) -> bool:
    source = templates[name]
    if re.search(r"(\{\{|\{%-? call) page_header\(", source):
        return True
    included = re.findall(r'\{%-? include "([^"]+)"', source)
    return any(_calls_page_header(i, templates, (*seen, name)) for i in included if i not in seen)


def _full_pages(templates: dict[str, str]) -> list[str]:
    """Pages in the layout (they extend base.html) and documents of their own (<html>)."""
    return sorted(
        name
        for name, source in templates.items()
        if name != "base.html"
        and name not in OUTSIDE_THE_DESIGN_SYSTEM
        and ('{% extends "base.html" %}' in source or "<html" in source)
    )


def test_every_full_page_template_opens_with_the_page_header():
    templates = _templates()
    pages = _full_pages(templates)
    assert "auth/login.html" in pages and "reporting/catalogue.html" in pages  # found them
    without = [name for name in pages if not _calls_page_header(name, templates)]
    assert without == [], f"full pages without the page_header macro: {without}"


def test_no_template_writes_its_own_h1():
    """The page's one <h1> is the macro's, so that no page hand-rolls an older header."""
    templates = _templates()
    own = [
        name
        for name, source in templates.items()
        if "<h1" in source and name != "_page.html" and name not in OUTSIDE_THE_DESIGN_SYSTEM
    ]
    assert own == []


def _html_pages(app) -> list[str]:
    skip = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/logout")
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(skip)
    )


def _pages_without_one_header(app, client) -> dict[str, str]:
    wrong = {}
    for path in _html_pages(app):
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        headers = page.count('<div class="page-header">')
        if headers != 1 or page.count("<h1") != 1 or not re.search(r"<h1[^>]*>", _header(page)):
            wrong[path] = f"{headers} page headers, {page.count('<h1')} h1"
    return wrong


def test_every_page_a_role_can_open_has_one_page_header(app, world, client):
    for user in (
        world.a.users[Role.FEDERATION_OFFICER],
        world.a.users[Role.EDUCATION_SUPERVISOR],
        world.a.first.users[Role.ASSOCIATION_ADMIN],
        world.a.first.users[Role.MEMBER],
        world.operator,
    ):
        client.login_as(user)
        assert _pages_without_one_header(app, client) == {}, user.role


def test_the_signed_out_pages_use_the_same_header_without_a_trail(app, client):
    assert _pages_without_one_header(app, client) == {}
    for path in ("/login", "/account/forgot-password"):
        page = client.get(path).get_data(as_text=True)
        assert '<div class="page-header">' in page, path
        assert 'class="breadcrumbs"' not in page, path
