"""Accessibility: axe-core (vendored for the tests only, tests/browser/vendor) finds no serious
or critical WCAG 2.x A/AA violation on any page a user of each kind reaches from the sidebar,
two clicks deep (one on a phone), nor on the visitors' pages, in English, or on forms showing
their errors; every form control has a label of its own; and the sign-in, a form and the
phone's menu work from the keyboard alone, with the focus visible.

The app's Content-Security-Policy refuses an injected <script> (Playwright's add_script_tag is
inline), so axe's source is evaluated through the DevTools protocol instead, which the policy
does not govern; the pages are audited under their real policy."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_content_security_policy import ACCOUNTS, DEMO_PASSWORD, _sign_in
from tests.browser.test_layout import OVERFLOW, PHONE

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

# WCAG 2.0, 2.1 and 2.2 at levels A and AA.
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The violations that fail a page: what axe rates serious or critical. Each as
# "rule (impact): the offending elements".
RUN_AXE = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` + v.nodes.map(n => n.target.join(' ')).join(', '));
}
"""

# Form controls named by nothing of their own: no <label>, no aria-label(ledby). axe also
# accepts a title or a placeholder as a name; a clerk needs a label that stays in view.
UNLABELLED = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length)
             && !(el.getAttribute('aria-label') || '').trim()
             && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))
"""

# Links that leave the HTML pages: downloads, files, the language switch, sign-out, the
# start of a university's sign-in (it leads to another site), the API and its docs.
NOT_A_PAGE = re.compile(
    r"\.(xlsx|csv|json|pdf|docx?|zip)(\?|$)|/files/|/documents/|/minutes|/evidence/|"
    r"response-file|/language/|/logout|/metrics|/api/|/sso/(federation/)?\d+/login"
)

# Pages nobody signed in: the sign-in and its ways back in, applying to found an association
# or to join one, the federation's public exemplars, and a page that does not exist.
ANONYMOUS_PAGES = (
    "/login",
    "/account/forgot-password",
    "/account-recovery",
    "/establishment/apply",
    "/establishment/track",
    "/join/1",
    "/public/federations/ZJ/exemplars",
    "/no-such-page",
)


def _audit(page, where: str) -> list[str]:
    """What keeps `where` (the page shown) from being usable by everyone."""
    page.evaluate(AXE_SOURCE)
    problems = [f"{where}: {v}" for v in page.evaluate(RUN_AXE, STANDARDS)]
    problems += [f"{where}: no label: {c}" for c in page.evaluate(UNLABELLED)]
    return problems


def _shape(url: str) -> str:
    """A page's kind: its path with the ids taken out (one member stands for all)."""
    return re.sub(r"\d+", "#", urlsplit(url).path)


def _links_in_main(page, live_server: str) -> list[str]:
    hrefs = page.locator("main a[href]").evaluate_all("els => els.map(a => a.href)")
    return [
        h.split("#")[0]
        for h in hrefs
        if h.startswith(live_server + "/") and not NOT_A_PAGE.search(h)
    ]


def _walk(
    page, live_server: str, start: list[str], depth: int = 2, also=None
) -> tuple[list[str], list[str]]:
    """Audit the start pages and the pages linked from their content `depth` clicks deep,
    one page of each kind (and `also(page, where)`'s problems on each). Returns the pages
    seen and the problems found."""
    seen: dict[str, str] = {}
    problems: list[str] = []
    level = list(dict.fromkeys(start))
    for _ in range(depth + 1):
        following: list[str] = []
        for url in level:
            if _shape(url) in seen:
                continue
            seen[_shape(url)] = url
            response = page.goto(url)
            where = url.removeprefix(live_server)
            if response.status != 200:
                problems.append(f"{where}: status {response.status}")
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            problems += _audit(page, where)
            if also is not None:
                problems += also(page, where)
            following += _links_in_main(page, live_server)
        level = list(dict.fromkeys(u for u in following if _shape(u) not in seen))
    return list(seen.values()), problems


