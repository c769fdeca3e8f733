"""No internal codes on the pages: a user reads 研究型大学, never `research` or
`teaching_research`; and names, not usernames, sign what people did."""

from __future__ import annotations

import html
import re

from service.auth.roles import Role

CATEGORY_CODES = re.compile(
    r"(?<![\w/.-])(teaching_research|research|applied|vocational)(?![\w/.-])"
)


def visible_text(page: str) -> str:
    """What the browser shows: no scripts, styles, tags or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _pages(app) -> list[str]:
    skip = ("/api/", "/static/", "/sso/", "/auth/", "/logout", "/healthz", "/readyz", "/metrics")
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.startswith(skip)
        and not rule.rule.endswith((".xlsx", ".csv", ".json", ".pdf", ".svg", ".ico"))
    )


def test_no_page_shows_a_category_code(app, world, client):
    users = [
        world.a.users[Role.FEDERATION_OFFICER],
        world.a.users[Role.EDUCATION_SUPERVISOR],
        world.a.first.users[Role.ASSOCIATION_ADMIN],
        world.operator,
    ]
    shown = {}
    for user in users:
        client.login_as(user)
        for path in _pages(app):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            found = CATEGORY_CODES.findall(visible_text(response.get_data(as_text=True)))
            if found:
                shown[(user.role, path)] = sorted(set(found))
    assert shown == {}, shown


def test_pages_about_one_association_name_categories_by_label(world, client):
    association_id = world.a.first.association.id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.post(
        f"/federation/associations/{association_id}/category",
        data={"category": "teaching_research", "reason": "转型"},
    )
    for path in (
        f"/federation/associations/{association_id}",
        "/federation/categories/research",
        "/federation/associations",
        f"/reporting/reports/{world.a.first.reports[0]}",
        "/audit/",
    ):
        response = client.get(path)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, path
        assert CATEGORY_CODES.findall(visible_text(response.get_data(as_text=True))) == [], path
