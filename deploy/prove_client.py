"""The browser side of deploy/prove.sh: talks to nginx only, with the standard library.

    python prove_client.py BASE_URL COOKIE_FILE STEP [ARGS...]

Each step prints one line `ok ...` and exits 0, or prints why and exits 1.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from service.members.tabular import COLUMNS

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
HEADER = ",".join(c.header for c in COLUMNS)  # the import template's own columns


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str, cookie_file: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.MozillaCookieJar(cookie_file)
        with contextlib.suppress(FileNotFoundError):
            self.jar.load(ignore_discard=True)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path, data=None, headers=None, content_type=None):
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        # Only ever the http:// base that prove.sh gives.
        req = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310
        try:
            with self.opener.open(req, timeout=30) as response:
                status, head, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, body = error.code, error.headers, error.read()
        self.jar.save(ignore_discard=True)
        return status, head, body.decode("utf-8", "replace")

    def csrf(self, path: str = "/login") -> str:
        _, _, page = self.request(path)
        match = CSRF.search(page)
        if not match:
            fail(f"no CSRF token on {path}")
        return match.group(1)

    def post_form(self, path: str, fields: dict) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(path, body, content_type="application/x-www-form-urlencoded")


def fail(message: str) -> None:
    print(f"FAIL {message}")
    sys.exit(1)


def step_ready(b: Browser, seconds: str = "30") -> None:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        try:
            if b.request("/readyz")[0] == 200:
                return print("ok ready")
        except OSError:
            pass
        time.sleep(0.5)
    fail("not ready in time")


def step_login(b: Browser, username: str, password: str) -> None:
    token = b.csrf()
    status, _, _ = b.post_form(
        "/login", {"username": username, "password": password, "csrf_token": token}
    )
    if status != 302:
        fail(f"login answered {status}")
    print(f"ok signed in as {username}")


def step_pages(b: Browser, count: str, prefix: str) -> None:
    """Signed-in pages, each with its own request id (the shell finds which node served it)."""
    for i in range(int(count)):
        rid = f"{prefix}-{i:04d}-{uuid.uuid4().hex[:8]}"
        status, head, _ = b.request("/members/", headers={"X-Request-ID": rid})
        if status != 200:
            fail(f"/members/ answered {status} on request {i} ({rid})")
        if head.get("X-Request-ID") != rid:
            fail("the request id was not echoed")
    print(f"ok {count} signed-in pages")


def step_import(b: Browser, rows: str, first: str = "0") -> None:
    """Upload a CSV of `rows` new members numbered from `first`; print the import id."""
    numbers = range(int(first), int(first) + int(rows))
    lines = [HEADER] + [
        f"压测会员{i},P{i:07d},男,1980,物理学院,物理学,中级,,166{i:08d},p{i}@example.edu.cn,,否,,2024-09-01"
        for i in numbers
    ]
    content = ("\n".join(lines) + "\n").encode()
    token = b.csrf("/members/imports")
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="prove.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
    )
    body.write(content)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    status, head, _ = b.request(
        "/members/imports",
        body.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    location = head.get("Location", "")
    match = re.search(r"/members/imports/(\d+)", location)
    if status != 302 or not match:
        fail(f"upload answered {status} -> {location}")
    print(f"ok {match.group(1)}")


def step_progress(b: Browser, import_id: str, seconds: str) -> None:
    """Poll the import's page until the worker shows progress or the import is over."""
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        status, _, page = b.request(f"/members/imports/{import_id}")
        if status != 200:
            fail(f"import page answered {status}")
        match = re.search(r'<progress max="(\d+)" value="(\d+)"', page)
        if match and int(match.group(2)) > 0:
            return print(f"ok progress {match.group(2)}/{match.group(1)}")
        time.sleep(0.2)
    print("ok no progress bar seen (the job was quicker than the polling)")


def step_open_period(b: Browser, year: str) -> None:
    """As a federation officer: open the year's reporting period; print its id."""
    token = b.csrf("/reporting/")
    status, head, _ = b.post_form(
        "/reporting/periods",
        {"year": year, "deadline": f"{int(year) + 1}-03-31", "csrf_token": token},
    )
    match = re.search(r"/reporting/periods/(\d+)", head.get("Location", ""))
    if status != 302 or not match:
        fail(f"opening the period answered {status}")
    print(f"ok {match.group(1)}")


def step_compile(b: Browser, period_id: str, seconds: str = "60") -> None:
    """As the association: compile the report on the worker, wait for it; print its id."""
    token = b.csrf(f"/reporting/periods/{period_id}")
    status, head, _ = b.post_form(f"/reporting/periods/{period_id}/compile", {"csrf_token": token})
    match = re.search(r"/reporting/reports/(\d+)", head.get("Location", ""))
    if status != 302 or not match:
        fail(f"compile answered {status}")
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        status, _, page = b.request(f"/reporting/reports/{match.group(1)}")
        if status != 200:
            fail(f"report page answered {status}")
        if 'http-equiv="refresh"' not in page:  # the page refreshes itself while compiling
            return print(f"ok {match.group(1)}")
        time.sleep(0.2)
    fail("the report was still compiling")


def step_ratelimit(b: Browser, limit: str) -> None:
    """Wrong passwords through nginx (both nodes): the shared limit refuses attempt limit+1."""
    statuses = []
    token = b.csrf()  # once: only the POSTs go round robin, so they alternate between nodes
    for i in range(int(limit) + 2):
        fields = {"username": f"nobody-{i}", "password": "wrong-password", "csrf_token": token}
        statuses.append(b.post_form("/login", fields)[0])
    expected = [401] * int(limit) + [429, 429]
    if statuses != expected:
        fail(f"login statuses {statuses}, expected {expected}")
    print(f"ok limit held across nodes: {statuses}")


STEPS = {
    "ready": step_ready,
    "login": step_login,
    "pages": step_pages,
    "import": step_import,
    "progress": step_progress,
    "ratelimit": step_ratelimit,
    "open_period": step_open_period,
    "compile": step_compile,
}

if __name__ == "__main__":
    base, cookies, step, *args = sys.argv[1:]
    STEPS[step](Browser(base, cookies), *args)
