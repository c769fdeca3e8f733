"""The federation's association table acts on ticked rows: their export alone (logged, no
formula left live), or guidance addressed to them that the officer then writes and sends.
An association of another federation can be neither exported nor addressed."""

from __future__ import annotations

import html
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.federation.models import Guidance
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope

URL = "/federation/associations/chosen"


def _rows(data: bytes) -> list[list]:
    return [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]


def _exports() -> list[AuditEvent]:
    """The exports in the logs of the associations exported (their federation reads them)."""
    with system_scope("test: read the log"):
        return list(
            db.session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == "export", AuditEvent.entity == "association_table"
                )
            )
        )


def _guidance_count() -> int:
    with system_scope("test: count guidance"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Guidance))


def test_each_row_has_a_checkbox_and_the_officer_both_actions(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/associations").get_data(as_text=True)
    form = page.split('id="bulk-form"')[1].split("</form>")[0]
    for owned in (world.a.first, world.a.second):
        assert f'name="association_id" value="{owned.association.id}"' in form
    assert 'class="bulk-form"' in page and "bulk.js" in page
    assert "导出所选" in form and "向所选发送指导" in form
    # A supervisor reads and exports, but issues no guidance.
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    page = client.get("/federation/associations").get_data(as_text=True)
    assert "导出所选" in page and "向所选发送指导" not in page


def test_the_export_holds_exactly_the_chosen_associations_and_is_logged(world, client):
    chosen = world.a.second.association
    with system_scope("test: a name that looks like a formula"):
        db.session.execute(
            sa.update(Association).where(Association.id == chosen.id).values(name="=HYPERLINK(1)")
        )
        db.session.commit()
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    response = client.post(URL, data={"action": "export", "association_id": [chosen.id]})

    assert response.status_code == 200
    rows = _rows(response.data)
    assert len(rows[0]) == 16  # the columns of the whole table's export
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)"]
    (event,) = _exports()  # one line, in the log of the association exported
    assert (event.entity_id, event.tenant_id) == (str(chosen.id), chosen.id)
    assert event.changes["selection"] == "chosen" and event.changes["rows"] == 1


def test_guidance_opens_addressed_to_the_chosen_associations(world, client):
    first, second = world.a.first.association, world.a.second.association
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    issued = _guidance_count()

    response = client.post(URL, data={"action": "guidance", "association_id": [second.id]})

    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert location.endswith(f"/federation/guidance/new?association={second.id}")
    page = client.get(location).get_data(as_text=True)
    selected = re.findall(r'<option selected value="([^"]+)">', page)
    assert selected == ["associations", str(second.id)]
    assert f'<option value="{first.id}">' in page
    assert _guidance_count() == issued  # nothing is sent until the officer sends it


def test_a_supervisor_cannot_open_guidance_from_the_table(world, client):
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    chosen = world.a.first.association.id
    response = client.post(URL, data={"action": "guidance", "association_id": [chosen]})
    assert response.status_code == 403


