"""A provincial supervisor opens the overview and a category view: every chart is drawn
(its canvas has ink, its option has data) and the numbers match the API's."""

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser

# For each chart: how many canvas pixels are neither transparent nor white, and how many data
# points its series hold. A chart that failed to draw has neither.
CHART_INK = """
els => els.map(el => {
  const canvas = el.querySelector('canvas');
  const ctx = canvas.getContext('2d');
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const white = pixels[i] > 245 && pixels[i + 1] > 245 && pixels[i + 2] > 245;
    if (pixels[i + 3] > 0 && !white) ink++;
  }
  const option = echarts.getInstanceByDom(el).getOption();
  const points = option.series.reduce((n, s) => n + (s.data || []).length, 0);
  // A share of one (a pie of a single slice) is drawn as its number instead.
  const number = (option.graphic || []).some(g => (g.elements || []).length > 0);
  return {id: el.id, ink: ink, points: points, number: number};
})
"""


def _charts(page) -> list[dict]:
    page.wait_for_selector("[data-chart][data-rendered=true]")
    page.wait_for_timeout(1500)  # the charts' entry animation
    return page.locator("[data-chart]").evaluate_all(CHART_INK)


def test_the_overview_draws_its_charts(page, live_server):
    _sign_in(page, live_server, "zj-edu")
    page.get_by_role("navigation").get_by_role("link", name="数据看板").click()
    page.wait_for_load_state()
    charts = _charts(page)
    assert {c["id"] for c in charts} == {
        "chart-status",
        "chart-coverage",
        "chart-members",
        "chart-activities",
        "chart-findings",
    }
    for chart in charts:
        # A number drawn alone has less ink than a chart, but has some.
        assert chart["ink"] > (500 if chart["number"] else 2000), chart
        assert chart["points"] > 0 or chart["number"], chart
    api = page.request.get(live_server + "/federation/export/overview.xlsx")
    assert api.ok
    individual = page.locator("#n-individual").inner_text()
    # As Excel shows it: thousands separated (3,791), never 3791.0.
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", individual) and int(individual.replace(",", "")) > 0
    screenshot(page, "federation-overview")


def test_the_category_view_draws_the_placement(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/federation/categories/research")
    (chart,) = _charts(page)
    assert chart["ink"] > 2000 and chart["points"] == 3, chart  # the three research universities
    body = page.locator("main").inner_text()
    assert "中位数" in body and "浙江大学科学技术协会" in body
    screenshot(page, "federation-category-research")


def test_the_published_page_of_exemplars_is_read_without_signing_in(page, live_server):
    """The demo's Zhejiang federation published its page: a visitor reads the recognised
    exemplars it published, and not the one still proposed."""
    page.goto(live_server + "/public/federations/ZJ/exemplars")
    body = page.locator("main").inner_text()
    assert "“求是”青年科普讲师团" in body and "浙江大学科学技术协会" in body
    assert "王海燕" not in body  # proposed, not recognised
    screenshot(page, "federation-public-exemplars")
    assert page.goto(live_server + "/public/federations/SC/exemplars").status == 404


def test_the_officer_sees_the_recognised_exemplars_and_the_public_address(page, live_server):
    _sign_in(page, live_server, "zj-officer")
    page.goto(live_server + "/federation/")
    page.locator("nav.subnav").get_by_role("link", name="先进典型").click()
    page.wait_for_load_state()
    table = page.locator("#exemplars").inner_text()
    assert "“求是”青年科普讲师团" in table and "王海燕" not in table
    assert page.locator("#public-url").inner_text().endswith("/public/federations/ZJ/exemplars")
    screenshot(page, "federation-exemplars")
