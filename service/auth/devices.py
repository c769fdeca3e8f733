"""The known-device cookie: a browser that signed in to an account before is not paced when
that account is under attack (see `service.auth.throttle`).

The cookie is signed with SECRET_KEY and holds, for each account signed in from this
browser, a short digest of the account's id and password hash: it names no account, cannot
be made for an account without signing in to it, and a password change forgets every device.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth.models import User

COOKIE = "kx_device"
MAX_AGE = 180 * 24 * 3600  # a device unused for half a year is a stranger again
MAX_ACCOUNTS = 8  # a shared computer remembers the last few accounts, not every one


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def _mark(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:20]


def _marks() -> list[str]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        marks = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return []
    return [m for m in marks if isinstance(m, str)] if isinstance(marks, list) else []


def knows(user: User | None) -> bool:
    """Whether this browser signed in to `user` before (with the current password)."""
    if user is None:
        return False
    mark = _mark(user)
    return any(hmac.compare_digest(mark, m) for m in _marks())


def remember(response: Response, user: User) -> None:
    """After a successful sign-in: this browser is now known to `user`."""
    mark = _mark(user)
    marks = [mark, *(m for m in _marks() if m != mark)][:MAX_ACCOUNTS]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(marks),
        max_age=MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
