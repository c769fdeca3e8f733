"""A member signs in with the university's account in a real browser, through the
university's own sign-in page: 浙江大学's CAS server (django-cas-server) and 杭州师范大学's
OpenID Connect provider (oidc-provider), both on loopback. They pick their university on the
login page, sign in there, consent to the link, see 我的会员信息 and sign out at the
university (CAS single logout, OIDC end-session and back-channel logout). A ticket of one
university's server presented at another's return address signs no one in."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT, screenshot
from tests.sso import demo, servers

pytestmark = pytest.mark.browser
SERVICE_PATTERN = r"^http://127\.0\.0\.1:\d+/sso/.*"


@dataclass(frozen=True)
class Universities:
    cas: servers.CasServer  # 浙江大学's
    other_cas: servers.CasServer  # 浙江工业大学's
    oidc: servers.OidcProvider  # 杭州师范大学's
    zju: int
    zjut: int
    hznu: int
    people: dict  # university -> its people, as the providers know them


def _configure(live_env: dict, cas_a: str, cas_b: str, issuer: str, secret: str) -> dict:
    """In the live server's database, in its environment (a process of its own)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.browser.sso_universities", cas_a, cas_b, issuer, secret],
        cwd=ROOT,
        env=live_env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def universities(live_server, live_env, tmp_path_factory):
    why = servers.cas_available() or servers.oidc_available()
    if why and (os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER")):
        pytest.fail(why)
    if why:
        pytest.skip(why)
    ports = [servers.free_port() for _ in range(3)]
    cas_a, cas_b = (f"http://127.0.0.1:{port}/cas" for port in ports[:2])
    issuer = f"http://127.0.0.1:{ports[2]}"
    secret = secrets.token_urlsafe(24)
    people = _configure(live_env, cas_a, cas_b, issuer, secret)
    (zju, zju_people), (zjut, zjut_people) = people["zju"], people["zjut"]
    hznu, hznu_people = people["hznu"]
    client = demo._oidc_client(urlsplit(live_server).port, secret)
    client["redirect_uris"] = [u.format(association=hznu) for u in client["redirect_uris"]]
    client["backchannel_logout_uri"] = client["backchannel_logout_uri"].format(association=hznu)
    workdir = tmp_path_factory.mktemp("universities")
    with contextlib.ExitStack() as stack:
        cas = stack.enter_context(
            servers.cas_server(workdir / "zju", zju_people, SERVICE_PATTERN, port=ports[0])
        )
        other_cas = stack.enter_context(
            servers.cas_server(workdir / "zjut", zjut_people, SERVICE_PATTERN, port=ports[1])
        )
        oidc = stack.enter_context(
            servers.oidc_provider(workdir / "hznu", hznu_people, clients=[client], port=ports[2])
        )
        yield Universities(
            cas, other_cas, oidc, zju, zjut, hznu,
            {"zju": zju_people, "zjut": zjut_people, "hznu": hznu_people},
        )  # fmt: skip


def _pick(page, live_server: str, university: str, at: str) -> None:
    """On the login page: the university from the searchable list, then off to its sign-in
    (at the address `at`)."""
    page.goto(live_server + "/login")
    page.get_by_label("您的学校").fill(university)
    page.get_by_role("button", name="使用学校统一身份认证登录").click()
    page.wait_for_url(at + "/**")


def _at_cas(page, username: str, back: str) -> None:
    """The CAS server's own login form, then back to the service (at `back`)."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(demo.PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(back + "/**")


def _consent(page, live_server: str) -> None:
    assert page.get_by_role("heading", level=1).inner_text() == "关联您的学校账号"
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="关联并登录").click()
    page.wait_for_url(lambda url: "/link" not in url)


def _my_record(page, live_server: str) -> str:
    page.goto(live_server + "/me/")
    return page.locator("main").inner_text()


def _signed_out(page, live_server: str, seconds: float = 10) -> bool:
    """Whether the service now sends this browser to the login page (the single logout
    request reaches the service from the university's server, a moment later)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(live_server + "/me/")
        if urlsplit(page.url).path == "/login":
            return True
        time.sleep(0.2)
    return False


def test_a_member_signs_in_at_the_cas_server_and_out_by_single_logout(
    page, live_server, universities
):
    person = universities.people["zju"][0]
    _pick(page, live_server, "浙江大学科学技术协会", universities.cas.url)
    assert urlsplit(page.url).path == "/cas/login"
    _at_cas(page, person["username"], live_server)
    assert urlsplit(page.url).path == f"/sso/{universities.zju}/link"
    _consent(page, live_server)
    record = _my_record(page, live_server)
    assert "我的会员信息" in record and person["email"] in record
    screenshot(page, "sso-cas-my-record")

    # The device remembers the university: the login page offers it straight away.
    page.goto(live_server + "/login")
    assert page.get_by_role("link", name="使用您的浙江大学科学技术协会账号登录").is_visible()

    # Signing out at the university: its server tells the service (single logout).
    page.goto(universities.cas.url + "/logout")
    assert _signed_out(page, live_server)


def test_a_member_signs_in_at_the_oidc_provider_and_out_by_end_session(
    page, live_server, universities
):
    person = universities.people["hznu"][0]
    _pick(page, live_server, "杭州师范大学科学技术协会", universities.oidc.issuer)
    page.wait_for_url(universities.oidc.issuer + "/interaction/**")
    assert page.get_by_role("heading", level=1).inner_text() == "University sign-in"
    page.locator("input[name=username]").fill(person["username"])
    page.locator("input[name=password]").fill(person["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/**")
    assert urlsplit(page.url).path == f"/sso/{universities.hznu}/link"
    _consent(page, live_server)
    record = _my_record(page, live_server)
    assert "我的会员信息" in record and person["email"] in record
    screenshot(page, "sso-oidc-my-record")

    # Signing out here ends the session at the university too (end-session).
    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(universities.oidc.issuer + "/**")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server + "/login")
    assert _signed_out(page, live_server, seconds=0.1)
    # The university asks for the password again: its session ended as well.
    page.goto(f"{live_server}/sso/{universities.hznu}/login")
    page.wait_for_url(universities.oidc.issuer + "/interaction/**")
    assert page.get_by_role("heading", level=1).inner_text() == "University sign-in"


def test_signing_out_at_the_oidc_provider_ends_the_session_here(page, live_server, universities):
    """Back-channel logout: the member signs out at the university's own page; the provider
    tells the service, server to server, and the session here ends too."""
    person = universities.people["hznu"][0]
    _pick(page, live_server, "杭州师范大学科学技术协会", universities.oidc.issuer)
    page.locator("input[name=username]").fill(person["username"])
    page.locator("input[name=password]").fill(person["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/**")
    if urlsplit(page.url).path.endswith("/link"):  # the first sign-in of this person
        _consent(page, live_server)
    assert "我的会员信息" in _my_record(page, live_server)

    page.goto(universities.oidc.issuer + "/session/end")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Signed out").wait_for()
    assert _signed_out(page, live_server)


def test_a_ticket_of_one_university_is_refused_at_another(page, live_server, universities):
    """浙江大学's server issues a ticket for 3120001; presented at 浙江工业大学's return
    address (whose server knows a 3120001 too), it signs no one in."""
    tickets: list[str] = []

    def keep(route):
        """The CAS server's answer to the login form: the way back to the service, with the
        ticket, is kept here instead of followed."""
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        tickets.append(answer.headers.get("location", ""))
        route.fulfill(status=200, content_type="text/plain", body="kept")

    at_cas = universities.cas.url + "/login**"
    page.route(at_cas, keep)
    _pick(page, live_server, "浙江大学科学技术协会", universities.cas.url)
    page.locator("input[name=username]").fill(universities.people["zju"][0]["username"])
    page.locator("input[name=password]").fill(demo.PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.get_by_text("kept").wait_for()
    page.unroute(at_cas)
    (ticket_back,) = tickets
    assert urlsplit(ticket_back).path == f"/sso/{universities.zju}/cas"
    ticket = urlsplit(ticket_back).query

    page.goto(f"{live_server}/sso/{universities.zjut}/login")  # started at 浙江工业大学
    assert page.url.startswith(universities.other_cas.url + "/login")
    page.goto(f"{live_server}/sso/{universities.zjut}/cas?{ticket}")
    assert page.get_by_role("heading", level=1).inner_text() == "登录被拒绝"
    assert "学校统一身份认证的登录未被接受" in page.locator("main").inner_text()
    screenshot(page, "sso-cross-tenant-refused")
    assert _signed_out(page, live_server, seconds=0.1)

    # The ticket was a good one: at 浙江大学's own return address it is accepted.
    page.goto(f"{live_server}/sso/{universities.zju}/login")
    page.goto(f"{live_server}/sso/{universities.zju}/cas?{ticket}")
    assert page.get_by_role("heading", level=1).inner_text() != "登录被拒绝"
    assert urlsplit(page.url).path != "/login"