def test_nothing_chosen_comes_back_to_the_table_with_a_message(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(f"{URL}?status=active", data={"action": "export"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/federation/associations?status=active")
    assert _exports() == []


def test_another_federation_s_association_is_neither_exported_nor_addressed(world, client):
    own, foreign = world.a.first.association.id, world.b.first.association.id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    for action in ("export", "guidance"):
        response = client.post(URL, data={"action": action, "association_id": [own, foreign]})
        assert response.status_code == 404, action
    assert _exports() == []
    assert client.get(f"/federation/guidance/new?association={foreign}").status_code == 404
    assert client.get(f"/federation/guidance/new?association={own}").status_code == 200
    assert client.get("/federation/guidance/new?association=x").status_code == 400


# --- every association of the filter ----------------------------------------------------


def _dissolve(association_id: int) -> None:
    with system_scope("test: one association dissolved"):
        db.session.execute(
            sa.update(Association)
            .where(Association.id == association_id)
            .values(status="dissolved")
        )
        db.session.commit()


def test_the_table_offers_every_association_of_the_filter_with_its_count(world, client):
    _dissolve(world.a.second.association.id)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/associations?status=active").get_data(as_text=True)
    form = page.split('id="bulk-form"')[1].split("</form>")[0]
    assert 'name="all_matching" value="yes"' in form
    assert "选择当前筛选条件下的全部 1 个高校科协" in form
    assert f"{URL}?status=active" in page  # the form posts to the filter in force
    everything = client.get("/federation/associations").get_data(as_text=True)
    assert "选择当前筛选条件下的全部 2 个高校科协" in everything


def test_every_association_of_the_filter_asks_first_saying_how_many(world, client):
    first, second = world.a.first.association, world.a.second.association
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    response = client.post(URL, data={"action": "export", "all_matching": "yes"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    assert "对当前筛选条件下的全部高校科协执行此操作？" in page
    assert "当前筛选条件下的全部 2 个高校科协将导出为 Excel" in page
    assert first.name in page and second.name in page
    assert "未设筛选条件" in page
    assert _exports() == []


def test_the_filter_is_worked_out_again_and_posted_ids_are_not_read(world, client):
    kept, dropped = world.a.first.association, world.a.second.association
    _dissolve(dropped.id)
    foreign = world.b.first.association.id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    data = {
        "action": "export",
        "all_matching": "yes",
        # Ids the page might send (one of another federation, one outside the filter):
        # with the whole filter chosen, they are not read.
        "association_id": [foreign, dropped.id],
    }

    asked = html.unescape(client.post(f"{URL}?status=active", data=data).get_data(as_text=True))
    assert "总表的筛选条件：状态：" in asked and "全部 1 个高校科协" in asked
    response = client.post(f"{URL}?status=active", data={**data, "confirmed": "yes"})

    assert response.status_code == 200
    assert [r[0] for r in _rows(response.data)[1:]] == [kept.name]
    (event,) = _exports()
    assert event.tenant_id == kept.id and event.changes["selection"] == "filter"


def test_guidance_to_every_association_of_the_filter(world, client):
    first, second = world.a.first.association, world.a.second.association
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    issued = _guidance_count()
    data = {"action": "guidance", "all_matching": "yes"}

    asked = html.unescape(client.post(URL, data=data).get_data(as_text=True))
    assert "将打开工作指导表单，收件方为当前筛选条件下的全部 2 个高校科协" in asked
    response = client.post(URL, data={**data, "confirmed": "yes"})

    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert sorted(re.findall(r"association=(\d+)", location)) == sorted(
        [str(first.id), str(second.id)]
    )
    page = client.get(location).get_data(as_text=True)
    selected = re.findall(r'<option selected value="([^"]+)">', page)
    assert sorted(selected) == sorted(["associations", str(first.id), str(second.id)])
    assert _guidance_count() == issued  # nothing is sent until the officer sends it


def test_a_supervisor_cannot_address_every_association_either(world, client):
    client.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    data = {"action": "guidance", "all_matching": "yes"}
    assert client.post(URL, data=data).status_code == 403
    assert client.post(URL, data={**data, "confirmed": "yes"}).status_code == 403


def test_another_federation_s_whole_filter_is_its_own(world, client):
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    data = {"action": "export", "all_matching": "yes", "confirmed": "yes"}
    response = client.post(URL, data=data)
    assert response.status_code == 200
    names = [r[0] for r in _rows(response.data)[1:]]
    assert world.b.first.association.name in names
    assert world.a.first.association.name not in names
    assert world.a.second.association.name not in names
    assert {e.tenant_id for e in _exports()} <= {
        world.b.first.association.id,
        world.b.second.association.id,
    }


def test_a_filter_that_matches_nothing_comes_back_with_a_message(world, client):
    _dissolve(world.a.first.association.id)
    _dissolve(world.a.second.association.id)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    data = {"action": "export", "all_matching": "yes", "confirmed": "yes"}
    response = client.post(f"{URL}?status=active", data=data)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/federation/associations?status=active")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "没有符合当前筛选条件的高校科协。" in follow
    assert _exports() == []
