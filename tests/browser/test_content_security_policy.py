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
    page.get_by_role("button", name="登录").click()
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
