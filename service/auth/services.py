"""Passwords, sessions and API tokens. Services take the session and never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from service.audit.services import record
from service.auth import token_cache
from service.auth.models import ApiToken, SignedIn, TokenLevel, User, new_session_token
from service.auth.principal import Principal
from service.auth.roles import ROLES, TOKEN_PERMISSIONS, Level, Permission, Role
from service.errors import RuleBroken
from service.i18n import lazy_gettext as _l
from service.unique_keys import claimed
from tenants.db import db
from tenants.models import Association, Federation, utcnow
from tenants.scope import Scope

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "kx"  # noqa: S105 - a marker, not a secret
# A real hash to compare against when the username is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


USERNAME_TAKEN = {"username": _l("That username is taken.")}


class AuthError(RuleBroken):
    """A user-facing refusal: bad password, weak password, bad token request."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    return generate_password_hash(password, method="scrypt")


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip()))


def authenticate(username: str, password: str) -> User | None:
    user = find_user(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def user_by_session_token(token: str) -> User | None:
    """The active account itself (to change it) a session's token is of, or None."""
    return db.session.scalar(
        sa.select(User).where(User.session_token == token, User.active.is_(True))
    )


def signed_in(session_token: str) -> SignedIn | None:
    """The active account a session's token is of, or None: from this process's cache
    when the token is known (no database round trip), else read and remembered (see
    token_cache for how long, and how a change of the account reaches every worker)."""

    def read() -> tuple[SignedIn, datetime] | None:
        user = user_by_session_token(session_token)
        return (SignedIn.of(user), datetime.max) if user is not None else None

    return token_cache.accounts().verified(session_token, read)


def end_sessions(user: User) -> None:
    """A new session token: every session and remember-me cookie of the user stops working,
    including one copied from a browser before it signed out."""
    user.session_token = new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and a new session token: every other session ends."""
    if not check_password_hash(user.password_hash, current):
        raise AuthError(_l("The current password is wrong."))
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    user.password_changed_at = utcnow()


# --- API tokens -----------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *,
    name: str,
    level: str,
    created_by: User | None,
    association_id: int | None = None,
    federation_id: int | None = None,
    federation_ids: list[int] | None = None,
    read_only: bool = True,
    days: int = 90,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; returns it with the plaintext, which is shown once and never stored."""
    if level not in TokenLevel.ALL:
        raise AuthError(_l("Unknown token level."))
    if not 1 <= days <= 730:
        raise AuthError(_l("A token lives between 1 and 730 days."))
    if not name or not name.strip():
        raise AuthError(_l("A token needs a name."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        prefix=prefix,
        secret_hash=_digest(secret),
        level=level,
        association_id=association_id if level == TokenLevel.ASSOCIATION else None,
        federation_id=federation_id if level == TokenLevel.FEDERATION else None,
        read_only=read_only,
        expires_at=(now or utcnow()) + timedelta(days=days),
        created_by_id=created_by.id if created_by else None,
    )
    if level == TokenLevel.NATIONAL:
        feds = db.session.scalars(
            sa.select(Federation).where(Federation.id.in_(federation_ids or []))
        ).all()
        if not feds:
            raise AuthError(_l("A national token needs at least one granted federation."))
        token.granted_federations = list(feds)
    db.session.add(token)
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def token_from_header(header: str | None, now: datetime | None = None) -> ApiToken | None:
    """The usable token for an `Authorization: Bearer ...` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    parts = header[len("Bearer ") :].strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == parts[1]))
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
        return None
    if not token.is_usable(now or utcnow()):
        return None
    return token


def principal_for_header(header: str | None) -> Principal | None:
    """The principal of a usable token in an `Authorization: Bearer ...` header, or None:
    from this process's cache when the token is known (no database round trip), else
    verified in the database and remembered (see token_cache for how long)."""
    if not header or not header.startswith("Bearer "):
        return None

    def verify() -> tuple[Principal, datetime] | None:
        token = token_from_header(header)
        return (principal_for_token(token), token.expires_at) if token is not None else None

    return token_cache.cache().verified(header, verify)


def principal_for_token(token: ApiToken) -> Principal:
    if token.level == TokenLevel.ASSOCIATION:
        scope, level = Scope.association(token.association_id), Level.ASSOCIATION
    elif token.level == TokenLevel.FEDERATION:
        scope, level = Scope.federation(token.federation_id), Level.FEDERATION
    else:
        scope, level = Scope.national(f.id for f in token.granted_federations), "national"
    return Principal(
        "token",
        token.id,
        token.name,
        scope,
        TOKEN_PERMISSIONS[(level, not token.read_only)],
        None,
        level,
        token.association_id,
        token.federation_id,
        read_only=token.read_only,
    )


def account_of(principal: Principal) -> User | None:
    """The account of the person signed in (None for a token, or an account since gone)."""
    if principal.kind != "user":
        return None
    return db.session.scalar(sa.select(User).where(User.id == principal.id))


def account_named(username: str) -> User | None:
    """The account with this username (they are unique across the platform)."""
    return db.session.scalar(sa.select(User).where(User.username == username))


def federations() -> list[Federation]:
    """Every federation, by code: what the operator chooses among."""
    return list(db.session.scalars(sa.select(Federation).order_by(Federation.code)))


def tokens_of(principal: Principal) -> list[ApiToken]:
    """The API tokens `principal` may see and revoke."""
    return list(db.session.scalars(tokens_visible_to(principal)))


def accounts_of(principal: Principal) -> list[User]:
    """The accounts `principal` may see and manage."""
    return list(db.session.scalars(users_visible_to(principal)))


def tokens_visible_to(principal: Principal) -> sa.Select:
    """Tokens a principal may list and revoke: its own association's or federation's;
    every token for a platform operator."""
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if principal.level is Level.PLATFORM:
        return query
    if principal.level is Level.FEDERATION:
        return query.where(ApiToken.federation_id == principal.federation_id)
    if principal.level is Level.ASSOCIATION and principal.association_id:
        return query.where(ApiToken.association_id == principal.association_id)
    return query.where(sa.false())


def access_token(principal: Principal, token_id: int) -> ApiToken | None:
    return db.session.scalar(tokens_visible_to(principal).where(ApiToken.id == token_id))


def token_request_for(principal: Principal) -> dict:
    """The level and owner a principal's new tokens get: always its own, never from input."""
    if principal.level is Level.ASSOCIATION:
        return {"level": TokenLevel.ASSOCIATION, "association_id": principal.association_id}
    if principal.level is Level.FEDERATION:
        return {"level": TokenLevel.FEDERATION, "federation_id": principal.federation_id}
    raise AuthError(_l("Operators create national tokens with granted federations."))


def revoke_token(token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        token_cache.note_revocation(db.session())


# --- users ----------------------------------------------------------------------------


def users_visible_to(principal: Principal) -> sa.Select:
    """Users a principal may manage: its association's; operators see operators and
    federation staff (association users are managed inside the association)."""
    query = sa.select(User).order_by(User.username)
    if principal.level is Level.ASSOCIATION and principal.can(Permission.MANAGE_USERS):
        return query.where(User.association_id == principal.association_id)
    if principal.level is Level.PLATFORM:
        return query.where(User.association_id.is_(None))
    return query.where(sa.false())


def access_user(principal: Principal, user_id: int) -> User | None:
    return db.session.scalar(users_visible_to(principal).where(User.id == user_id))


def display_name_in(user_id: int, association_id: int) -> str | None:
    """The display name of an account of this association (None for another's or none)."""
    return db.session.scalar(
        sa.select(User.display_name).where(
            User.id == user_id, User.association_id == association_id
        )
    )


def federation_accounts(federation_id: int) -> list[User]:
    """The accounts of a federation's supervisors, by username."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.federation_id == federation_id).order_by(User.username)
        )
    )


def federation_officers(federation_id: int) -> list[User]:
    """The federation's officers (who a problem can be assigned to), by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.federation_id == federation_id, User.role == Role.FEDERATION_OFFICER.value)
            .order_by(User.display_name, User.id)
        )
    )


def assignable_roles(principal: Principal) -> list[Role]:
    if principal.level is Level.ASSOCIATION:
        return [r for r, spec in ROLES.items() if spec.level is Level.ASSOCIATION]
    if principal.level is Level.PLATFORM:
        return [r for r, spec in ROLES.items() if spec.level is not Level.ASSOCIATION]
    return []


def username_taken(username: str) -> bool:
    """Whether an account has this username (they are unique across the platform)."""
    return db.session.scalar(sa.select(User.id).where(User.username == username)) is not None


def unusable_password() -> str:
    """A hash no one knows the password of: the account waits for its link."""
    return hash_password(secrets.token_urlsafe(32))


def add_awaiting_password(
    *,
    username: str,
    display_name: str,
    email: str | None,
    role: Role,
    association_id: int,
    taken: dict,
) -> User:
    """An account that signs in once its holder has set a password through a one-time
    link (an association's first administrator). A username another request took at the
    same moment is a Conflict with `taken`'s message."""
    user = User(
        username=username,
        display_name=display_name,
        password_hash=unusable_password(),
        awaits_first_password=True,
        email=email,
        role=role.value,
        association_id=association_id,
    )
    with claimed(User, taken):
        db.session.add(user)
    return user


def oldest_of_role(association_id: int, role: Role) -> User | None:
    """The association's first account of `role` (the administrator made on approval)."""
    return db.session.scalar(
        sa.select(User)
        .where(User.association_id == association_id, User.role == role.value)
        .order_by(User.id)
        .limit(1)
    )


def create_user(
    principal: Principal,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    federation_id: int | None = None,
    email: str | None = None,
) -> User:
    """Create an account inside the principal's own reach; the level comes from the role."""
    if role not in assignable_roles(principal):
        raise AuthError(_l("You may not give that role."))
    username = username.strip()
    if not username or username_taken(username):
        raise AuthError(USERNAME_TAKEN["username"])
    level = ROLES[role].level
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role.value,
        email=(email or "").strip() or None,
    )
    if level is Level.ASSOCIATION:
        user.association_id = principal.association_id
    elif level is Level.FEDERATION:
        known = sa.select(Federation.id).where(Federation.id == federation_id)
        if federation_id is None or db.session.scalar(known) is None:
            raise AuthError(_l("Choose the federation for this role."))
        user.federation_id = federation_id
    with claimed(User, USERNAME_TAKEN):  # by another request since the check
        db.session.add(user)
    # The grant named as such in the log (the row's creation is logged too): roles above
    # member are given here only, never by a sign-in's attributes (service/sso).
    record(
        db.session, "role_grant", "user_account", user.id, user.association_id,
        {"role": user.role, "federation": user.federation_id},
    )  # fmt: skip
    return user


