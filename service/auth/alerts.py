"""Telling an account holder that someone kept failing to sign in as them: counted on the
account (shown at their next sign-in) and e-mailed where SMTP is configured and the account
has an address on file (its own, else the e-mail of the member record linked to it)."""

from __future__ import annotations

from datetime import datetime

from service.auth.models import User
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.mail import send_template
from tenants.models import utcnow


def record_failures(user: User, failures: int) -> bool:
    """Add `failures` to the account's unreported count; e-mail the holder. Returns whether
    an e-mail went out. The caller commits."""
    user.failed_logins = (user.failed_logins or 0) + failures
    user.failed_logins_since = user.failed_logins_since or utcnow()
    address = _address(user)
    if not address:
        return False
    return send_template(
        address,
        "mail/failed_sign_ins.txt",
        _l("Failed sign-ins to your account"),
        count=failures,
        username=user.username,
    )


def notice_at_sign_in(user: User) -> str | None:
    """The notice for a holder who signs in after failures were counted; clears the count.
    The caller commits."""
    if not user.failed_logins:
        return None
    since: datetime = user.failed_logins_since or utcnow()
    notice = _(
        "Since %(since)s there were at least %(count)s failed attempts to sign in to your"
        " account. If they were not yours, change your password.",
        since=since.strftime("%Y-%m-%d %H:%M UTC"),
        count=user.failed_logins,
    )
    user.failed_logins, user.failed_logins_since = 0, None
    return notice


def _address(user: User) -> str | None:
    """The address on file for the account, else its member record's."""
    if user.email or user.association_id is None:
        return user.email
    from service.members.services import address_of_account

    return address_of_account(user.id, user.association_id)
