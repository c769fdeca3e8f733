"""Two requests at once: both pass the service's check for a taken key (a member's phone,
e-mail or 工号, an account's username) and the database's unique key refuses the second
write. That refusal is a Conflict naming the field (a form error on the web, a 409 on the
API), never a 500, and nothing of the refused request is kept.

The race is played for real: the service's own check runs and finds nothing, then the other
request's row is written through the same database connection (as its commit would be seen),
then the service writes and the database refuses it.
"""

from __future__ import annotations

from collections.abc import Callable

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.auth import services as auth_services
from service.auth.models import User
from service.auth.roles import Role
from service.errors import Conflict
from service.imports.engine import Row
from service.members import importing
from service.members import services as members
from service.members.models import Member, MemberApplication, MemberImport
from service.unique_keys import claimed, taken_field
from tenants.db import Session, db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.conftest import PG_URL, _pg_databases
from tests.service.test_member_review import _snapshot
from tests.service.test_round_trips import _app as app_on

PHONE_TAKEN = "该手机号已被本会另一位会员使用。"
EMAIL_TAKEN = "该电子邮箱已被本会另一位会员使用。"
STAFF_NUMBER_TAKEN = "该工号已被本会另一位会员使用。"


# An import row's values as the engine gives them (every checked field).
_ROW = {"title": "senior", "in_cast_society": False}


def _bearer(pair) -> dict:
    return {"Authorization": f"Bearer {pair[1]}"}


def _race(monkeypatch, module, check: str, other_request: Callable[[sa.Connection], None]):
    """Once the service's `check` in `module` has looked (and found nothing), the other
    request's row lands: written on the connection the service's write will use."""
    original = getattr(module, check)
    landed = []

    def checked(*args, **kwargs):
        found = original(*args, **kwargs)
        if not landed:
            landed.append(True)
            other_request(db.session.connection())
        return found

    monkeypatch.setattr(module, check, checked)
    return landed


def _member_added_by_another(tenant, **keys) -> Callable[[sa.Connection], None]:
    def insert(connection: sa.Connection) -> None:
        connection.execute(
            sa.insert(Member.__table__).values(
                tenant_id=tenant.association.id, name="另一请求的会员", **keys
            )
        )

    return insert


def _named(tenant, name: str) -> int:
    with system_scope("test: count members by name"):
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Member)
            .where(Member.tenant_id == tenant.association.id, Member.name == name)
        )


# --- members ----------------------------------------------------------------------------


def test_a_phone_taken_while_the_form_was_sent_is_a_form_error(world, client, monkeypatch):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    landed = _race(
        monkeypatch,
        members,
        "find_duplicate",
        _member_added_by_another(tenant, phone="13800009999"),
    )
    before = _snapshot()
    response = client.post(
        "/members/new",
        data={"name": "赛跑者", "phone": "13800009999", "title": "senior", "joined_on": ""},
    )
    assert landed, "the other request never wrote"
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<div id="phone-error"><p class="error" role="alert">{PHONE_TAKEN}' in page
    assert _named(tenant, "赛跑者") == 0
    assert _snapshot() == before, "the refused request left a write behind"


def test_an_email_taken_meanwhile_is_a_409_on_the_api(world, client, monkeypatch):
    tenant = world.a.first
    _race(
        monkeypatch,
        members,
        "find_duplicate",
        _member_added_by_another(tenant, email="race@example.edu.cn"),
    )
    before = _snapshot()
    response = client.post(
        "/api/v1/members/",
        json={"name": "赛跑者", "email": "Race@example.edu.cn", "title": "senior"},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 409, response.json
    assert response.json["message"] == EMAIL_TAKEN
    assert _snapshot() == before


def test_a_staff_number_given_to_another_meanwhile_refuses_the_change(world, client, monkeypatch):
    tenant = world.a.first
    member = tenant.members[1]
    _race(
        monkeypatch,
        members,
        "find_duplicate",
        _member_added_by_another(tenant, phone="13800007777", staff_number="G0042"),
    )
    before = _snapshot()
    response = client.patch(
        f"/api/v1/members/{member.id}",
        json={"staff_number": "G0042", "department": "化学学院"},
        headers=_bearer(tenant.tokens["rw"]),
    )
    assert response.status_code == 409, response.json
    assert response.json["message"] == STAFF_NUMBER_TAKEN
    assert _snapshot() == before  # the department is not changed either


def test_a_member_correcting_their_record_is_told_which_field(world, client, monkeypatch):
    tenant = world.a.first
    client.login_as(tenant.users[Role.MEMBER])
    own = tenant.members[0]
    _race(
        monkeypatch,
        members,
        "find_duplicate",
        _member_added_by_another(tenant, phone="13800006666"),
    )
    before = _snapshot()
    response = client.post(
        "/me/", data={"name": own.name, "phone": "13800006666", "email": own.email}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert PHONE_TAKEN in page
    assert "另一请求的会员" not in page  # the other member is not named
    assert _snapshot() == before


def test_a_merge_that_fills_in_an_email_another_member_holds_is_refused(world, client):
    """No race needed: the merge fills the member's empty e-mail from the application,
    and another member has that e-mail. Refused on the page, nothing merged."""
    tenant = world.a.first
    with system_scope("test: two members and an application"):
        factories.make_member(tenant.association, name="邮箱持有人", email="held@example.edu.cn")
        phone_only = factories.make_member(
            tenant.association, name="周合并", email=None, phone="13800005555"
        ).id
        application = MemberApplication(
            tenant_id=tenant.association.id,
            name="周合并",
            phone="13800005555",
            email="held@example.edu.cn",
            title="senior",
            consent_version=1,
        )
        db.session.add(application)
        db.session.commit()
        application_id = application.id
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    before = _snapshot()
    response = client.post(
        f"/members/applications/{application_id}/merge",
        data={"member_id": phone_only, "decision": "merge"},
    )
    assert response.status_code == 400
    assert EMAIL_TAKEN in response.get_data(as_text=True)
    assert _snapshot() == before


def test_an_import_whose_row_was_taken_meanwhile_writes_none_of_its_rows(world):
    tenant = world.a.first
    taken = tenant.members[1].phone
    with use_scope(Scope.association(tenant.association.id)):
        upload = db.session.scalars(sa.select(MemberImport)).first()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Member))
        rows = [
            Row(2, [], values={**_ROW, "name": "导入一", "phone": "13800004444"}),
            Row(3, [], values={**_ROW, "name": "导入二", "phone": taken}),
        ]
        with pytest.raises(Conflict) as refused:
            importing._write_members(upload, rows, [])
        assert str(refused.value) == PHONE_TAKEN
        assert refused.value.status == 409
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == count


