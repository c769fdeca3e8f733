"""The second factor: a time-based one-time code (TOTP, RFC 6238) from an authenticator app,
for the roles that see more than their own record. Recovery codes stand in for a lost
authenticator; the platform operator can reset it, which the holder is told of.
Services take the session and never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from service.audit.services import record
from service.auth import sealed, services
from service.auth.models import RecoveryCode, User
from service.auth.roles import Role
from service.errors import RuleBroken
from service.i18n import lazy_gettext as _l
from service.mail import send_template
from tenants.db import db
from tenants.models import utcnow

# Officers, education supervisors, association admins and the operator: their sign-in opens
# a province's, an association's or the platform's data.
PRIVILEGED = frozenset(
    {
        Role.OPERATOR,
        Role.FEDERATION_OFFICER,
        Role.EDUCATION_SUPERVISOR,
        Role.ASSOCIATION_ADMIN,
    }
)
ISSUER = "Kexie"  # what the authenticator app shows above the account name
RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code is read off paper and typed.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# One step either side: the phone's clock may be off by up to 30 seconds.
_WINDOW = 1


class SecondFactorError(RuleBroken):
    """A user-facing refusal: a wrong code, an enrolment that is not open."""


def is_enrolled(user: User) -> bool:
    return user.totp_enrolled_at is not None


def is_privileged(user: User) -> bool:
    return Role(user.role) in PRIVILEGED


def required(user: User) -> bool:
    """Whether this account may not finish a password sign-in without a second factor."""
    return is_privileged(user) and current_app.config["SECOND_FACTOR_REQUIRED"]


def asked_at_sign_in(user: User) -> bool:
    """Everyone enrolled is asked for a code; a privileged account that must have one and
    has none enrols before its sign-in completes."""
    return is_enrolled(user) or required(user)


# --- enrolment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown as text too, for entering by hand

    def uri(self, username: str) -> str:
        return pyotp.TOTP(self.secret).provisioning_uri(name=username, issuer_name=ISSUER)

    def qr_svg(self, username: str) -> Markup:
        """The QR code as inline SVG, drawn here: the key goes to no other service."""
        svg = segno.make(self.uri(username), error="m").svg_inline(scale=5, dark="#000")
        return Markup(svg)  # noqa: S704 - segno's own markup; the key is drawn, not written

    @property
    def grouped(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def start_enrolment(user: User) -> Enrolment:
    """The key to enrol, made once and kept sealed until a first code confirms it."""
    if is_enrolled(user):
        raise SecondFactorError(_l("A second factor is already set up for this account."))
    if user.totp_secret is None:
        user.totp_secret = sealed.seal(pyotp.random_base32())
    return Enrolment(sealed.unseal(user.totp_secret))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """A first right code confirms the key; returns the recovery codes, to show once."""
    if is_enrolled(user) or user.totp_secret is None:
        raise SecondFactorError(_l("Start setting up the second factor again."))
    if not _accept_totp(user, code):
        raise SecondFactorError(_l("The code is wrong or used already. Try the next one."))
    user.totp_enrolled_at = utcnow()
    record(db.session, "second_factor_enrolled", "user_account", user.id, user.association_id)
    return _new_recovery_codes(user)


def renew_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), against a current code."""
    if not is_enrolled(user):
        raise SecondFactorError(_l("No second factor is set up for this account."))
    if not _accept_totp(user, code):
        raise SecondFactorError(_l("The code is wrong or used already. Try the next one."))
    record(
        db.session, "second_factor_recovery_codes_renewed", "user_account", user.id,
        user.association_id,
    )  # fmt: skip
    return _new_recovery_codes(user)


# --- checking a code ------------------------------------------------------------------


def verify(user: User, code: str) -> str | None:
    """How the code was right ("totp" or "recovery"), or None. Each is accepted once."""
    if not is_enrolled(user):
        return None
    if _accept_totp(user, code):
        return "totp"
    if _spend_recovery_code(user, code):
        record(
            db.session, "second_factor_recovery_used", "user_account", user.id,
            user.association_id, {"left": unused_recovery_codes(user)},
        )  # fmt: skip
        return "recovery"
    return None


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _accept_totp(user: User, code: str) -> bool:
    """The code of a time step near now that is later than the last accepted one. The
    step is claimed by a conditional update, so two requests with one code cannot both
    pass."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit() or user.totp_secret is None:
        return False
    totp = pyotp.TOTP(sealed.unseal(user.totp_secret))
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - _WINDOW, now_step + _WINDOW + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            claimed = db.session.execute(
                sa.update(User)
                .where(
                    User.id == user.id,
                    sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                user.totp_last_step = step
                return True
            return False
    return False


# --- recovery codes -------------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch in _ALPHABET)


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def _spend_recovery_code(user: User, code: str) -> bool:
    if len(_normalised(code)) != 10:
        return False
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# --- the operator's reset -------------------------------------------------------------


def operator_reset(user: User) -> str | None:
    """The holder lost authenticator and recovery codes: the operator removes the second
    factor. Every session of the holder ends; a privileged holder enrols again at the next
    sign-in. The holder is told by e-mail (returns the address, None where it could not be
    sent) and the log records it."""
    if not is_enrolled(user) and user.totp_secret is None:
        raise SecondFactorError(_l("This account has no second factor to reset."))
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    services.end_sessions(user)
    emailed = bool(user.email) and send_template(
        user.email,
        "mail/second_factor_reset.txt",
        _l("Your second factor was reset"),
        username=user.username,
    )
    record(
        db.session, "second_factor_reset", "user_account", user.id, user.association_id,
        {"emailed": emailed},
    )  # fmt: skip
    return user.email if emailed else None
