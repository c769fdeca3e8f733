"""The real identity providers the sign-in tests (and `make sso-demo`) run on loopback:
django-cas-server, a CAS 3.0 server, from the Django project in cas_server/; and the npm
package oidc-provider, an OpenID Connect provider, from oidc_provider.mjs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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


def oidc_available() -> str | None:
    """Why the OIDC provider cannot run here, or None. Node is the only thing that may be
    missing: the provider package is installed from tests/sso/package.json when absent, and
    a failing install fails the tests (it is not a reason to skip them)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node.js (node and npm) is not installed: the OIDC provider tests need it"
    return None


def install_oidc_provider() -> None:
    """npm ci into tests/sso/node_modules, once (the lock file pins oidc-provider)."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        capture_output=True,
        timeout=300,
    )


@dataclass(frozen=True)
class OidcProvider:
    issuer: str  # http://127.0.0.1:PORT

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def register(
        self,
        redirect_uri: str,
        post_logout_redirect_uri: str,
        backchannel_logout_uri: str | None = None,
    ) -> tuple[str, str]:
        """A client of the service's, registered at the provider (dynamic client
        registration, as an association registers the service with its university):
        (client id, client secret)."""
        client = {
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [post_logout_redirect_uri],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
        if backchannel_logout_uri:
            client["backchannel_logout_uri"] = backchannel_logout_uri
            client["backchannel_logout_session_required"] = True
        body = json.dumps(client).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.issuer}/reg", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            client = json.load(answer)
        return client["client_id"], client["client_secret"]


@contextlib.contextmanager
def oidc_provider(
    workdir: Path,
    users: list[dict],
    clients: list[dict] | None = None,
    port: int | None = None,
    acr_values: list[str] | None = None,
    jwks: dict | None = None,
) -> Iterator[OidcProvider]:
    """Start oidc-provider (tests/sso/oidc_provider.mjs) with these users (username,
    password, email, name, phone, and optionally amr and acr), static clients and signing
    keys (a private JWK set; its own when None); stopped on exit."""
    install_oidc_provider()
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    settings = workdir / "oidc.json"
    settings.write_text(
        json.dumps(
            {
                "users": users,
                "clients": clients or [],
                "acr_values": acr_values or [],
                **({"jwks": jwks} if jwks else {}),
            }
        )
    )
    env = {**os.environ, "PORT": str(port), "SETTINGS": str(settings)}
    log = open(workdir / "oidc.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        ["node", str(HERE / "oidc_provider.mjs")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", process, workdir / "oidc.log")
        yield OidcProvider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
