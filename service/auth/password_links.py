"""One-time links to set a password: an association's first administrator gets one, and so
does a holder who forgot theirs (by e-mail) or whom the operator helps.

Each link is a row: the link signs the row's id and a random nonce, and only the nonce's
hash is kept. A link works once (using it marks the row) and only while it is the newest
of its account (a new link supersedes the earlier ones), until it expires.

The link carries its secret after `#` (`/account/set-password#<token>`): browsers do not
send the fragment, so no request log, proxy log or Referer ever holds it; the page reads
it and posts it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.auth.models import PasswordLink, User, new_session_token
from service.auth.services import hash_password, unusable_password
from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import utcnow

_SALT = "password-link"
DEFAULT_DAYS = 7


class Purpose(StrEnum):
    FIRST = "first"  # an account made without a password
    RESET = "reset"  # the holder forgot it, or the operator reset it


class LinkRefused(Exception):
    """Why a link cannot be issued or used, said to the person who holds it."""


def link_days() -> int:
    return int(current_app.config.get("SET_PASSWORD_LINK_DAYS", DEFAULT_DAYS))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def url(token: str) -> str:
    """The link to send: the token in the fragment, which never reaches a server log."""
    return f"{url_for('auth.set_password', _external=True)}#{token}"


def issue(user: User, purpose: Purpose) -> str:
    """A new link for the account; every earlier unused link of it stops working. Returns
    the token (give it only to the holder, or to whoever is allowed to pass it on)."""
    _supersede(user)
    nonce = secrets.token_urlsafe(24)
    link = PasswordLink(user_id=user.id, nonce_hash=_digest(nonce), purpose=purpose.value)
    db.session.add(link)
    db.session.flush()
    return _serializer().dumps({"l": link.id, "n": nonce})


def issue_first(user: User) -> str:
    """A link for an account that has never had a password. Anyone else's link would let
    its issuer choose the password of an account in use, and sign in as its holder."""
    if not user.awaits_first_password:
        raise LinkRefused(
            _l(
                "%(username)s has already set a password, so no one else may be given a link"
                " for this account. If the holder forgot it, they ask for a link by e-mail on"
                " the sign-in page, or the platform operator resets it.",
                username=user.username,
            )
        )
    return issue(user, Purpose.FIRST)


def _supersede(user: User, keep: int | None = None) -> None:
    db.session.execute(
        sa.update(PasswordLink)
        .where(
            PasswordLink.user_id == user.id,
            PasswordLink.id != (keep or 0),
            PasswordLink.used_at.is_(None),
            PasswordLink.superseded_at.is_(None),
        )
        .values(superseded_at=utcnow())
    )


def open_link(token: str) -> PasswordLink:
    """The link's row, if the link may still set a password; LinkRefused says why not."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise LinkRefused(_l("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        data = None
    link = None
    if isinstance(data, dict) and isinstance(data.get("l"), int):
        link = db.session.get(PasswordLink, data["l"])
    if link is None or not hmac.compare_digest(link.nonce_hash, _digest(str(data.get("n")))):
        raise LinkRefused(_l("This link is not valid. Check that you copied all of it."))
    if link.used_at is not None:
        raise LinkRefused(
            _l(
                "This link has already been used. If it was not you who used it, tell your"
                " platform operator at once."
            )
        )
    if link.superseded_at is not None:
        raise LinkRefused(
            _l("A newer link replaced this one. Use the most recent link you were sent.")
        )
    if not link.user.active:
        raise LinkRefused(_l("This account is deactivated."))
    return link


def use(link: PasswordLink, password: str) -> None:
    """Set the password, spend the link (and any other of the account), end every session."""
    user = link.user
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    user.password_changed_at = utcnow()
    user.awaits_first_password = False
    link.used_at = utcnow()
    _supersede(user, keep=link.id)


def reset(user: User) -> str:
    """The operator's reset: the old password stops working at once (the holder notices even
    without the e-mail), every session ends, and a reset link is issued."""
    user.password_hash = unusable_password()
    user.session_token = new_session_token()
    return issue(user, Purpose.RESET)
