"""The layout on a desktop and on a phone: a header of at most 64 px, a sidebar that the menu
button opens on a phone, the current page marked, and no page that scrolls sideways at
390 px (a wide table scrolls inside its own box)."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_content_security_policy import ACCOUNTS, _sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# How far the page scrolls sideways beyond the window; the widest element that sticks out.
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const over = document.documentElement.scrollWidth - width;
  let widest = null;
  if (over > 0) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && (!widest || r.right > widest[1])) {
        widest = [el.tagName + '.' + el.className, r.right];
      }
    }
  }
  return [over, widest];
}
"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def _sidebar_links(page) -> list[str]:
    return page.locator("#sidebar a").evaluate_all("els => els.map(a => a.href)")


def test_the_desktop_shows_the_sidebar_grouped_and_marks_the_current_page(page, live_server):
    _sign_in(page, live_server, "zju-admin")
    sidebar = page.get_by_role("navigation", name="主导航")
    assert sidebar.is_visible()
    groups = sidebar.locator(".nav-group").all_inner_texts()
    assert groups == ["本会", "会员", "工作", "统计", "系统"]
    sidebar.get_by_role("link", name="活动日历").click()
    page.wait_for_load_state()
    current = page.locator('#sidebar a[aria-current="page"]')
    assert current.all_inner_texts() == ["活动日历"]
    # Marked so that one sees it: not the colour of the other items.
    colours = page.locator("#sidebar a").evaluate_all(
        "els => els.map(a => getComputedStyle(a).backgroundColor)"
    )
    marked = current.evaluate("a => getComputedStyle(a).backgroundColor")
    assert colours.count(marked) == 1
    crumbs = page.get_by_role("navigation", name="面包屑导航").locator("li").all_inner_texts()
    assert [c.strip("› ") for c in crumbs] == ["首页", "工作", "活动日历"]
    screenshot(page, "layout-desktop-calendar")


def test_on_a_phone_the_menu_button_opens_the_sidebar(phone, live_server):
    _sign_in(phone, live_server, "zju-admin")
    header = phone.locator("header.site-header").bounding_box()
    assert header["height"] <= 64
    sidebar = phone.locator("#sidebar")
    assert not sidebar.is_visible()
    button = phone.get_by_role("button", name="菜单")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert sidebar.is_visible()
    assert button.get_attribute("aria-expanded") == "true"
    screenshot(phone, "layout-phone-menu-open")
    sidebar.get_by_role("link", name="个人会员").click()
    phone.wait_for_load_state()
    assert "/members" in phone.url
    assert not phone.locator("#sidebar").is_visible()  # a new page starts with it closed
    assert phone.locator('#sidebar a[aria-current="page"]').all_inner_texts() == ["个人会员"]
    # Escape closes it again, and the focus goes back to the button.
    phone.get_by_role("button", name="菜单").click()
    phone.keyboard.press("Escape")
    assert not phone.locator("#sidebar").is_visible()


def test_on_a_phone_the_account_controls_are_in_the_header_menu(phone, live_server):
    _sign_in(phone, live_server, "zju-member")
    phone.locator("details.account-menu summary").click()
    panel = phone.locator(".account-panel")
    for control in ("修改密码", "二次验证", "English"):
        assert panel.get_by_role("link", name=control).is_visible()
    assert panel.get_by_role("button", name="退出").is_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize("username", ACCOUNTS)
def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, username):
    _sign_in(phone, live_server, username)
    links = _sidebar_links(phone)
    assert links, username
    wide = {}
    for link in [*dict.fromkeys(links), live_server + "/account/password"]:
        assert phone.goto(link).status == 200, link
        assert phone.locator("header.site-header").bounding_box()["height"] <= 64, link
        over, widest = phone.evaluate(OVERFLOW)
        if over > 0:
            wide[link] = (over, widest)
    screenshot(phone, f"layout-phone-{username}")
    assert wide == {}


def test_the_signed_out_pages_fit_a_phone_under_the_same_page_header(phone, live_server):
    """Signed out: no sidebar and no trail of breadcrumbs, but the design system's page
    header all the same, under a header of at most 64 px, and nothing sideways."""
    from tests.browser.test_accessibility import ANONYMOUS_PAGES

    wide, headers = {}, {}
    for path in ANONYMOUS_PAGES:
        phone.goto(live_server + path)
        assert phone.locator("header.site-header").bounding_box()["height"] <= 64, path
        assert phone.locator("#sidebar").count() == 0, path
        assert phone.locator("nav.breadcrumbs").count() == 0, path
        headers[path] = phone.locator("main .page-header h1").count()
        over, widest = phone.evaluate(OVERFLOW)
        if over > 0:
            wide[path] = (over, widest)
        screenshot(phone, "layout-phone-signed-out" + path.replace("/", "-"))
    assert wide == {}
    assert headers == dict.fromkeys(ANONYMOUS_PAGES, 1)
