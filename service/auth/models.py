"""Accounts (users) and API tokens. Neither is tenant-owned: both exist at every level."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from service.auth.roles import ROLES, Level, Permission, Role
from tenants.db import db
from tenants.models import utcnow

SECRET = {"secret": True}  # column info: the audit log records that it changed, never the value
PERSONAL = {"personal": True}  # likewise, for personal data (PIPL)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person who logs in. Association roles carry their association, federation roles
    their federation; a platform operator carries neither."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "(role IN ('association_admin', 'association_staff', 'member')"
            " AND association_id IS NOT NULL AND federation_id IS NULL)"
            " OR (role IN ('federation_officer', 'education_supervisor')"
            " AND federation_id IS NOT NULL AND association_id IS NULL)"
            " OR (role = 'operator' AND association_id IS NULL AND federation_id IS NULL)",
            name="role_level",
        ),
        # The key `account_of_the_tenant` references: an account of one association.
        sa.UniqueConstraint("association_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255), info=SECRET)
    role: Mapped[str] = mapped_column(sa.String(32))
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    # Part of the login cookie; a new one on password change ends every other session.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token, info=SECRET
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]
    # Where a password-reset link goes when the holder asks for one (the address on file).
    email: Mapped[str | None] = mapped_column(sa.String(120), info=PERSONAL)
    # Made without a password, waiting for the first one (an association's first
    # administrator). Only such an account may be sent a link by someone else: once the
    # holder has chosen a password, nobody above them can choose another for them.
    awaits_first_password: Mapped[bool] = mapped_column(default=False)
    # Failed sign-ins the holder has not yet been told of (counted when the per-username
    # ceiling is reached), and when the first of them came; reset at the next sign-in.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_logins_since: Mapped[datetime | None]
    # The second factor (TOTP): the key sealed with the service's secrets key (it must be
    # read back to check a code), set when enrolment starts and confirmed by a first code;
    # the last time step accepted, so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255), info=SECRET)
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger, info=SECRET)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def level(self) -> Level:
        return ROLES[self.role_enum].level

    def can(self, permission: Permission) -> bool:
        return permission in ROLES[self.role_enum].permissions


@dataclass(frozen=True, eq=False)
class SignedIn(UserMixin):
    """The signed-in account as a page needs it (Flask-Login's `current_user`): who, in
    which role and organisation, under which session token. A copy, attached to no
    session, that a worker may keep between requests (service/auth/token_cache.py): a view
    that changes the account reads the account itself (`services.account_of`)."""

    id: int
    username: str
    display_name: str
    role: str
    association_id: int | None
    federation_id: int | None
    session_token: str

    @classmethod
    def of(cls, user: User) -> SignedIn:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.association_id,
            user.federation_id,
            user.session_token,
        )

    def get_id(self) -> str:
        return self.session_token


class PasswordLink(db.Model):
    """A one-time link to set a password. The link signs this row's id and a nonce; only
    the nonce's hash is kept, and the row says whether the link was used or replaced."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    nonce_hash: Mapped[str] = mapped_column(sa.String(64), info=SECRET)
    purpose: Mapped[str] = mapped_column(sa.String(16))  # "first" or "reset"
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]

    user = db.relationship(User, lazy="joined")


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor when the authenticator is lost.
    Shown once; only its hash is kept."""

    __tablename__ = "second_factor_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), info=SECRET)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class TokenLevel:
    ASSOCIATION = "association"
    FEDERATION = "federation"
    NATIONAL = "national"
    ALL = (ASSOCIATION, FEDERATION, NATIONAL)


token_federation = sa.Table(
    "api_token_federation",
    db.metadata,
    sa.Column("token_id", sa.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("federation_id", sa.ForeignKey("federation.id"), primary_key=True),
)


class ApiToken(db.Model):
    """A bearer credential for integrations. Only a hash of the secret is kept."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint(
            "(level = 'association' AND association_id IS NOT NULL AND federation_id IS NULL)"
            " OR (level = 'federation' AND federation_id IS NOT NULL AND association_id IS NULL)"
            " OR (level = 'national' AND association_id IS NULL AND federation_id IS NULL)",
            name="token_level",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), info=SECRET)
    level: Mapped[str] = mapped_column(sa.String(16))
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    read_only: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    # Only national tokens have any: loaded when asked, not on every authenticated request.
    granted_federations = db.relationship("Federation", secondary=token_federation, lazy="select")

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