def _walk_as(
    page, live_server: str, username: str, depth: int, also=None
) -> tuple[list[str], list[str]]:
    """Sign in as `username` and walk from the sidebar and the password page."""
    _sign_in(page, live_server, username)
    sidebar = page.locator("#sidebar a").evaluate_all("els => els.map(a => a.href)")
    assert sidebar, f"{username} sees no sidebar"
    start = [*sidebar, live_server + "/account/password"]
    pages, problems = _walk(page, live_server, start, depth, also)
    assert len(pages) > len(set(sidebar)), pages  # the walk went past the sidebar
    return pages, problems


# The pages each user works in most, which the walk must have reached: records and their
# edit forms, the new-record forms, a report, a guidance item.
MUST_REACH = {
    "operator": {"/users", "/operator/federations/#", "/reporting/form-headers/#/CAST-ORG"},
    "zj-officer": {"/reporting/reports/#", "/federation/guidance/#", "/federation/guidance/new"},
    "zj-edu": {"/reporting/reports/#", "/federation/guidance/#", "/federation/associations/#"},
    "zju-admin": {
        "/members/#",
        "/members/#/edit",
        "/members/new",
        "/activities/#",
        "/activities/#/edit",
        "/activities/new/academic",
        "/guidance/#",
    },
    "zju-staff": {"/members/#", "/activities/#", "/activities/new/popularisation"},
    "zju-member": {"/me/", "/suggestions/new"},
}


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_of_each_kind_of_user_passes_axe(page, live_server, username):
    pages, problems = _walk_as(page, live_server, username, depth=2)
    assert MUST_REACH[username] <= {_shape(url) for url in pages}
    assert not problems, "\n".join(problems)


def _fits_a_phone(page, where: str) -> list[str]:
    """At 390 px: nothing scrolls sideways, and the header is at most 64 px high."""
    problems = []
    over, widest = page.evaluate(OVERFLOW)
    if over > 0:
        problems.append(f"{where}: scrolls sideways by {over}px: {widest}")
    height = page.locator("header.site-header").bounding_box()["height"]
    if height > 64:
        problems.append(f"{where}: a header of {height}px")
    return problems


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_on_a_phone_passes_axe(browser, live_server, username):
    """At 390 px a wide table scrolls in its own box, which the keyboard must reach; and
    every page reached (one click past the sidebar) fits the phone's width."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        _, problems = _walk_as(page, live_server, username, depth=1, also=_fits_a_phone)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_pages_for_visitors_pass_axe(page, live_server):
    problems = []
    for path in ANONYMOUS_PAGES:
        response = page.goto(live_server + path)
        assert response.status == (404 if path == "/no-such-page" else 200), path
        problems += _audit(page, path)
    assert not problems, "\n".join(problems)


def test_the_pages_in_english_pass_axe(page, live_server):
    """The same pages in the second language: <html lang="en">, and nothing else broken."""
    _sign_in(page, live_server, "zju-admin")
    page.goto(live_server + "/language/en?next=/")
    assert page.locator("html").get_attribute("lang") == "en"
    sidebar = page.locator("#sidebar a").evaluate_all("els => els.map(a => a.href)")
    _, problems = _walk(page, live_server, sidebar, depth=0)
    assert not problems, "\n".join(problems)


def test_forms_showing_their_errors_pass_axe(page, live_server):
    """A refused form: the errors are read with their fields, and the page still passes."""
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("zju-admin")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()
    problems = _audit(page, "/login (refused)")

    _sign_in(page, live_server, "zju-admin")
    for path in ("/members/new", "/activities/new/academic"):
        page.goto(live_server + path)
        page.get_by_role("button", name="保存").click()  # with nothing filled in
        page.wait_for_load_state()
        invalid = page.locator("[aria-invalid=true]")
        assert invalid.count() >= 1, path
        # The field names its error, so that a screen reader reads them together.
        error = page.locator("#" + invalid.first.get_attribute("aria-describedby"))
        assert error.inner_text().strip(), path
        problems += _audit(page, f"{path} (refused)")
    assert not problems, "\n".join(problems)


def test_the_phone_layout_with_its_menus_open_passes_axe(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, "zju-admin")
        problems = _audit(page, "/ (phone)")
        page.get_by_role("button", name="菜单").click()
        assert page.locator("#sidebar").is_visible()
        problems += _audit(page, "/ (phone, menu open)")
        page.keyboard.press("Escape")
        page.locator("details.account-menu summary").click()
        assert page.locator(".account-panel").is_visible()
        problems += _audit(page, "/ (phone, account menu open)")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


# The focused element, and whether one sees where the focus is: an outline of 2 px or more
# that is not transparent (the stylesheet's :focus-visible ring). A date field's calendar
# button is a part of the field inside the browser's own shadow tree, which the browser
# rings itself: the field then holds the focus without matching :focus.
FOCUS = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = !el.matches(':focus') || (style.outlineStyle !== 'none'
    && parseFloat(style.outlineWidth) >= 2 && !/rgba\\(.*, 0\\)$/.test(style.outlineColor));
  const box = el.getBoundingClientRect();
  const inView = box.width > 0 && box.height > 0 && box.top >= 0
    && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
  return {id: el.id, tag: el.tagName, text: (el.innerText || el.value || '').trim().slice(0, 40),
          ring, inView, inSidebar: !!el.closest('#sidebar'),
          menuButton: el.hasAttribute('data-menu-button')};
}
"""


