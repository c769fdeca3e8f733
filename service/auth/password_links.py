"""One-time links to set a password, as the first administrator of a new association gets.

The link is signed with the app's secret and expires. It is one-time because it also signs
a fingerprint of the account's current password hash: setting the password changes the
hash, and every earlier link stops working. Nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth.models import User, new_session_token
from service.auth.services import hash_password
from tenants.db import db
from tenants.models import utcnow

_SALT = "set-password"
DEFAULT_DAYS = 7


def link_days() -> int:
    return int(current_app.config.get("SET_PASSWORD_LINK_DAYS", DEFAULT_DAYS))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def unusable_password() -> str:
    """A hash no one knows the password of: the account waits for its link."""
    return hash_password(secrets.token_urlsafe(32))


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_token(token: str) -> User | None:
    """The active account the link is for, or None if it is forged, expired or used."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86400)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.scalar(sa.select(User).where(User.id == data.get("u")))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(_fingerprint(user), str(data.get("f", ""))):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Set the password (which spends the link) and end any other session."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    user.password_changed_at = utcnow()
