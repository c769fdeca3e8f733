"""Exports of the federation's association table are in the audit log: the whole table (as
filtered) and the rows chosen in it. Each export is one line in the log of every association
it names, which the federation's own readers see in words; the association itself, another
association, another federation and the operator see nothing of it."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import system_scope

WHOLE = "/federation/export/associations.xlsx"
CHOSEN = "/federation/associations/chosen"


def _exports() -> list[AuditEvent]:
    with system_scope("test: read the log"):
        query = sa.select(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.entity == "association_table"
        )
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


def _log(client) -> str:
    response = client.get("/audit/", query_string={"entity": "association_table"})
    assert response.status_code == 200
    return html.unescape(re.sub(r"<(?!/?tr\b)[^>]*>", "", response.get_data(as_text=True)))


def _name(user, name: str) -> None:
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name=name))
    db.session.commit()


def test_the_whole_table_export_logs_each_association_it_holds(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    assert _exports() == []

    response = client.get(WHOLE)

    assert response.status_code == 200
    events = _exports()
    owned = {world.a.first.association.id, world.a.second.association.id}
    assert {e.tenant_id for e in events} == owned
    assert {e.entity_id for e in events} == {str(i) for i in owned}
    assert all(e.changes["selection"] == "filter" for e in events)
    assert all(e.changes["rows"] == len(events) for e in events)
    assert world.b.first.association.id not in {e.tenant_id for e in events}


def test_a_filtered_export_logs_only_the_rows_of_the_filter(world, client):
    from tenants.models import Association

    kept = world.a.first.association
    with system_scope("test: one association dissolved"):
        db.session.execute(
            sa.update(Association)
            .where(Association.id == world.a.second.association.id)
            .values(status="dissolved")
        )
        db.session.commit()
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    assert client.get(WHOLE, query_string={"status": "active"}).status_code == 200

    assert [(e.tenant_id, e.changes["rows"]) for e in _exports()] == [(kept.id, 1)]


def test_the_federation_reads_both_exports_in_chinese(world, client):
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _name(officer, "王主任")
    client.login_as(officer)
    client.get(WHOLE)
    client.post(CHOSEN, data={"action": "export", "association_id": [world.a.first.association.id]})

    log = _log(client)

    rows = [row for row in log.split("<tr") if row.startswith(' data-record="association_table ')]
    assert len(rows) == 3  # two rows of the whole table, one chosen
    assert all("王主任 导出了 高校科协总表" in row for row in rows)
    assert sum("导出范围：总表当前筛选出的全部高校科协" in row for row in rows) == 2
    assert sum("导出范围：总表中勾选的高校科协" in row for row in rows) == 1
    assert all("文件格式：xlsx" in row and "行数：" in row for row in rows)
    assert any(f"高校科协：{world.a.first.association.name}" in row for row in rows)
    for code in ("selection", "chosen", "filter", "rows", "format"):
        assert not any(re.search(rf"\b{code}\b", row) for row in rows), code


def test_nobody_outside_the_federation_sees_that_it_exported(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.get(WHOLE)
    client.post(CHOSEN, data={"action": "export", "association_id": [world.a.first.association.id]})
    assert len(_exports()) == 3

    for reader in (
        world.a.first.users[Role.ASSOCIATION_ADMIN],  # the association exported
        world.a.second.users[Role.ASSOCIATION_ADMIN],
        world.b.users[Role.FEDERATION_OFFICER],  # another federation
        world.b.first.users[Role.ASSOCIATION_ADMIN],
        world.operator,
    ):
        client.login_as(reader)
        page = client.get("/audit/").get_data(as_text=True)
        assert "导出了 高校科协总表" not in html.unescape(page), reader.role
        assert 'data-record="association_table' not in page, reader.role
