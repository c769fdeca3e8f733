"""A mixed load of association staff and provincial supervisors, through nginx, with the
standard library only. deploy/prove.sh runs it when LOAD_SECONDS is set:

    python deploy/load.py BASE_URL [--seconds 60] [--connections 64] [--record FILE]

Each account signs in once (the login limit is per address, and every connection here comes
from loopback); then every connection walks its account's navigation (and, for an
association's staff, the activities export) on a keep-alive connection until the time is up.
One connection in four is an integration instead: with tokens the association's admin issues
at the start, it lists members 50 at a time, reads one, changes one's position and lists
activities. Prints requests, errors and latency percentiles, overall and per endpoint class
(API read, API write, page, dashboard, export), and exits 1 on any error: a status other
than 200, a refused connection, or a timeout. Every request carries an id of its own
(X-Request-ID), which the app logs with its own time; `--record` writes each id with its
latency, for deploy/server_time.py to tell the wait for a worker from the time in the app.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

# Association staff and admins, and the officers and supervisors of two provinces.
ACCOUNTS = ("zju-staff", "zju-admin", "zj-officer", "sc-officer", "zj-edu")
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NAV_LINK = re.compile(r'<nav[^>]*\bclass="[^"]*\bmain-nav\b[^"]*".*?</nav>', re.DOTALL)
HREF = re.compile(r'href="(/[^"]*)"')
NEW_TOKEN = re.compile(r'id="new-token">([^<]+)<')
# The admin who issues the integration's tokens, and the export an association's staff takes
# (a federation's export of every association's activities is a rare, heavier request).
ISSUER = "zju-admin"
EXPORTER, EXPORT = "zju-staff", "/activities/export.xlsx"
# A federation's figures: the pages that aggregate over its associations.
DASHBOARDS = (
    "/federation/",
    "/federation/trends",
    "/federation/associations",
    "/federation/universities",
    "/federation/categories",
    "/activities/figures",
)
CLASSES = ("api read", "api write", "page", "dashboard", "export")


def endpoint_class(method: str, path: str) -> str:
    """Which class of endpoint a request is, for the per-class latencies."""
    path = path.split("?", 1)[0]
    if path.startswith("/api/"):
        return "api read" if method == "GET" else "api write"
    if path.endswith((".xlsx", ".csv")):
        return "export"
    return "dashboard" if path in DASHBOARDS else "page"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_class: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # (request id, seconds): the app logs the id with its own time (deploy/server_time.py)
    by_request: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None, kind: str, request_id: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.by_request.append((request_id, seconds))
            self.by_class.setdefault(kind, []).append(seconds)
            if error:
                self.errors.append(error)


def _connection(base: urllib.parse.SplitResult) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(base.hostname, base.port, timeout=30)


def _cookie(response: http.client.HTTPResponse) -> str | None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def sign_in(base: urllib.parse.SplitResult, username: str, password: str) -> tuple[str, list]:
    """(the session cookie, the paths of the account's navigation)."""
    conn = _connection(base)
    conn.request("GET", "/login")
    page = conn.getresponse()
    body, cookie = page.read().decode(), _cookie(page)
    form = urllib.parse.urlencode(
        {"csrf_token": CSRF.search(body).group(1), "username": username, "password": password}
    )
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/login", body=form, headers=headers)
    answer = conn.getresponse()
    answer.read()
    cookie = _cookie(answer) or cookie
    if answer.status != 302:
        raise SystemExit(f"{username} could not sign in: {answer.status}")
    conn.request("GET", "/", headers={"Cookie": cookie})
    home = conn.getresponse()
    nav = NAV_LINK.search(home.read().decode())
    conn.close()
    if nav is None:  # the load would walk the home page alone, and measure something else
        raise SystemExit(f"{username}: no navigation found on the home page")
    return cookie, sorted(set(HREF.findall(nav.group(0))))


def issue_tokens(base: urllib.parse.SplitResult, cookie: str) -> dict[str, str]:
    """A read-only and a writable token of the admin's association, as an integration
    would be given them on the tokens page."""
    conn, tokens = _connection(base), {}
    for kind, writable in (("read", False), ("write", True)):
        conn.request("GET", "/tokens", headers={"Cookie": cookie})
        page = conn.getresponse()
        cookie = _cookie(page) or cookie  # the form's CSRF token may be new to the session
        form = {
            "csrf_token": CSRF.search(page.read().decode()).group(1),
            "name": f"load {kind}",
            "days": "1",
        }
        if writable:
            form["writable"] = "y"
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/tokens", body=urllib.parse.urlencode(form), headers=headers)
        answer = conn.getresponse()
        created = NEW_TOKEN.search(answer.read().decode())
        if answer.status != 201 or created is None:
            raise SystemExit(f"{ISSUER} could not issue a {kind} token: {answer.status}")
        tokens[kind] = created.group(1).strip()
    conn.close()
    return tokens


def _timed(conn, base, tally: Tally, method: str, path: str, headers: dict, body=None):
    """One request, its latency tallied under its class; (connection, JSON body or None)."""
    request_id = f"load-{uuid.uuid4().hex}"
    headers = {**headers, "X-Request-ID": request_id}
    started, payload = time.monotonic(), None
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        error = None if response.status == 200 else f"{response.status} {method} {path}"
        if error is None and response.getheader("Content-Type", "").startswith("application/json"):
            payload = json.loads(data)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__} {method} {path}"
        conn.close()
        conn = _connection(base)
    tally.add(time.monotonic() - started, error, endpoint_class(method, path), request_id)
    return conn, payload


