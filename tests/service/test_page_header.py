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
