"""The API's member reads (service/members/reads.py) answer what the member list answers:
the same members in the same order for every filter, the same total, and a member as the
object reads."""

import json

import pytest

from service.members import services
from service.members.models import MemberStatus
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.factories.members import make_member


@pytest.fixture
def listed(world):
    """The first association's members, with names out of order, titles and statuses mixed,
    one erased (never listed) and one whose name holds the search word."""
    tenant = world.a.first
    with use_scope(Scope.association(tenant.association.id)):
        association = tenant.association
        make_member(association, name="张三", title="senior")
        make_member(association, name="阿明", title="none", department="化学学院")
        make_member(association, name="王物理", title="senior", department="医学院")
        left = make_member(association, name="李四")
        services.set_member_status(left, MemberStatus.LAPSED)
        erased = make_member(association, name="赵六")
        services.erase_member(erased)
        db.session.commit()
    return tenant


def _page(client, tenant, query: str) -> tuple[list[int], dict]:
    headers = {"Authorization": f"Bearer {tenant.tokens['ro'][1]}"}
    response = client.get(f"/api/v1/members/?page_size=100&{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [m["id"] for m in response.json], json.loads(response.headers["X-Pagination"])


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"q": "物理"},
        {"status": "lapsed"},
        {"title": "senior"},
        {"q": "物理", "title": "senior"},
        {"q": "学院", "status": "active", "title": "none"},
        {"q": "没有这个人"},
    ],
)
def test_the_api_lists_the_members_the_list_shows(client, listed, filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    ids, pagination = _page(client, listed, query)
    with use_scope(Scope.association(listed.association.id)):
        chosen = services.members_query(
            filters.get("q"), filters.get("status"), filters.get("title")
        )
        expected = [m.id for m in db.session.scalars(chosen)]
    assert ids == expected
    assert pagination.get("total", 0) == len(expected)
    if filters == {}:
        assert len(expected) > 5  # the world's members and the fixture's, erased excepted


def test_a_page_past_the_last_still_says_the_total(client, listed):
    ids, pagination = _page(client, listed, "page=50")
    assert ids == [] and pagination["total"] > 5


def test_one_member_reads_as_in_the_list(client, listed):
    headers = {"Authorization": f"Bearer {listed.tokens['ro'][1]}"}
    page = client.get("/api/v1/members/?page_size=100", headers=headers).json
    for member in page:
        one = client.get(f"/api/v1/members/{member['id']}", headers=headers)
        assert one.status_code == 200 and one.json == member