def walk(base, cookie: str, paths: list[str], deadline: float, tally: Tally, start: int) -> None:
    # Each connection starts at its own place in the round, so a short run visits them all.
    conn, turn = _connection(base), start
    while time.monotonic() < deadline:
        path = paths[turn % len(paths)]
        turn += 1
        conn, _ = _timed(conn, base, tally, "GET", path, {"Cookie": cookie})
    conn.close()


def integrate(base, tokens: dict[str, str], deadline: float, tally: Tally) -> None:
    """An integration's round: a page of members, one member, a change to one, activities."""
    conn, turn = _connection(base), 0
    read = {"Authorization": f"Bearer {tokens['read']}"}
    write = {"Authorization": f"Bearer {tokens['write']}", "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        turn += 1
        conn, page = _timed(
            conn, base, tally, "GET", f"/api/v1/members/?page={turn % 3 + 1}&page_size=50", read
        )
        if not page:
            continue
        member = page[turn % len(page)]["id"]
        conn, _ = _timed(conn, base, tally, "GET", f"/api/v1/members/{member}", read)
        change = json.dumps({"position": f"load round {turn % 7}"})
        conn, _ = _timed(conn, base, tally, "PATCH", f"/api/v1/members/{member}", write, change)
        conn, _ = _timed(conn, base, tally, "GET", "/api/v1/activities/?page_size=20", read)
    conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _line(name: str, ms: list[float]) -> str:
    return (
        f"{name}: {len(ms)} requests, latency ms p50 {statistics.median(ms):.0f}, "
        f"p95 {percentile(ms, 0.95):.0f}, p99 {percentile(ms, 0.99):.0f}, max {max(ms):.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--record", help="write each request's id and latency (ms) here")
    args = parser.parse_args()
    base = urllib.parse.urlsplit(args.base)
    password = os.environ.get("DEMO_PASSWORD", "kexie-demo-2026")
    sessions = {username: sign_in(base, username, password) for username in ACCOUNTS}
    tokens = issue_tokens(base, sessions[ISSUER][0])
    browsers = [
        (cookie, [*paths, EXPORT] if username == EXPORTER else paths)
        for username, (cookie, paths) in sessions.items()
    ]
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=integrate, args=(base, tokens, deadline, tally))
        if i % 4 == 3
        else threading.Thread(
            target=walk, args=(base, *browsers[i % len(browsers)], deadline, tally, i * 7)
        )
        for i in range(args.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = [seconds * 1000 for seconds in tally.latencies]
    server_errors = sum(1 for e in tally.errors if e.startswith("5"))
    print(
        f"load: {len(ms)} requests in {args.seconds:.0f}s at {args.connections} connections "
        f"({len(ms) / args.seconds:.0f}/s), {len(tally.errors)} errors ({server_errors} 5xx); "
        f"latency ms p50 {statistics.median(ms):.0f}, p95 {percentile(ms, 0.95):.0f}, "
        f"p99 {percentile(ms, 0.99):.0f}, max {max(ms):.0f}"
    )
    for kind in CLASSES:
        if kind in tally.by_class:
            print("  " + _line(kind, [seconds * 1000 for seconds in tally.by_class[kind]]))
    for error in sorted(set(tally.errors))[:10]:
        print("  error:", error)
    if args.record:
        with open(args.record, "w", encoding="utf-8") as record:
            record.writelines(f"{rid}\t{seconds * 1000:.1f}\n" for rid, seconds in tally.by_request)
    return 1 if tally.errors or not ms else 0


if __name__ == "__main__":
    raise SystemExit(main())
