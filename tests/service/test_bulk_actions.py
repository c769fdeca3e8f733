"""Many rows in one step: a clerk ticks activities (or every activity of the list's filter)
and marks them 已上报 after one confirmation that says how many; when any of them cannot
change, the refusal names it and nothing at all is changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.activities import services
from service.activities.models import Activity
from service.auth.roles import Role
from service.errors import NotFound
from service.members import history
from service.members import services as services_members
from service.members.models import Member, MemberStatus
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.snapshots import row_counts


def _activities(world, *statuses: str, **fields) -> list[int]:
    """Activities of the first association of province A, one per status given."""
    with system_scope("test: activities to mark"):
        ids = [
            factories.make_activity(
                world.a.first.association,
                status=s,
                title=f"批量测试活动{i}",
                starts_on=date(2025, 4, 1 + i),
                ends_on=date(2025, 4, 1 + i),
                **fields,
            ).id
            for i, s in enumerate(statuses)
        ]
        db.session.commit()
    return ids


def _statuses(ids: list[int]) -> list[str]:
    with system_scope("test: the activities' status"):
        db.session.expire_all()
        return [db.session.get(Activity, i).status for i in ids]


# --- the service -------------------------------------------------------------------------


def test_marking_many_marks_every_one(world):
    ids = _activities(world, "held", "held", "held")
    with use_scope(Scope.association(world.a.first.association.id)):
        assert services.mark_reported(services.selected_activities(ids)) == 3
        db.session.flush()
    assert _statuses(ids) == ["reported"] * 3


def test_one_that_cannot_change_is_named_and_none_is_marked(world):
    ids = _activities(world, "held", "planned", "held", "reported")
    with use_scope(Scope.association(world.a.first.association.id)):
        chosen = services.selected_activities(ids)
        with pytest.raises(services.ActivityError) as refused:
            services.mark_reported(chosen)
        db.session.flush()
    message = str(refused.value)
    assert "批量测试活动1" in message and "批量测试活动3" in message
    assert "批量测试活动0" not in message and "批量测试活动2" not in message
    assert _statuses(ids) == ["held", "planned", "held", "reported"]


def test_another_association_s_activity_cannot_be_chosen(world):
    ids = _activities(world, "held")
    with use_scope(Scope.association(world.a.second.association.id)), pytest.raises(NotFound):
        services.selected_activities(ids)


def test_a_select_all_takes_exactly_the_filter_s_rows(world):
    held = _activities(world, "held", "held", subtype="cross_department")
    other = _activities(world, "held")
    with use_scope(Scope.association(world.a.first.association.id)):
        chosen = services.selected_activities([], {"subtype": "cross_department", "status": "held"})
    assert sorted(a.id for a in chosen) == sorted(held)
    assert not set(other) & {a.id for a in chosen}


def test_an_empty_choice_is_refused(world):
    with use_scope(Scope.association(world.a.first.association.id)):
        with pytest.raises(services.ActivityError):
            services.selected_activities([])
        with pytest.raises(services.ActivityError):
            services.selected_activities([], {"year": 2001})


# --- the pages ---------------------------------------------------------------------------


def test_the_list_offers_the_choice_only_on_held_rows(world, client):
    planned, held = _activities(world, "planned", "held")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = client.get("/activities/?status=held").get_data(as_text=True)
    assert f'name="activity_id" value="{held}"' in page
    assert f'name="activity_id" value="{planned}"' not in page
    # The bulk form keeps the list's filter, and offers every row of it.
    assert 'action="/activities/reported?status=held"' in page
    assert 'name="all_matching" value="yes"' in page


def test_the_action_asks_first_saying_how_many_then_marks_them(world, client):
    ids = _activities(world, "held", "held")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    counts = row_counts()

    asked = client.post("/activities/reported", data={"activity_id": ids})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "将有 2 项活动标记为已上报" in page
    assert "“批量测试活动0”、“批量测试活动1”" in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    assert _statuses(ids) == ["held", "held"] and row_counts() == counts

    done = client.post("/activities/reported", data={"activity_id": ids, "confirmed": "yes"})
    assert done.status_code == 302
    assert _statuses(ids) == ["reported", "reported"]


def test_a_choice_with_a_planned_one_is_refused_at_once_by_name(world, client):
    ids = _activities(world, "held", "planned")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    counts = row_counts()
    # Not even asked: nothing can go through as chosen.
    refused = client.post("/activities/reported?status=counted", data={"activity_id": ids})
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith("/activities/?status=counted")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "没有标记任何活动" in page and "“批量测试活动1”" in page
    assert _statuses(ids) == ["held", "planned"] and row_counts() == counts


def test_select_all_of_the_filter_marks_its_rows_only(world, client):
    forums = _activities(world, "held", "held", "held", subtype="cross_department")
    others = _activities(world, "held")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    url = "/activities/reported?subtype=cross_department&status=held"
    asked = client.post(url, data={"all_matching": "yes"}).get_data(as_text=True)
    assert "将有 3 项活动标记为已上报" in asked
    # The confirmation posts to the same filtered address.
    assert 'action="/activities/reported?subtype=cross_department&amp;status=held"' in asked
    client.post(url, data={"all_matching": "yes", "confirmed": "yes"})
    assert _statuses(forums) == ["reported"] * 3
    assert _statuses(others) == ["held"]


def test_nothing_chosen_is_refused_with_a_message(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    refused = client.post("/activities/reported", data={})
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "请至少选择一项活动" in page


def test_a_malformed_id_is_a_400(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    assert client.post("/activities/reported", data={"activity_id": "x"}).status_code == 400


def test_a_member_cannot_mark_anything(world, client):
    ids = _activities(world, "held")
    client.login_as(world.a.first.users[Role.MEMBER])
    response = client.post("/activities/reported", data={"activity_id": ids, "confirmed": "yes"})
    assert response.status_code == 403
    assert _statuses(ids) == ["held"]


def test_the_neighbour_s_ids_are_404_and_change_nothing(world, client):
    ids = _activities(world, "held")
    client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    response = client.post("/activities/reported", data={"activity_id": ids, "confirmed": "yes"})
    assert response.status_code == 404
    assert _statuses(ids) == ["held"]


# --- members' status, many at once -------------------------------------------------------


def _members(world, *names: str) -> list[int]:
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        ids = [factories.make_member(association, name=n, department="批量学院").id for n in names]
        db.session.commit()
    return ids


def _member_statuses(ids: list[int]) -> list[str]:
    with system_scope("test: the members' status"):
        db.session.expire_all()
        return [db.session.get(Member, i).status for i in ids]


def test_many_members_lapse_from_one_day_with_their_history(world):
    ids = _members(world, "批量甲", "批量乙")
    with use_scope(Scope.association(world.a.first.association.id)):
        chosen = services_members.selected_members(ids)
        changed = services_members.set_status_of_many(
            chosen, MemberStatus.LAPSED, date.today() + timedelta(days=1)
        )
        db.session.flush()
        assert changed == 2
        assert all(history.last_change_on(m) == date.today() + timedelta(days=1) for m in chosen)
    assert _member_statuses(ids) == ["lapsed", "lapsed"]


def test_a_member_whose_history_forbids_the_day_is_named_and_none_changes(world):
    ids = _members(world, "批量丙", "批量丁")
    with use_scope(Scope.association(world.a.first.association.id)):
        later = db.session.get(Member, ids[1])
        services_members.set_member_status(later, MemberStatus.LAPSED, date(2030, 1, 1))
        db.session.commit()
        chosen = services_members.selected_members(ids)
        with pytest.raises(services_members.MembershipError) as refused:
            services_members.set_status_of_many(chosen, MemberStatus.WITHDRAWN, date(2029, 6, 1))
        db.session.flush()
    assert "“批量丁”" in str(refused.value) and "批量丙" not in str(refused.value)
    assert _member_statuses(ids) == ["active", "lapsed"]


def test_the_members_page_asks_then_changes_every_chosen_status(world, client):
    ids = _members(world, "批量戊", "批量己")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = client.get("/members/?q=批量学院").get_data(as_text=True)
    assert 'action="/members/status?q=' in page
    assert all(f'name="member_id" value="{i}"' in page for i in ids)
    counts = row_counts()

    day = (date.today() + timedelta(days=1)).isoformat()
    body = {"member_id": ids, "status": "withdrawn", "on": day}
    asked = client.post("/members/status?q=批量学院", data=body).get_data(as_text=True)
    assert f"将有 2 名会员自 {day} 起改为“已退会”" in asked
    assert "“批量戊”、“批量己”" in asked
    assert _member_statuses(ids) == ["active", "active"] and row_counts() == counts

    done = client.post("/members/status?q=批量学院", data={**body, "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        "/members/?q=%E6%89%B9%E9%87%8F%E5%AD%A6%E9%99%A2"
    )
    assert _member_statuses(ids) == ["withdrawn", "withdrawn"]


def test_every_member_of_the_filter_can_be_chosen_at_once(world, client):
    ids = _members(world, "批量庚", "批量辛", "批量壬")
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    url = "/members/status?q=批量学院"
    body = {"all_matching": "yes", "status": "lapsed"}
    assert "将有 3 名会员" in client.post(url, data=body).get_data(as_text=True)
    client.post(url, data={**body, "confirmed": "yes"})
    assert _member_statuses(ids) == ["lapsed"] * 3


def test_a_refused_status_change_is_not_even_asked(world, client):
    ids = _members(world, "批量癸")
    with use_scope(Scope.association(world.a.first.association.id)):
        services_members.set_member_status(
            db.session.get(Member, ids[0]), MemberStatus.LAPSED, date(2030, 1, 1)
        )
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    counts = row_counts()
    body = {"member_id": ids, "status": "withdrawn", "on": "2029-01-01"}
    refused = client.post("/members/status", data=body)
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "没有修改任何会员" in page and "“批量癸”" in page
    assert row_counts() == counts


def test_a_bad_status_is_a_400_and_a_neighbour_s_member_a_404(world, client):
    ids = _members(world, "批量子")
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    bad = client.post("/members/status", data={"member_id": ids, "status": "king"})
    assert bad.status_code == 400
    client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    body = {"member_id": ids, "status": "lapsed", "confirmed": "yes"}
    assert client.post("/members/status", data=body).status_code == 404
    assert _member_statuses(ids) == ["active"]
