"""The first account of a newly approved association: an administrator for the applicant's
contact person, who sets a password through a one-time link. The officer sees the link;
the contact gets it by e-mail where SMTP is configured. Once the contact has set the
password, the officer can issue no more links for the account (it would let them choose
the password of an account in use)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.audit.services import record
from service.auth import password_links
from service.auth import services as accounts
from service.auth.roles import Role
from service.governance.models import EstablishmentApplication
from service.i18n import lazy_gettext as _l
from service.mail import send_template
from tenants.db import db

if TYPE_CHECKING:  # hints only: accounts are made and read through auth's services
    from service.auth.models import User

USERNAME_MAX = 80
USERNAME_TAKEN = {
    "username": _l(
        "The first administrator's username was taken at the same moment; approve again."
    )
}


@dataclass(frozen=True)
class Welcome:
    username: str
    link: str
    emailed_to: str | None


def _username(email: str, association_id: int) -> str:
    """The contact's e-mail address, which they know; a fixed name if it is taken."""
    wanted = email.strip().lower()
    if len(wanted) <= USERNAME_MAX and not accounts.username_taken(wanted):
        return wanted
    return f"admin-{association_id}"


def create(application: EstablishmentApplication, association_id: int) -> User:
    """The association's first administrator, waiting for a password. Audited as a write."""
    return accounts.add_awaiting_password(
        username=_username(application.contact_email, association_id),
        display_name=application.contact_name,
        email=application.contact_email.strip() or None,
        role=Role.ASSOCIATION_ADMIN,
        association_id=association_id,
        taken=USERNAME_TAKEN,  # the e-mail made another's username since the check
    )


def admin_of(application: EstablishmentApplication) -> User | None:
    """The first administrator made on approval: the oldest admin of the new association."""
    if application.association_id is None:
        return None
    return accounts.oldest_of_role(application.association_id, Role.ASSOCIATION_ADMIN)


def welcome(user: User, association_name: str, email: str | None) -> Welcome:
    """A fresh one-time link, e-mailed where SMTP is configured; the issue is audited. The
    mail goes out once the request commits (`send_template`), so an approval refused after
    this step welcomes no one to an account that was never made. Raises LinkRefused once
    the account has set its password."""
    link = password_links.url(password_links.issue_first(user))
    emailed = bool(email) and send_template(
        email,
        "mail/first_admin.txt",
        _l("%(name)s is approved: set your password", name=association_name),
        username=user.username,
        days=password_links.link_days(),
        link=link,
    )
    record(
        db.session,
        "set_password_link",
        "user_account",
        user.id,
        user.association_id,
        {"emailed": emailed},
    )
    return Welcome(user.username, link, email if emailed else None)
