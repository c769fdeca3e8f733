"""The service as its users meet it: a server process of its own, with its own connections.

By default `make run`'s configuration: SQLite in a fresh file, jobs inline in the server
process (no Redis). With TEST_DATABASE_URL and TEST_REDIS_URL, the production shape instead:
PostgreSQL under the non-owner app role, Redis, and an RQ worker process beside the server.
Tests drive it over HTTP with cookies and CSRF tokens, as a browser would, and check what a
user would see. The bound-connection test client cannot show a lock between two connections;
these tests can.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import PG_URL, REDIS_URL, _pg_databases

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kexie-demo-2026"
BACKEND = "postgresql+redis+worker" if PG_URL and REDIS_URL else "sqlite+inline"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    text: str
    url: str

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.text)
        assert found, f"no form on {self.url}"
        return found.group(1)


class Browser:
    """One person's cookie jar against the live service; every answer is remembered, so a
    test can assert that no page answered 500 along the way."""

    def __init__(self, base: str, seen: list[tuple[str, str, int]]) -> None:
        self.base = base
        self.seen = seen
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> Response:
        return self._call("GET", path, None)

    def post(self, path: str, data: dict, files: dict | None = None) -> Response:
        """A form post with the CSRF token of the page at `path`'s form source (the caller
        passes it in `data`)."""
        return self._call("POST", path, data, files)

    def _call(self, method: str, path: str, data: dict | None, files: dict | None = None):
        headers = {}
        body = None
        if files:
            body, content_type = _multipart(data or {}, files)
            headers["Content-Type"] = content_type
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        url = self.base + urllib.parse.quote(path, safe="/?=&%#:;+,")  # as a browser sends 中文
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=120) as answer:
                response = Response(answer.status, answer.read().decode(), answer.url)
        except urllib.error.HTTPError as refused:
            response = Response(refused.code, refused.read().decode("utf-8", "replace"), path)
        self.seen.append((method, path, response.status, round(time.monotonic() - started, 2)))
        return response

    def upload(self, path: str, field: str, filename: str, content: bytes, mime: str) -> Response:
        """Choose a file in the form at `path` and submit it, as a person would."""
        token = self.get(path).csrf()
        return self.post(path, {"csrf_token": token}, files={field: (filename, content, mime)})

    def sign_in(self, username: str) -> Browser:
        page = self.get("/login")
        answer = self.post(
            "/login", {"csrf_token": page.csrf(), "username": username, "password": PASSWORD}
        )
        assert "/login" not in answer.url, f"{username} could not sign in"
        return self


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----kexie-live-test"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, mime) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class LiveService:
    url: str
    env: dict
    seen: list = field(default_factory=list)

    def browser(self, username: str | None = None) -> Browser:
        browser = Browser(self.url, self.seen)
        return browser.sign_in(username) if username else browser

    def flask(self, *args: str) -> str:
        """A `flask` command against the same database, as an operator would run one."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def sql(self, query: str) -> list[tuple]:
        """Read the database directly (as the owner), to check what a page cannot show."""
        with self._as_owner() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(query)]

    def sql_write(self, statement: str) -> None:
        """Change the database directly (as the owner), as a crash or the passing of time
        would, where no page can."""
        with self._as_owner() as connection:
            connection.exec_driver_sql(statement)

    @contextlib.contextmanager
    def _as_owner(self) -> Iterator:
        """One committed transaction as the owner. On PostgreSQL row-level security binds
        the owner too: the transaction bypasses it, as the service's system scope does."""
        import sqlalchemy as sa

        url = self.env.get("MIGRATION_DATABASE_URL") or self.env["DATABASE_URL"]
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("select set_config('app.bypass_rls', 'on', true)")
                yield connection
        finally:
            engine.dispose()

    def failures(self) -> list[tuple]:
        """Every answer of 500 or more so far, whoever asked."""
        return [seen for seen in self.seen if seen[2] >= 500]


def open_this_year(officer: Browser) -> int:
    """The federation officer opens this year's reporting period; its id."""
    year = date.today().year
    page = officer.get("/reporting/")
    opened = officer.post(
        "/reporting/periods",
        {"csrf_token": page.csrf(), "year": year, "deadline": f"{year}-12-31"},
    )
    period = re.search(r"/reporting/periods/(\d+)", opened.url + opened.text)
    assert period, "the officer's new period is not shown"
    return int(period.group(1))


def compiled_report(admin: Browser, report_url: str) -> Response | None:
    """The report page once its figures are there, else None (still 生成中)."""
    page = admin.get(report_url)
    return page if 'id="figures"' in page.text and "生成中" not in page.text else None


def wait_for(predicate, seconds: float = 60, every: float = 0.5):
    """Poll until `predicate()` is truthy, as a user reloading the page would; its value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _neighbour_database(url: str) -> str:
    """The Redis database next to the suite's: the live worker must not take the jobs that
    other tests queue and work themselves."""
    import sqlalchemy as sa  # its URL parser reads redis:// URLs as well

    parsed = sa.make_url(url)
    return parsed.set(database=str((int(parsed.database or 0) + 15) % 16)).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="package")
def live_env(tmp_path_factory) -> Iterator[dict]:
    workdir = tmp_path_factory.mktemp("live-service")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "APP_ENV": "development",
        "LOGIN_RATE_LIMIT": "1000 per minute",  # many sign-ins from one address
        "EMBEDDED_SCHEDULER_TICK": "1",  # retries and periodic jobs come round in a second
        "LIVE_WORKDIR": str(workdir),
    }
    for name in ("REDIS_URL", "DATABASE_URL", "MIGRATION_DATABASE_URL"):
        env.pop(name, None)
    if BACKEND.startswith("postgresql"):
        databases = _pg_databases(PG_URL)
        app_url, owner_url = next(databases)
        redis_url = _neighbour_database(REDIS_URL)
        env.update(DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner_url, REDIS_URL=redis_url)
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        try:
            yield env
        finally:
            databases.close()
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'live.sqlite3'}"
        yield env


@pytest.fixture(scope="package")
def live(live_env) -> Iterator[LiveService]:
    """`flask db upgrade`, `flask seed-demo`, `flask run` (and `flask worker` on Redis)."""
    workdir = Path(live_env["LIVE_WORKDIR"])
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=live_env, check=True, capture_output=True)
    port = _free_port()
    processes = [
        _start([*flask, "run", "--host", "127.0.0.1", "--port", str(port)], live_env,
               workdir / "server.log")
    ]  # fmt: skip
    if live_env.get("REDIS_URL"):
        processes.append(_start([*flask, "worker"], live_env, workdir / "worker.log"))
    url = f"http://127.0.0.1:{port}"
    try:
        started = wait_for(lambda: _answers(url + "/healthz"), seconds=120, every=0.1)
        assert started, (workdir / "server.log").read_text()[-3000:]
        yield LiveService(url, live_env)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback
        return True
    except OSError:
        return False


class NationalReceiver(BaseHTTPRequestHandler):
    """A national endpoint on loopback that records every push it accepts."""

    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(
            {"key": self.headers.get("Idempotency-Key"), "body": json.loads(body)}
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def national_receiver() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []
    handler = type("Receiver", (NationalReceiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/receive", received
    finally:
        server.shutdown()
