"""A real server on loopback with the demo data, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Every browser test's pictures, in the directory CI keeps as artefacts (.ci/run).
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_env(tmp_path_factory) -> dict:
    """The live server's environment: its database, for tests that set things up in it."""
    return server_env(tmp_path_factory.mktemp("live") / "live.sqlite3")


def server_env(database: Path) -> dict:
    """The environment of a live server on the SQLite file `database`, with no Redis."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{database}",
        "APP_ENV": "development",
        # Every browser test signs in from the same address; throttling is tested elsewhere.
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="session")
def live_server(live_env):
    """`flask db upgrade`, `flask seed-demo`, then `flask run`, on a fresh SQLite file."""
    seed_demo(live_env)
    with serving(live_env) as url:
        yield url


def seed_demo(env: dict) -> None:
    """Migrate the database of `env` and load the demo data into it."""
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)


@contextlib.contextmanager
def serving(env: dict) -> Iterator[str]:
    """`flask run` in a process of its own with `env`, on a free port; its address, once it
    answers."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a busy CI machine may take a while to import the app
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
