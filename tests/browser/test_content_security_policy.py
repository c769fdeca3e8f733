"""Every page works under the strict Content-Security-Policy: nothing is refused by the
browser, and nothing is written to the console as an error."""

import pytest

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "kexie-demo-2026"

# One account of each kind of user; each visits every page of its navigation.
ACCOUNTS = ("operator", "zj-officer", "zj-edu", "zju-admin", "zju-staff", "zju-member")

# Recorded from the first script on every page, before any of the page's own.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def watched(page):
    """The page, and the console errors and policy violations it reports."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)

    def console(message) -> None:
        # A failed load is reported below with its address; the browser's own favicon
        # request is the one 404 that is not ours.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def response(answer) -> None:
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return page, problems


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def _sign_in(page, live_server, username):
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_of_the_navigation_loads_under_the_policy(watched, live_server, username):
    page, problems = watched
    _sign_in(page, live_server, username)
    assert "/login" not in page.url, f"{username} could not sign in"
    links = page.locator("nav.main-nav a").evaluate_all("els => els.map(a => a.href)")
    assert links, f"{username} sees no navigation"
    for link in [*links, live_server + "/account/password"]:
        response = page.goto(link)
        assert response.status == 200, link
        assert "content-security-policy" in response.headers
        assert _violations(page) == [], link
    assert problems == []


def test_swagger_ui_renders_under_the_policy(watched, live_server):
    page, problems = watched
    page.goto(live_server + "/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)
    assert "University S&T Associations API" in page.locator(".swagger-ui .info").inner_text()
    assert page.locator(".opblock").count() > 10
    assert _violations(page) == []
    assert problems == []


# ReDoc's footer always asks for this logo (see static/vendor/README.md); the policy blocks
# it, so nothing leaves the browser, and ReDoc hides the image. Nothing else may be blocked.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_renders_under_the_policy(watched, live_server):
    page, problems = watched
    page.goto(live_server + "/api/v1/redoc")
    page.get_by_role("heading", name="University S&T Associations API").first.wait_for(
        timeout=15_000
    )
    assert page.locator("[role=menuitem]").count() > 5  # the operations are listed
    assert set(_violations(page)) <= {f"img-src {REDOCLY_LOGO}"}
    assert [p for p in problems if REDOCLY_LOGO not in p] == []


# Counts, on each chart, the tooltips ECharts shows: proof that the pointer found something.
COUNT_TOOLTIPS = """
() => document.querySelectorAll('[data-chart][data-rendered=true]').forEach(el => {
  el.dataset.tooltips = '0';
  echarts.getInstanceByDom(el).on('showTip', () => {
    el.dataset.tooltips = String(Number(el.dataset.tooltips) + 1);
  });
})
"""

TOOLTIPS_AND_POINTS = """
els => els.map(el => {
  const series = echarts.getInstanceByDom(el).getOption().series;
  const points = series.reduce((n, s) => n + (s.data || []).length, 0);
  return [el.id, Number(el.dataset.tooltips), points];
})
"""


def _dashboard_pages(page, live_server) -> list[str]:
    """The overview, the trends, every category the overview links to, and one association."""
    page.goto(live_server + "/federation/")
    categories = page.locator("main a[href*='/federation/categories/']").evaluate_all(
        "els => els.map(a => a.href)"
    )
    page.goto(live_server + "/federation/associations")
    association = page.locator("main a[href*='/federation/associations/']").first
    return [
        live_server + "/federation/",
        live_server + "/federation/trends",
        *dict.fromkeys(categories),
        association.evaluate("a => a.href"),
    ]


def _hover_everywhere(page, chart) -> None:
    """Sweep the pointer over the chart in rows, as a reader's mouse would cross it."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    for row in range(1, 8):
        y = box["y"] + box["height"] * row / 8
        page.mouse.move(box["x"] + 2, y)
        page.mouse.move(box["x"] + box["width"] - 2, y, steps=12)
    page.mouse.move(0, 0)


def test_hovering_every_chart_of_every_dashboard_violates_nothing(watched, live_server):
    """ECharts' default tooltip is HTML with style attributes, which the policy refuses by the
    hundred per hovered chart; the charts draw their tooltips on the canvas instead."""
    page, problems = watched
    _sign_in(page, live_server, "zj-officer")
    pages = _dashboard_pages(page, live_server)
    assert len(pages) >= 5, pages
    hovered = 0
    for link in pages:
        assert page.goto(link).status == 200, link
        page.wait_for_selector("[data-chart][data-rendered=true]")
        page.evaluate(COUNT_TOOLTIPS)
        charts = page.locator("[data-chart]")
        for index in range(charts.count()):
            _hover_everywhere(page, charts.nth(index))
        shown = charts.evaluate_all(TOOLTIPS_AND_POINTS)
        # A chart with nothing to show (a category without associations) has no tooltip.
        assert all(tips > 0 for _, tips, points in shown if points), (link, shown)
        hovered += sum(1 for _, tips, _ in shown if tips)
        assert _violations(page) == [], link
    assert hovered >= 8  # the overview's five, the trend, a category's, an association's
    assert problems == []
