"""The audit log in words, as a secretariat clerk reads it: who (by name), did what (in
Chinese), to which record (by its title), which fields (by their labels), from which value to
which (by their labels), when (in Beijing time); and the filters that narrow it."""

from __future__ import annotations

import html
import re
from datetime import datetime

import sqlalchemy as sa

from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.roles import Role
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests import factories


def _rename(user, name: str) -> None:
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name=name))
    db.session.commit()


def _log(client, **args) -> str:
    response = client.get("/audit/", query_string=args)
    assert response.status_code == 200
    # The text as read: tags dropped (a name sits in its own <span>), entities decoded.
    return html.unescape(
        re.sub(r"<(?!/?(tr|table|option|time)\b)[^>]*>", "", response.get_data(as_text=True))
    )


def _advanced(world, client) -> int:
    """An activity planned by the secretariat, then marked held through the page."""
    association = world.a.first.association
    with use_scope(Scope.association(world.a.first.association.id)):
        activity_id = factories.make_activity(
            association, title="校际学术论坛", status="planned"
        ).id
        db.session.commit()
    client.post(f"/activities/{activity_id}/advance", data={"confirmed": "yes"})
    return activity_id


def _rows(page: str) -> str:
    return page.split("<table")[1]


def test_a_change_reads_as_a_sentence_with_labels_and_names(client, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    _rename(admin, "张三")
    client.login_as(admin)
    _advanced(world, client)

    page = _log(client)

    assert "张三 修改了 活动《校际学术论坛》" in page
    assert "状态：计划中 → 已举办" in page
    assert admin.username not in page and f"user:{admin.id} " not in page
    assert "Time (UTC)" not in page
    for code in ("update", "planned", "['", "None", "status"):
        assert code not in _rows(page), code


def test_times_are_in_beijing_time(client, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    client.login_as(admin)
    _advanced(world, client)
    with use_scope(Scope.association(world.a.first.association.id)):
        latest = db.session.scalars(
            db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
        latest_utc = latest.occurred_at

    page = _log(client)

    shown = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)[0]
    beijing = datetime.strptime(shown, "%Y-%m-%d %H:%M")
    hours = (beijing - latest_utc.replace(second=0, microsecond=0)).total_seconds() / 3600
    assert round(hours) == 8
    assert "北京时间" in page


def test_a_created_record_shows_its_values_by_label_and_no_bookkeeping(client, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    client.login_as(admin)
    _advanced(world, client)

    page = _log(client, action="create", entity="activity")

    assert "新建了 活动《校际学术论坛》" in page
    assert "任务：学术交流" in page or "任务：学术交流与合作" in page
    assert "类型：校际学术交流" in page
    assert "inter_university" not in page and "academic" not in page
    rows = _rows(page)
    assert "参加人数：120" in rows or "参与人数：120" in rows
    for code in ("tenant_id", "created_by", "factory", "participants"):
        assert code not in rows, code


def test_personal_fields_show_only_that_they_changed(client, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    association = world.a.first.association
    with use_scope(Scope.association(world.a.first.association.id)):
        member = factories.make_member(association, name="李四", phone="13800000000")
        db.session.commit()
        member.phone = "13900000000"
        db.session.commit()
    page = _log(client.login_as(admin), entity="member")

    assert "（已更改）" in page
    assert "13800000000" not in page and "13900000000" not in page
    assert "李四" not in page  # a personal name never names the record in the log


def test_filters_narrow_by_action_record_kind_actor_and_date(client, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    _rename(admin, "张三")
    client.login_as(admin)
    _advanced(world, client)

    changed = _log(client, action="update")
    assert "修改了 活动《校际学术论坛》" in changed and "新建了" not in _rows(changed)

    by_kind = _log(client, entity="member")
    assert "校际学术论坛" not in by_kind

    page = _log(client)
    assert '<option value="user:' in page and ">张三</option>" in page
    key = re.search(r'<option value="(user:\d+)"[^>]*>张三</option>', page).group(1)
    assert "校际学术论坛" in _log(client, actor=key)
    assert "校际学术论坛" not in _log(client, actor="user:999999")  # not offered: no rows
    assert "校际学术论坛" not in _log(client, **{"from": "2000-01-01", "to": "2000-01-31"})

    refused = _log(client, **{"from": "yesterday"})
    assert "不是日期" in refused


def test_values_the_log_kept_as_python_text_read_as_words(app):
    """Older events kept structures as Python's text of them; they read as plain words."""
    from service.audit.presentation import value_label

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        errors = value_label("member_import", "errors", "[{'row': 3, 'message': '不是日期'}]")
        figures = value_label(
            "annual_report", "figures", str({f"ORG{i:02d}": i for i in range(20)})
        )
        status = value_label("annual_report", "status", "['draft', 'locked']")
        empty = value_label("activity", "place", None)
        year = value_label("metric_rollup", "year", 2026)

    assert errors == "row：3；message：不是日期"
    assert figures == "20 项"
    assert "[" not in status and "'" not in status
    assert empty == "—" and year == "2026"


def test_the_actor_filter_offers_only_the_viewers_own_accounts(world, client):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    _rename(admin, "张三")
    client.login_as(admin)
    _advanced(world, client)

    neighbour = _log(client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN]))
    officer = _log(client.login_as(world.a.users[Role.FEDERATION_OFFICER]))

    for page in (neighbour, officer):
        assert ">张三</option>" not in page and f'value="user:{admin.id}"' not in page
    # The officer sees that the association's secretariat acted, by role, not by name.
    assert "张三" not in officer