def set_user_active(user: User, active: bool) -> None:
    """Deactivate or reactivate; deactivation also ends the user's sessions."""
    user.active = active
    if not active:
        user.session_token = new_session_token()


# --- who acted ------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Where an account or token sits: its role ("api_token" for a token) and its
    association or federation."""

    role: str
    association_id: int | None
    federation_id: int | None
    name: str = ""  # the account's display name, the token's name


def owners_of_labels(labels: Collection[str]) -> dict[str, Owner]:
    """The accounts and tokens behind audit actor labels ('user:12 alice', 'token:3 sync');
    a label naming nobody ('system', 'anonymous') or no longer existing is left out."""
    wanted: dict[str, dict[int, list[str]]] = {"user": {}, "token": {}}
    for label in labels:
        kind, _, rest = label.partition(":")
        number = rest.split(" ", 1)[0]
        if kind in wanted and number.isdigit():
            wanted[kind].setdefault(int(number), []).append(label)
    owners: dict[tuple[str, int], Owner] = {}
    users = sa.select(
        User.id, User.role, User.association_id, User.federation_id, User.display_name
    )
    for row in db.session.execute(users.where(User.id.in_(wanted["user"]))):
        owners["user", row.id] = Owner(
            row.role, row.association_id, row.federation_id, row.display_name
        )
    tokens = sa.select(ApiToken.id, ApiToken.association_id, ApiToken.federation_id, ApiToken.name)
    for row in db.session.execute(tokens.where(ApiToken.id.in_(wanted["token"]))):
        owners["token", row.id] = Owner(
            "api_token", row.association_id, row.federation_id, row.name
        )
    return {
        label: owner for (kind, number), owner in owners.items() for label in wanted[kind][number]
    }


# --- counts for the to-do lists --------------------------------------------------------------


def count_users_visible_to(principal: Principal) -> int:
    query = users_visible_to(principal).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def tokens_expiring(principal: Principal, within: timedelta) -> list[ApiToken]:
    """The principal's live tokens that expire within `within`."""
    query = tokens_visible_to(principal).where(
        ApiToken.revoked_at.is_(None), ApiToken.expires_at < utcnow() + within
    )
    return list(db.session.scalars(query))


def first_admins_waiting(federation_id: int) -> int:
    """First administrators of the federation's associations who have not set a password."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .join(Association, Association.id == User.association_id)
        .where(Association.federation_id == federation_id, User.awaits_first_password)
    )