def _tab_to(page, matches, limit: int = 40) -> list[dict]:
    """Press Tab until the focus is on what `matches` accepts; every stop on the way shows
    where the focus is. Returns the stops."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        stops.append(focus)
        assert focus["ring"], f"no visible focus on {focus}"
        if matches(focus):
            return stops
    raise AssertionError(f"Tab never reached the target; stops: {stops}")


def test_signing_in_with_the_keyboard_alone(page, live_server):
    page.goto(live_server + "/login")
    stops = _tab_to(page, lambda f: f["id"] == "username")
    assert stops[0]["text"] == "跳到正文"  # the skip link comes first, and shows
    assert stops[0]["inView"]
    page.keyboard.type("zju-admin")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["id"] == "password"
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.get_by_role("navigation", name="主导航").is_visible()


TITLE = "键盘录入的学术报告会"


def _first_of_january(page) -> None:
    """Fill the focused date field from the keyboard: ArrowUp in each of its parts, Tab to
    the next. An empty part steps to January, to the 1st, to this year; the parts' order
    follows the browser's language (month first in English), so this works in any."""
    for key in ("ArrowUp", "Tab", "ArrowUp", "Tab", "ArrowUp"):
        page.keyboard.press(key)


def test_recording_an_activity_with_the_keyboard_alone(page, live_server):
    """Tab from the top of the page to each field, choose and type, and press Enter."""
    _sign_in(page, live_server, "zju-admin")
    page.goto(live_server + "/activities/new/academic")
    _tab_to(page, lambda f: f["id"] == "subtype", limit=80)
    page.keyboard.press("ArrowDown")  # the next type of activity, chosen on the closed list
    assert page.locator("#subtype").input_value() != ""
    _tab_to(page, lambda f: f["id"] == "title")
    page.keyboard.type(TITLE)
    for field in ("starts_on", "ends_on"):
        _tab_to(page, lambda f, field=field: f["id"] == field)
        _first_of_january(page)
        assert re.fullmatch(r"\d{4}-01-01", page.locator("#" + field).input_value()), field
    _tab_to(page, lambda f: f["id"] == "place")
    page.keyboard.type("紫金港校区")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert "/activities/" in page.url and "/new/" not in page.url
    screenshot(page, "keyboard-activity-recorded")


def test_the_phone_menu_opens_from_the_keyboard(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, "zju-staff")
        sidebar = page.locator("#sidebar")
        button = page.get_by_role("button", name="菜单")
        _tab_to(page, lambda f: f["menuButton"])
        page.keyboard.press("Enter")
        assert sidebar.is_visible()
        assert button.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Space")
        assert not sidebar.is_visible()
        assert button.get_attribute("aria-expanded") == "false"
        page.keyboard.press("Space")
        assert sidebar.is_visible()
        # Onwards into the menu: each link shows the focus, in view on the phone.
        stops = _tab_to(page, lambda f: f["inSidebar"])
        assert stops[-1]["inView"], stops[-1]
        screenshot(page, "keyboard-phone-menu")
        link = stops[-1]["text"]
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator('#sidebar a[aria-current="page"]').all_inner_texts() == [link]
    finally:
        context.close()
