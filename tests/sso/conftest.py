"""Fixtures that start the real identity providers on loopback for the module's tests."""

from __future__ import annotations

import pytest

from tests.sso import servers

PASSWORD = "cas-pass-2026"
# One university account name at two universities' servers: the cross-tenant case.
PEOPLE = [
    {"username": "zhang3", "password": PASSWORD, "email": "zhang3@zju.edu.cn",
     "first_name": "三", "last_name": "张"},
    {"username": "li4", "password": PASSWORD, "email": "li4@zju.edu.cn",
     "first_name": "四", "last_name": "李"},
]  # fmt: skip


def _start(tmp_path_factory, name: str):
    why = servers.cas_available()
    if why:
        pytest.skip(why)
    # The Flask test client's address is http://localhost/; the single-logout test gives
    # one of 127.0.0.1 with a port, where it listens for the server's logout request.
    return servers.cas_server(
        tmp_path_factory.mktemp(name), PEOPLE, r"^http://(localhost|127\.0\.0\.1:\d+)/sso/.*"
    )


@pytest.fixture(scope="session")
def cas(tmp_path_factory):
    """A university's CAS server."""
    with _start(tmp_path_factory, "cas-a") as server:
        yield server


@pytest.fixture(scope="session")
def other_cas(tmp_path_factory):
    """Another university's CAS server, with the same user names."""
    with _start(tmp_path_factory, "cas-b") as server:
        yield server
