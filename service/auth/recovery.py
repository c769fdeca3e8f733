"""Getting back into an account whose password is lost, without anyone above the holder
being able to choose it for them: the holder asks for a link at the address on file, or the
platform operator resets the account, which the holder is told of and the log records.
Services take the session and never commit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from service.audit.services import record
from service.auth import password_links
from service.auth.models import User
from service.auth.password_links import Purpose
from service.i18n import lazy_gettext as _l
from service.mail import mail_configured, send_template
from tenants.db import db


@dataclass(frozen=True)
class Reset:
    username: str
    emailed_to: str | None
    link: str | None  # shown to the operator only when it could not be e-mailed


def _mail_link(user: User, link: str, why: object) -> bool:
    return bool(user.email) and send_template(
        user.email,
        "mail/password_link.txt",
        _l("Set your password"),
        why=why,
        username=user.username,
        days=password_links.link_days(),
        link=link,
    )


def forgotten(username: str) -> None:
    """The holder forgot the password: a link to the address on file, if there is one and
    SMTP is configured. The caller answers alike whatever happened, so the page tells no
    one which usernames exist or what address they have."""
    user = db.session.scalar(
        sa.select(User).where(User.username == username.strip(), User.active.is_(True))
    )
    if user is None or not user.email or not mail_configured():
        return
    link = password_links.url(password_links.issue(user, Purpose.RESET))
    emailed = _mail_link(user, link, _l("Someone, probably you, asked to reset your password."))
    record(
        db.session, "password_reset_link", "user_account", user.id, user.association_id,
        {"emailed": emailed},
    )  # fmt: skip


def operator_reset(user: User) -> Reset:
    """The platform operator resets a holder's password. The old password stops working at
    once, the link goes to the address on file, and only where it cannot be e-mailed does
    the operator see it, to hand it over. Audited either way."""
    link = password_links.url(password_links.reset(user))
    emailed = _mail_link(user, link, _l("The platform operator reset your password."))
    record(
        db.session, "password_reset", "user_account", user.id, user.association_id,
        {"emailed": emailed},
    )  # fmt: skip
    return Reset(user.username, user.email if emailed else None, None if emailed else link)


def user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip()))
