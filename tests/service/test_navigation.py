"""The sidebar: grouped by domain (本会 / 会员 / 工作 / 统计 / 系统), built from each role's
permissions, with the current page marked and breadcrumbs that follow from it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.activities.models import Activity
from service.auth.principal import principal_for_user
from service.auth.roles import Role
from service.web.navigation import NAV, navigation_for
from tenants.db import db
from tenants.scope import system_scope

GROUPS = ("本会", "会员", "工作", "统计", "系统")


def _sidebar_html(html: str) -> str:
    return re.search(r'<nav id="sidebar".*?</nav>', html, re.S).group(0)


def _sidebar(html: str) -> dict[str, list[str]]:
    """{group heading: [item labels]} as the page shows them; "" for the ungrouped top."""
    nav = _sidebar_html(html)
    groups: dict[str, list[str]] = {}
    heading = ""
    for match in re.finditer(r'<p class="nav-group"[^>]*>([^<]*)</p>|<a [^>]*>([^<]*)</a>', nav):
        if match.group(1) is not None:
            heading = match.group(1)
            groups[heading] = []
        else:
            groups.setdefault(heading, []).append(match.group(2))
    return groups


def _page(client, user, url: str = "/") -> str:
    client.login_as(user)
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


EXPECTED = {
    Role.ASSOCIATION_ADMIN: {
        "": ["首页"],
        "本会": ["本校科协", "组织建设"],
        "会员": ["个人会员", "团体会员", "建议与诉求"],
        "工作": ["活动", "活动日历", "人才与典型", "指导意见"],
        "统计": ["活动统计", "年度统计"],
        "系统": ["用户", "API 令牌", "操作日志"],
    },
    Role.MEMBER: {
        "": ["首页"],
        "本会": ["本校科协", "组织建设"],
        "会员": ["我的会员信息", "我的建议"],
    },
    Role.FEDERATION_OFFICER: {
        "": ["首页"],
        "本会": ["高校科协", "成立申请", "组织建设规定"],
        "会员": ["上报的建议"],
        "工作": ["活动", "活动日历", "人才与典型", "指导意见", "问题跟踪"],
        "统计": ["数据看板", "活动统计", "年度统计"],
        "系统": ["API 令牌", "操作日志"],
    },
    Role.OPERATOR: {
        "": ["首页"],
        "本会": ["省级联合组织", "批量开通"],
        "统计": ["统计报表表式"],
        "系统": ["用户", "API 令牌", "操作日志"],
    },
}


def _user(world, role: Role):
    if role is Role.OPERATOR:
        return world.operator
    if role in (Role.FEDERATION_OFFICER, Role.EDUCATION_SUPERVISOR):
        return world.a.users[role]
    return world.a.first.users[role]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_s_sidebar_is_grouped_in_the_domains_order(client, world, role):
    sidebar = _sidebar(_page(client, _user(world, role)))
    headings = [h for h in sidebar if h]
    assert headings == [g for g in GROUPS if g in headings], headings
    assert sidebar[""] == ["首页"]
    assert all(sidebar[h] for h in headings), "a group without items is not shown"
    if role in EXPECTED:
        assert sidebar == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_every_item_of_a_role_s_sidebar_opens_for_that_role(client, world, role):
    """Built from the role table: nothing in the sidebar answers 403."""
    client.login_as(_user(world, role))
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)"', _sidebar_html(html))
    assert links
    for link in links:
        assert client.get(link, follow_redirects=True).status_code == 200, (role, link)


def test_the_education_supervisor_sees_no_officer_only_work(client, world):
    sidebar = _sidebar(_page(client, _user(world, Role.EDUCATION_SUPERVISOR)))
    items = [label for labels in sidebar.values() for label in labels]
    assert "成立申请" not in items and "组织建设规定" not in items
    assert "数据看板" in items


def test_the_current_page_is_marked_and_the_breadcrumbs_say_group_and_page(client, world):
    html = _page(client, _user(world, Role.ASSOCIATION_ADMIN), "/activities/calendar")
    marked = re.findall(r'<a href="([^"]+)" class="current" aria-current="page">([^<]+)</a>', html)
    assert marked == [("/activities/calendar", "活动日历")]
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", crumbs) == ["首页", "工作", "活动日历"]
    assert '<li aria-current="page">活动日历</li>' in crumbs


def test_a_page_under_an_item_marks_the_item_and_links_it_in_the_breadcrumbs(client, world):
    """An activity's own page is not in the sidebar: 活动 is marked (not as the page), and
    the trail is 首页 › 工作 › 活动 › the activity."""
    with system_scope("test: an activity's id"):
        activity = db.session.scalars(
            sa.select(Activity).where(Activity.tenant_id == world.a.first.association.id)
        ).first()
        activity_id, title = activity.id, activity.title
    html = _page(client, _user(world, Role.ASSOCIATION_ADMIN), f"/activities/{activity_id}")
    assert 'aria-current="page"' not in _sidebar_html(html)
    assert '<a href="/activities/" class="current">活动</a>' in html
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert '<li><a href="/activities/">活动</a></li>' in crumbs
    assert f'<li aria-current="page">{title}</li>' in crumbs


def test_the_account_controls_are_in_the_header_not_the_sidebar(client, world):
    html = _page(client, _user(world, Role.ASSOCIATION_STAFF))
    header = re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)
    for control in ("修改密码", "二次验证", "退出", "English"):
        assert control in header
    sidebar = _sidebar_html(html)
    assert "修改密码" not in sidebar and "退出" not in sidebar


def test_a_signed_out_visitor_has_no_sidebar(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'id="sidebar"' not in html and "data-menu-button" not in html
    assert "English" in html


def test_every_item_of_the_table_belongs_to_a_known_endpoint(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for group in NAV:
        for item in group.items:
            assert item.endpoint in endpoints, item.endpoint


def test_navigation_for_marks_one_item_at_most(app, world):
    with app.test_request_context("/no-such-page"):
        principal = principal_for_user(world.a.users[Role.FEDERATION_OFFICER])
        for endpoint in ("federation.trends", "reporting.rollup", "guidance.detail", None):
            sections = navigation_for(principal, endpoint)
            current = [link for s in sections for link in s.links if link.current]
            assert len(current) == (0 if endpoint is None else 1), endpoint
        marked = navigation_for(principal, "federation.trends")
        assert [(str(label), url) for label, url in marked.breadcrumbs] == [
            ("统计", None),
            ("数据看板", "/federation/"),
        ]
