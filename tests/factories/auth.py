"""Accounts and API tokens: a user of any role (tied to the association or federation its
role belongs to, never by default), a token of any level, and the shared test password."""

from __future__ import annotations

import re

from werkzeug.security import generate_password_hash

from service.auth import services as auth
from service.auth.models import ApiToken, User
from service.auth.roles import ROLES, Level, Role
from tenants.db import db
from tenants.models import Association, Federation
from tests.factories.serial import serial

PASSWORD = "correct horse battery"
# A cheap hash keeps the suite fast; the login tests also cover the production scrypt hash.
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


def make_user(
    role: Role,
    *,
    association: Association | None = None,
    federation: Federation | None = None,
    username: str | None = None,
) -> User:
    level = ROLES[role].level
    if level is Level.ASSOCIATION and association is None:
        raise TypeError(f"a {role} user needs its association")
    if level is Level.FEDERATION and federation is None:
        raise TypeError(f"a {role} user needs its federation")
    user = User(
        username=username or f"{role.value}-{serial()}",
        display_name="测试用户",
        role=role.value,
        password_hash=_FAST_HASH,
        association_id=association.id if level is Level.ASSOCIATION else None,
        federation_id=federation.id if level is Level.FEDERATION else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_token(
    level: str,
    *,
    association: Association | None = None,
    federation: Federation | None = None,
    federations: list[Federation] | None = None,
    read_only: bool = True,
) -> tuple[ApiToken, str]:
    token, plaintext = auth.create_token(
        name=f"token-{serial()}",
        level=level,
        created_by=None,
        association_id=association.id if association else None,
        federation_id=federation.id if federation else None,
        federation_ids=[f.id for f in federations or []],
        read_only=read_only,
    )
    db.session.flush()
    return token, plaintext


def set_password_token(text: str) -> str:
    """The token of a one-time set-password link (`/account/set-password#<token>`)."""
    return re.search(r"/account/set-password#([\w.\-]+)", text).group(1)
