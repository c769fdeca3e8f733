"""Fixtures that start the real identity providers on loopback for the module's tests."""

from __future__ import annotations

import os

import pytest

from tests.sso import servers

PASSWORD = "cas-pass-2026"
# One university account name at two universities' servers: the cross-tenant case.
PEOPLE = [
    {"username": "zhang3", "password": PASSWORD, "email": "zhang3@zju.edu.cn",
     "first_name": "三", "last_name": "张", "attributes": {"employeeNumber": "0098123"}},
    {"username": "li4", "password": PASSWORD, "email": "li4@zju.edu.cn",
     "first_name": "四", "last_name": "李", "attributes": {"employeeNumber": "0098124"}},
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


# The same user names at two universities' OpenID Connect providers. wang5's university asked
# for a one-time code (amr), zhao6's sign-in is of a level the association lists (acr).
MFA_ACR = "urn:hznu:sso:mfa"
OIDC_PEOPLE = [
    {"username": "zhang3", "password": PASSWORD, "email": "zhang3@hznu.edu.cn", "name": "张三",
     "phone": "13800000003", "employee_number": "H2009031"},
    {"username": "li4", "password": PASSWORD, "email": "li4@hznu.edu.cn", "name": "李四",
     "phone": "13800000004"},
    {"username": "wang5", "password": PASSWORD, "email": "wang5@hznu.edu.cn", "name": "王五",
     "amr": ["pwd", "otp"]},
    {"username": "zhao6", "password": PASSWORD, "email": "zhao6@hznu.edu.cn", "name": "赵六",
     "acr": MFA_ACR},
]  # fmt: skip


def _start_oidc(tmp_path_factory, name: str):
    why = servers.oidc_available()
    if why and os.environ.get("CI"):
        pytest.fail(why)  # CI must run them: a missing Node is a broken machine there
    if why:
        pytest.skip(why)
    return servers.oidc_provider(tmp_path_factory.mktemp(name), OIDC_PEOPLE, acr_values=[MFA_ACR])


@pytest.fixture(scope="session")
def oidc(tmp_path_factory):
    """A university's OpenID Connect provider (oidc-provider on loopback)."""
    with _start_oidc(tmp_path_factory, "oidc-a") as provider:
        yield provider


@pytest.fixture(scope="session")
def other_oidc(tmp_path_factory):
    """Another university's OpenID Connect provider, with the same user names."""
    with _start_oidc(tmp_path_factory, "oidc-b") as provider:
        yield provider
