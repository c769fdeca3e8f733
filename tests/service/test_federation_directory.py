"""The platform operator creates a federation in the UI and opens its directory entry: its
supervisors' accounts and its associations' names, never their data."""

from __future__ import annotations

import sqlalchemy as sa

from service.federation.models import UniversityCategory
from tenants.db import db
from tenants.models import Federation
from tenants.scope import system_scope


def _new(client, **data):
    form = {"code": "GD", "name": "广东省高校科协联合会", "province": "广东省", **data}
    return client.post("/operator/federations/new", data=form)


def test_the_operator_creates_a_federation_and_opens_it(world, client):
    client.login_as(world.operator)
    assert "新建省级联合组织" in client.get("/operator").get_data(as_text=True)
    response = _new(client)
    assert response.status_code == 302
    with system_scope("test: the new federation"):
        federation = db.session.scalar(sa.select(Federation).where(Federation.code == "GD"))
        taxonomy = db.session.scalars(
            sa.select(UniversityCategory.code).where(
                UniversityCategory.federation_id == federation.id
            )
        ).all()
    assert response.headers["Location"].endswith(f"/operator/federations/{federation.id}")
    assert len(taxonomy) >= 4  # the default categories, ready for its first association
    page = client.get(f"/operator/federations/{federation.id}").get_data(as_text=True)
    assert "广东省高校科协联合会" in page and "尚无账号" in page and "尚无高校科协" in page
    assert "广东省高校科协联合会" in client.get("/operator").get_data(as_text=True)


def test_a_federation_entry_lists_names_and_accounts_not_data(world, client):
    client.login_as(world.operator)
    page = client.get(f"/operator/federations/{world.a.federation.id}").get_data(as_text=True)
    assert world.a.first.association.name in page and world.a.second.association.name in page
    assert world.a.users[next(iter(world.a.users))].username in page
    assert world.b.first.association.name not in page
    assert world.a.first.members[0].name not in page


def test_a_taken_code_or_a_bad_one_is_a_form_error_and_creates_nothing(world, client):
    client.login_as(world.operator)
    with system_scope("test: count"):
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Federation))
    taken = _new(client, code=world.a.federation.code.lower())
    assert taken.status_code == 400 and "已有省级联合组织使用此代码" in taken.get_data(as_text=True)
    bad = _new(client, code="广东")
    assert bad.status_code == 400 and "只能包含字母、数字和 -" in bad.get_data(as_text=True)
    with system_scope("test: count"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Federation)) == before


def test_an_unknown_federation_is_404(world, client):
    client.login_as(world.operator)
    assert client.get("/operator/federations/999999").status_code == 404