# --- accounts ---------------------------------------------------------------------------


def test_a_username_taken_meanwhile_is_a_form_error(world, client, monkeypatch):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])

    def another_admin_made_it(connection: sa.Connection) -> None:
        connection.execute(
            sa.insert(User.__table__).values(
                username="race-clerk",
                display_name="另一位",
                password_hash="x",
                role="association_staff",
                association_id=world.a.second.association.id,  # of another association
            )
        )

    _race(monkeypatch, auth_services, "username_taken", another_admin_made_it)
    before = _snapshot()
    response = client.post(
        "/users",
        data={
            "username": "race-clerk",
            "display_name": "李秘书",
            "role": "association_staff",
            "password": "a-long-passw0rd",
        },
    )
    assert response.status_code == 400
    assert "该用户名已被使用。" in response.get_data(as_text=True)
    assert _snapshot() == before


# --- the helper itself ------------------------------------------------------------------


def test_only_the_clashing_write_is_undone_and_other_refusals_pass_through(world):
    tenant = world.a.first
    with use_scope(Scope.association(tenant.association.id)):
        kept = factories.make_member(tenant.association, name="同一请求先写的")
        clash = Member(name="撞号", phone=tenant.members[1].phone, title="senior")
        with pytest.raises(Conflict) as refused, claimed(Member, members.KEYS_TAKEN):
            db.session.add(clash)
        assert refused.value.field == "phone"
        # The request's earlier work stands, and the session goes on working.
        assert db.session.get(Member, kept.id).name == "同一请求先写的"
        db.session.flush()
        # A key the caller gave no message for is not mistaken for one it did.
        with pytest.raises(IntegrityError) as other, claimed(Member, {"phone": "x"}):
            db.session.add(Member(name="无联系方式", title="senior"))  # the one-contact check
        assert taken_field(other.value, Member.__table__) is None


@pytest.mark.skipif(not PG_URL, reason="two transactions at once: PostgreSQL")
def test_two_transactions_racing_for_one_phone_on_postgresql(monkeypatch):
    """The race with two real transactions, in a database of its own with committed rows:
    the other request's session commits its member between this request's check and its
    write; the write is refused, as a Conflict, and this request's session goes on."""
    databases = _pg_databases(PG_URL)
    app_url, owner_url = next(databases)
    app = app_on(app_url, owner_url)
    try:
        with app.app_context():
            flask_migrate.upgrade()
            with system_scope("test: committed rows"):
                association_id = factories.make_association(factories.make_federation()).id
                db.session.commit()

        def another_request(_connection: sa.Connection) -> None:
            other = Session(db, bind=db.engine)  # its own connection and transaction
            with other, use_scope(Scope.association(association_id)):
                other.add(Member(name="另一请求的会员", phone="13800003333", title="senior"))
                other.commit()

        with app.test_request_context(), use_scope(Scope.association(association_id)):
            landed = _race(monkeypatch, members, "find_duplicate", another_request)
            with pytest.raises(Conflict) as refused:
                members.create_member({"name": "赛跑者", "phone": "13800003333", "title": "senior"})
            assert landed and refused.value.field == "phone"
            assert str(refused.value) == PHONE_TAKEN
            holders = sa.select(Member.name).where(Member.phone == "13800003333")
            assert db.session.scalars(holders).all() == ["另一请求的会员"]
            db.session.rollback()
    finally:
        with app.app_context():
            db.engine.dispose()
        databases.close()
