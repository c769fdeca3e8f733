"""The unit of work at the request's boundary: the writes of a request that succeeded are
committed once, at its end; those of a refused one are rolled back; a refusal no view caught
is answered in one place (the 404 page for a missing record, a flash on the page the user
came from otherwise). Whole workflows through the running service are in tests/live/."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages

from service.access import in_scope
from service.errors import Conflict, NotFound
from service.members.models import Member
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.factories import make_member


def _end_request(app, status: int) -> None:
    """What Flask does once the view has answered."""
    app.process_response(app.response_class(status=status))


def _named(name: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Member.name == name))


@pytest.mark.parametrize(("status", "kept"), [(200, 1), (302, 1), (400, 0), (404, 0), (409, 0)])
def test_a_request_keeps_its_writes_only_when_it_succeeded(app, world, status, kept):
    association = world.a.first.association
    with app.test_request_context(method="POST"), use_scope(Scope.association(association.id)):
        make_member(association, name="边界测试")
        _end_request(app, status)
        db.session.rollback()  # anything not committed at the boundary is gone now
        assert _named("边界测试") == kept


def test_a_record_of_another_association_is_not_found(app, world):
    theirs = world.b.first.association
    with use_scope(Scope.association(theirs.id)):
        other = make_member(theirs, name="别人的会员")
    with use_scope(Scope.association(world.a.first.association.id)), pytest.raises(NotFound):
        in_scope(Member, other.id)


def test_a_missing_record_raised_anywhere_is_the_404_page(app, world):
    with app.test_request_context("/members/1", method="GET"):
        response = app.make_response(app.handle_user_exception(NotFound("no such member")))
    assert response.status_code == 404
    assert "no such member" not in response.get_data(as_text=True)  # the 404 page's own words


def test_a_refusal_no_view_caught_is_flashed_where_the_user_came_from(app, world):
    association = world.a.first.association
    referrer = "http://localhost/members/"
    with (
        app.test_request_context("/members/1/status", method="POST", headers={"Referer": referrer}),
        use_scope(Scope.association(association.id)),
    ):
        make_member(association, name="被拒绝的写入")
        response = app.make_response(app.handle_user_exception(Conflict("状态不能这样变更")))
        assert response.status_code == 302
        assert response.location == "/members/"
        assert get_flashed_messages() == ["状态不能这样变更"]
        assert _named("被拒绝的写入") == 0, "the refused request's write was kept"
