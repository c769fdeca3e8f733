"""Tables as clerks read them in Excel: figures with thousands separators and no spurious
".0", right-aligned; names in pinyin order, not in code-point order (where 中 comes before
安); a header row that stays in view."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from service.auth.roles import Role
from service.federation.metrics import DASHBOARD_METRICS
from service.federation.models import MetricRollup
from service.sorting import by_pinyin
from service.web.filters import number
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope
from tests import factories

# Code-point order is the reverse of pinyin order for each pair: 中 (U+4E2D) < 安 (U+5B89).
ZHONG, AN = "中山大学科协", "安徽大学科协"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (231.0, "231"),
        (75480000, "75,480,000"),
        (75480000.0, "75,480,000"),
        (2.5, "2.5"),
        (2.3333, "2.33"),
        (0, "0"),
        (-1234.5, "-1,234.5"),
        (None, ""),
        ("—", "—"),
    ],
)
def test_a_figure_reads_as_in_excel(value, shown):
    assert number(value) == shown


def test_names_sort_by_pinyin_not_by_code_point():
    names = ["浙江大学", ZHONG, "北京大学", AN, "重庆大学", "Zeta University"]
    assert sorted(names)[0] == "Zeta University" and sorted(names)[1] == ZHONG
    assert by_pinyin(names) == [
        "安徽大学科协",
        "北京大学",
        "重庆大学",
        "Zeta University",
        "浙江大学",
        ZHONG,
    ]


def _rename(world) -> None:
    with system_scope("test: names whose code-point order is not their pinyin order"):
        db.session.execute(
            sa.update(Association)
            .where(Association.id == world.a.first.association.id)
            .values(name=ZHONG)
        )
        db.session.execute(
            sa.update(Association)
            .where(Association.id == world.a.second.association.id)
            .values(name=AN)
        )
        db.session.commit()


def _set_rollup(association_id: int, metric: str, value: float) -> None:
    with use_scope(Scope.association(association_id)):
        db.session.execute(sa.delete(MetricRollup).where(MetricRollup.metric == metric))
        db.session.add(
            MetricRollup(
                tenant_id=association_id, year=date.today().year, metric=metric, value=value
            )
        )
        db.session.commit()


def test_the_association_table_shows_figures_right_aligned_with_separators(world, client):
    metric = DASHBOARD_METRICS[0].code
    _set_rollup(world.a.first.association.id, metric, 75480000.0)
    _set_rollup(world.a.second.association.id, metric, 231.0)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    page = client.get(f"/federation/associations?year={date.today().year}").get_data(as_text=True)

    assert re.search(r'<td class="num"[^>]*>75,480,000</td>', page)
    assert re.search(r'<td class="num"[^>]*>231</td>', page)
    assert "75480000" not in page and "231.0" not in page
    assert re.search(r'<th class="num"><a [^>]*>[^<]*</a></th>', page)


def test_the_association_table_lists_names_by_pinyin(world, client):
    _rename(world)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])

    page = client.get("/federation/associations").get_data(as_text=True)
    assert page.index(AN) < page.index(ZHONG)
    # Sorting by name the other way round is the reverse pinyin order.
    backwards = client.get("/federation/associations?sort=name&order=desc").get_data(as_text=True)
    assert backwards.index(ZHONG) < backwards.index(AN)


def test_lists_the_database_pages_are_in_pinyin_order_too(world, client):
    """The member list is paged by the database: its ORDER BY is by pinyin as well (the
    collation "pinyin": ICU's on PostgreSQL, pypinyin's on SQLite), names with hanzi
    outside GB2312 (堃 kun, 喆 zhe, common in given names) among the others."""
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        for name in ("中文", "喆乐", "安然", "北辰", "堃明"):
            factories.make_member(association, name=name)
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])

    page = client.get("/members/?search=").get_data(as_text=True)

    names = ["安然", "北辰", "堃明", "喆乐", "中文"]
    assert [page.index(n) for n in names] == sorted(page.index(n) for n in names)


def test_table_headers_stay_in_view_and_numbers_align_right(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"thead th \{[^}]*position: sticky", css)
    assert re.search(r"td\.num \{[^}]*text-align: right", css)


# --- exports follow the filters --------------------------------------------------------


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    return [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]


def _members_for_export(world) -> None:
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        factories.make_member(association, name="中导出", department="化学院", status="withdrawn")
        factories.make_member(association, name="安导出", department="化学院", status="withdrawn")
        factories.make_member(association, name="北导出", department="化学院")
        db.session.commit()


def test_the_member_export_holds_the_filter_s_rows_in_its_order_with_their_status(world, client):
    _members_for_export(world)
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])

    rows = _xlsx_rows(client.get("/members/export.xlsx?q=化学院&status=withdrawn").data)

    assert rows[0][-1] == "状态"
    assert [(r[0], r[-1]) for r in rows[1:]] == [("安导出", "已退会"), ("中导出", "已退会")]
    # Without a filter: every member, each with the status the page shows.
    every = _xlsx_rows(client.get("/members/export.xlsx").data)
    statuses = {r[0]: r[-1] for r in every[1:]}
    assert statuses["北导出"] == "在册" and statuses["中导出"] == "已退会"


def test_the_member_csv_export_follows_the_filter_too(world, client):
    _members_for_export(world)
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    text = client.get("/members/export.csv?q=导出&status=active").data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].endswith(",状态")
    assert [line.split(",")[0] for line in lines[1:]] == ["北导出"]


def test_the_export_links_carry_the_list_s_filter(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = client.get("/members/?q=化学&status=withdrawn&title=senior").get_data(as_text=True)
    assert re.search(r'href="/members/export\.xlsx\?[^"]*status=withdrawn', page)
    for link in re.findall(r'href="(/members/export\.(?:xlsx|csv)\?[^"]*)"', page):
        assert "q=%E5%8C%96%E5%AD%A6" in link and "title=senior" in link
    activities = client.get("/activities/?status=held&task=academic").get_data(as_text=True)
    assert re.search(r'href="/activities/export\.xlsx\?[^"]*status=held', activities)


def test_the_export_of_a_filter_is_audited_with_the_filter(world, client):
    from service.audit.models import AuditEvent

    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    client.get("/members/export.xlsx?status=withdrawn")
    with system_scope("test: read the log"):
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.changes["filter"] == {"status": "withdrawn"}


def test_a_formula_in_a_filtered_export_stays_text(world, client):
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        factories.make_member(association, name="=HYPERLINK(1)", department="@导出")
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    rows = _xlsx_rows(client.get("/members/export.xlsx?q=导出").data)
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_the_association_table_export_follows_the_filter_and_the_sort(world, client):
    _rename(world)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/associations?sort=name&order=desc").get_data(as_text=True)
    link = re.search(r'href="(/federation/export/associations\.xlsx\?[^"]*)"', page).group(1)
    assert "sort=name" in link and "order=desc" in link
    rows = _xlsx_rows(client.get(link.replace("&amp;", "&")).data)
    names = [r[0] for r in rows[1:]]
    assert names.index(ZHONG) < names.index(AN)
    # Every column in the file, whatever the page shows.
    assert len(rows[0]) == 16
    filtered = _xlsx_rows(
        client.get("/federation/export/associations.xlsx?status=no_such_status&category=x").data
    )
    assert len(filtered) - 1 == len(names)
    with system_scope("test: one association suspended"):
        db.session.execute(
            sa.update(Association)
            .where(Association.id == world.a.second.association.id)
            .values(status="suspended")
        )
        db.session.commit()
    page = client.get("/federation/associations?status=suspended").get_data(as_text=True)
    link = re.search(r'href="(/federation/export/associations\.xlsx\?[^"]*)"', page).group(1)
    only = _xlsx_rows(client.get(link.replace("&amp;", "&")).data)
    assert [r[0] for r in only[1:]] == [AN]
    assert only[1][2] == "暂停"


# --- the association table's columns ----------------------------------------------------


def _header_cells(page: str) -> list[str]:
    head = page.split('<table id="association-table"')[1].split("</thead>")[0]
    return re.findall(r"<th[^>]*>(?:<a [^>]*>)?([^<▲▼]+)", head)


def test_the_association_table_shows_eight_columns_at_first(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/associations").get_data(as_text=True)
    shown = _header_cells(page)
    assert len(shown) == 8
    assert shown[0].strip() == "高校科协" and shown[-1].strip() == "健康分"
    # The chooser lists all sixteen, the shown ones ticked.
    chooser = page.split('id="column-chooser"')[1].split("</details>")[0]
    assert chooser.count('name="column"') == 15
    assert chooser.count(" checked>") == 7


def test_a_chosen_set_of_columns_is_kept_for_the_user(app, world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    chosen = client.post(
        "/federation/associations/columns?status=active&sort=health",
        data={"column": ["congresses", "health", "no_such_column"]},
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith("/federation/associations?status=active&sort=health")
    page = client.get("/federation/associations").get_data(as_text=True)
    assert [c.strip() for c in _header_cells(page)] == [
        "高校科协",
        "会员（代表）大会次数",
        "健康分",
    ]
    # Another user's table is untouched, and the default comes back on request.
    other = app.test_client()
    other.login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    assert len(_header_cells(other.get("/federation/associations").get_data(as_text=True))) == 8
    client.post("/federation/associations/columns", data={"reset": "1"})
    assert len(_header_cells(client.get("/federation/associations").get_data(as_text=True))) == 8


def test_the_column_choice_needs_the_csrf_token(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.csrf = False
    try:
        response = client.post("/federation/associations/columns", data={"column": ["health"]})
    finally:
        client.csrf = True
    assert response.status_code == 400


def test_the_table_becomes_cards_on_a_phone(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/associations").get_data(as_text=True)
    body = page.split('<table id="association-table"')[1].split("</table>")[0]
    assert 'class="cards"' in body
    cells = re.findall(r"<td[^>]*>", body.split("<tbody>")[1])
    assert cells and all("data-label=" in c for c in cells)
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"@media \(max-width: 640px\) \{\s*table\.cards \{", css)
    assert "table.cards td[data-label]::before { content: attr(data-label)" in css


def test_the_activity_export_holds_the_filter_s_rows_in_the_list_s_order(world, client):
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        for day, status in ((3, "held"), (9, "planned"), (6, "held")):
            factories.make_activity(
                association,
                title=f"导出活动{day}",
                status=status,
                subtype="cross_discipline",
                starts_on=date(2025, 3, day),
                ends_on=date(2025, 3, day),
            )
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    rows = _xlsx_rows(
        client.get("/activities/export.xlsx?subtype=cross_discipline&status=held").data
    )
    named = [
        next(c for c in r if isinstance(c, str) and c.startswith("导出活动")) for r in rows[1:]
    ]
    assert named == ["导出活动6", "导出活动3"]  # latest first, as the list shows them
    assert "状态" in rows[0]
