"""Finishing a sign-in, and holding one that waits for its second factor.

A right password for an account that is asked for a second factor does not sign in: the
session holds only the account's session token, the "keep me signed in" choice and where
to go next, for a few minutes. A password change or a reset in between changes the token,
and the held sign-in is gone with it."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, flash, redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response as BaseResponse

from service.audit.services import record, set_actor
from service.auth import alerts, devices, services
from service.auth.models import User
from service.auth.principal import principal_for_user
from tenants.db import db

PENDING = "second_factor_pending"
PENDING_SECONDS = 300


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, //host) goes home."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("web.home")


def complete(
    user: User, remember: bool, respond: Callable[[], BaseResponse], **details
) -> BaseResponse:
    """Sign the user in: a fresh session, the login in the log, this device remembered;
    `respond` makes the answer once the user is signed in."""
    carried = _carried_over(user)
    session.clear()  # a fresh session at login: nothing carried over from before
    session.update(carried)  # ... but what the held sign-in was told to keep
    login_user(user, remember=remember)
    set_actor(principal_for_user(user).audit_label)
    notice = alerts.notice_at_sign_in(user)
    record(
        db.session, "login", "user_account", user.id, tenant_id=user.association_id,
        changes=details or None,
    )  # fmt: skip
    db.session.flush()  # what the sign-in wrote, in its scope (an SSO one runs in the provider's)
    if notice:
        flash(notice, "error")
    response = respond()
    devices.remember(response, user)
    return response


def hold(
    user: User, remember: bool, target: str, enrol: bool, carry: dict | None = None
) -> Response:
    """The password was right; the second factor is still to come (or to be set up).
    `carry` goes into the session once signed in (an SSO sign-in's end-session hint)."""
    db.session.flush()  # what the sign-in wrote, in its scope (an SSO one runs in the provider's)
    session.clear()
    session[PENDING] = {
        "token": user.session_token,
        "remember": bool(remember),
        "next": target,
        "until": int(time.time()) + PENDING_SECONDS,
        "carry": carry or {},
    }
    endpoint = "second_factor.enrol" if enrol else "second_factor.challenge"
    return redirect(url_for(endpoint))


def held() -> tuple[User, dict] | None:
    """The account whose sign-in waits for its second factor, and the held details."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    user = services.user_by_session_token(str(pending.get("token", "")))
    return (user, pending) if user is not None else None


def _carried_over(user: User) -> dict:
    """What a held sign-in of this same account asked to keep in the signed-in session."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("token") != user.session_token:
        return {}
    carry = pending.get("carry")
    return dict(carry) if isinstance(carry, dict) else {}


def release() -> None:
    session.pop(PENDING, None)
