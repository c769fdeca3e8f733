"""A mixed load of association staff and provincial supervisors, through nginx, with the
standard library only. deploy/prove.sh runs it when LOAD_SECONDS is set:

    python deploy/load.py BASE_URL [--seconds 60] [--connections 64]

Each account signs in once (the login limit is per address, and every connection here comes
from loopback); then every connection walks its account's navigation on a keep-alive
connection until the time is up. Prints requests, errors and latency percentiles, and exits
1 on any error: a status other than 200, a refused connection, or a timeout.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

# Association staff and admins, and the officers and supervisors of two provinces.
ACCOUNTS = ("zju-staff", "zju-admin", "zj-officer", "sc-officer", "zj-edu")
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NAV_LINK = re.compile(r'<nav[^>]*\bclass="[^"]*\bmain-nav\b[^"]*".*?</nav>', re.DOTALL)
HREF = re.compile(r'href="(/[^"]*)"')


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
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


def walk(base, cookie: str, paths: list[str], deadline: float, tally: Tally) -> None:
    conn, turn = _connection(base), 0
    while time.monotonic() < deadline:
        path = paths[turn % len(paths)]
        turn += 1
        started = time.monotonic()
        try:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            error = None if response.status == 200 else f"{response.status} {path}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__} {path}"
            conn.close()
            conn = _connection(base)
        tally.add(time.monotonic() - started, error)
    conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    base = urllib.parse.urlsplit(args.base)
    password = os.environ.get("DEMO_PASSWORD", "kexie-demo-2026")
    sessions = [sign_in(base, username, password) for username in ACCOUNTS]
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=walk, args=(base, *sessions[i % len(sessions)], deadline, tally))
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
    for error in sorted(set(tally.errors))[:10]:
        print("  error:", error)
    return 1 if tally.errors or not ms else 0


if __name__ == "__main__":
    raise SystemExit(main())
