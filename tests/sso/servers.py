"""The real identity providers the sign-in tests (and `make sso-demo`) run on loopback:
django-cas-server, a CAS 3.0 server, from the Django project in cas_server/."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cas_available() -> str | None:
    """Why the CAS server cannot run here, or None."""
    try:
        import cas_server  # noqa: F401
        import django  # noqa: F401
    except ImportError as exc:
        return f"django-cas-server is not installed ({exc}): pip install -e '.[sso-test]'"
    return None


@dataclass(frozen=True)
class CasServer:
    url: str  # the CAS base, e.g. http://127.0.0.1:8765/cas


@contextlib.contextmanager
def cas_server(
    workdir: Path, users: list[dict], service: str, port: int | None = None
) -> Iterator[CasServer]:
    """Start django-cas-server with these users (username, password, email, first_name,
    last_name) for services matching the `service` pattern; stopped on exit."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    accounts = workdir / "accounts.json"
    accounts.write_text(json.dumps({"service": service, "users": users}))
    env = {
        **os.environ,
        "CAS_DB": str(workdir / "cas.sqlite3"),
        "ACCOUNTS": str(accounts),
        "PYTHONPATH": str(HERE / "cas_server"),
    }
    manage = [sys.executable, str(HERE / "cas_server/manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, capture_output=True)
    with open(HERE / "cas_server/accounts.py") as script:
        subprocess.run(
            [*manage, "shell", "-v0"], env=env, stdin=script, check=True, capture_output=True
        )
    log = open(workdir / "cas.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/cas"
    try:
        _wait_for(f"{base}/login", process, workdir / "cas.log")
        yield CasServer(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the identity provider stopped:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the identity provider did not answer at {url}")
