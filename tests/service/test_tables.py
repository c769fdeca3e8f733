"""Tables as clerks read them in Excel: figures with thousands separators and no spurious
".0", right-aligned; names in pinyin order, not in code-point order (where 中 comes before
安); a header row that stays in view."""

from __future__ import annotations

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

    assert '<td class="num">75,480,000</td>' in page
    assert '<td class="num">231</td>' in page
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
    """The member list is paged by the database: its ORDER BY is by pinyin as well (on
    PostgreSQL by the names' GB18030 bytes, on SQLite by a pinyin collation)."""
    association = world.a.first.association
    with use_scope(Scope.association(association.id)):
        factories.make_member(association, name="中文")
        factories.make_member(association, name="安然")
        factories.make_member(association, name="北辰")
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])

    page = client.get("/members/?search=").get_data(as_text=True)

    assert page.index("安然") < page.index("北辰") < page.index("中文")


def test_table_headers_stay_in_view_and_numbers_align_right(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"thead th \{[^}]*position: sticky", css)
    assert re.search(r"td\.num \{[^}]*text-align: right", css)
