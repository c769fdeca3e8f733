"""Charts that read at a glance: the rules of service/federation/charts.py held by every
chart of every dashboard page, and what each rule does to awkward data (a single share,
eleven series, long names); printed, a dashboard says who issued it and when."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest

from service.auth.roles import Role
from service.federation import charts
from service.federation.charts import MAX_SERIES, PALETTE, readability_problems

# What the charts used to be: a legend over the plot, eleven lines, a pie of one slice,
# labels cut without a word of it. The rules must see each of these.
OLD_ASSOCIATION_CHART = {
    "tooltip": {"trigger": "axis"},
    "legend": {"top": 24},
    "grid": {"top": 60, "containLabel": True},
    "xAxis": {"type": "category", "data": ["2024", "2025"]},
    "yAxis": {"type": "value"},
    "series": [{"type": "line", "name": f"指标{i}", "data": [i, i + 1]} for i in range(11)],
}
OLD_STATUS_DONUT = {
    "tooltip": {"trigger": "item"},
    "series": [{"type": "pie", "data": [{"name": "正常", "value": 14}]}],
}


def test_the_rules_see_what_the_old_charts_did_wrong():
    problems = readability_problems(OLD_ASSOCIATION_CHART)
    assert "11 series on one axis" in problems
    assert "a legend that may sit over the plot" in problems
    assert "series without a colour of their own" in problems
    assert "category labels that may overlap or be dropped" in problems
    assert "a pie of a single slice" in readability_problems(OLD_STATUS_DONUT)


def test_a_share_of_one_is_shown_as_its_number():
    option = charts._pie("按状态统计的高校科协", {"正常": 14, "暂停": 0})
    assert option["series"] == []
    texts = [g["style"]["text"] for g in option["graphic"]]
    assert texts == ["14", "正常"]
    assert readability_problems(option) == []
    # Two shares are a donut, each slice its own colour.
    donut = charts._pie("覆盖", {"有": 14, "没有": 3})
    assert [d["value"] for d in donut["series"][0]["data"]] == [14, 3]
    assert len(set(donut["color"])) == 2
    assert readability_problems(donut) == []


def test_many_series_become_the_largest_five_and_the_rest_summed(app):
    series = {f"类别{i}": [i, 2 * i] for i in range(1, 10)}
    with app.test_request_context():
        kept = charts.top_series(series)
        option = charts._lines("趋势", [2024, 2025], series)
    assert list(kept)[:MAX_SERIES] == ["类别9", "类别8", "类别7", "类别6", "类别5"]
    assert kept["其他"] == [1 + 2 + 3 + 4, 2 + 4 + 6 + 8]
    assert len(option["series"]) == MAX_SERIES + 1
    # The summed rest in grey, every other series its own colour from the palette.
    assert option["color"][:MAX_SERIES] == list(PALETTE[:MAX_SERIES])
    assert option["color"][-1] == charts.OTHERS_COLOUR
    assert readability_problems(option) == []
    # Six series stay six: nothing is summed away for one more.
    six = {f"类别{i}": [i] for i in range(6)}
    assert charts.top_series(six) == six


def test_long_names_turn_and_end_in_an_ellipsis_with_the_tooltip_naming_them(app):
    names = [f"某某省某某大学第{i}学院科学技术协会" for i in range(12)]
    with app.test_request_context():
        option = charts._bars("每个高校科协", names, {"个人会员": list(range(12))})
    label = option["xAxis"]["axisLabel"]
    assert label["rotate"] == 45 and label["overflow"] == "truncate" and label["interval"] == 0
    assert option["tooltip"]["trigger"] == "axis"
    assert "legend" not in option  # one series names itself in the title
    assert readability_problems(option) == []


def test_the_association_s_years_are_small_multiples(app):
    labels = {f"m{i}": f"指标{i}" for i in range(11)}
    data = {"years": [2024, 2025], "metrics": {f"m{i}": [i, i * 100] for i in range(11)}}
    with app.test_request_context():
        small = charts.association(data, labels)
    assert len(small) == 11
    assert all(len(option["series"]) == 1 for option in small)
    assert [option["title"]["text"] for option in small] == list(labels.values())
    assert all(readability_problems(option) == [] for option in small)


def _chart_options(page: str) -> list[dict]:
    return [json.loads(html.unescape(raw)) for raw in re.findall(r'data-chart="([^"]*)"', page)]


def _dashboard_urls(world) -> list[str]:
    return [
        "/federation/",
        f"/federation/?year={date.today().year}",
        "/federation/trends",
        "/federation/trends?metric=members_group",
        f"/federation/associations/{world.a.first.association.id}",
        *(
            f"/federation/categories/{code}"
            for code in ("research", "teaching_research", "teaching")
        ),
    ]


@pytest.mark.parametrize("role", [Role.FEDERATION_OFFICER, Role.EDUCATION_SUPERVISOR])
def test_every_chart_of_every_dashboard_keeps_the_rules(world, client, role):
    client.login_as(world.a.users[role])
    seen = 0
    for url in _dashboard_urls(world):
        response = client.get(url)
        if response.status_code == 404:  # a category the world does not have
            continue
        assert response.status_code == 200, url
        for option in _chart_options(response.get_data(as_text=True)):
            assert readability_problems(option) == [], (url, option.get("title"))
            seen += 1
    assert seen >= 8


def test_a_printed_dashboard_names_its_issuer_and_the_day(world, client):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/federation/").get_data(as_text=True)
    header = re.search(r'<div class="print-header">(.*?)</div>', page).group(1)
    assert f"发布单位：{world.a.federation.name}" in header
    assert re.search(r"打印日期：\d{4}-\d{2}-\d{2}", header)
    # Pages of an association say nothing of the kind.
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert 'class="print-header"' not in client.get("/activities/").get_data(as_text=True)


def test_a_chart_is_never_cut_across_two_printed_pages(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    printing = "".join(re.findall(r"@media print \{(.*?)\n\}", css, re.S))
    assert re.search(r"\.chart[^{]*\{[^}]*break-inside: avoid", printing)
    assert re.search(r"\.print-header \{ display: flex", printing)
