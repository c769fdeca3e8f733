"""A federation's own sign-in, for its officers and education supervisors (CAS or OpenID
Connect, the same protocols as the associations' providers: services.py and oidc.py).

Unlike an association's provider, a federation's never makes an account and never grants a
role: an officer's account must already exist in the service. The first sign-in finds it
by its e-mail address (the attribute the federation names), of this federation and of a
federation role only, and links it once the person confirms; later sign-ins go through the
link. The federation in the URL is the only one a sign-in touches: its provider and links
are read under its scope, and an account is accepted only if it is of that federation.
Services take the session and never commit."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.services import record
from service.auth import sealed
from service.auth import services as accounts
from service.auth.models import User
from service.auth.roles import Role
from service.i18n import lazy_gettext as _l
from service.sso.models import FederationIdentityProvider, FederationSsoLink, ProviderKind
from service.sso.oidc import MissingSecret, checked_discovery_url
from service.sso.oidc import end_session_url as oidc_end_session_url
from service.sso.services import Assertion, SsoError, check_cas_url, ticket_hash
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope

FEDERATION_ROLES = (Role.FEDERATION_OFFICER.value, Role.EDUCATION_SUPERVISOR.value)


def provider_of(federation_id: int, enabled_only: bool = True) -> FederationIdentityProvider | None:
    """The federation's provider (read under the caller's scope)."""
    query = sa.select(FederationIdentityProvider).where(
        FederationIdentityProvider.federation_id == federation_id
    )
    if enabled_only:
        query = query.where(FederationIdentityProvider.enabled.is_(True))
    return db.session.scalar(query)


def federations() -> list[tuple[int, str]]:
    """(federation id, name) of every federation whose staff sign in with its own account:
    the login page's list. Names only, public already."""
    with system_scope("the login page lists the federations with their own sign-in"):
        rows = db.session.execute(
            sa.select(Federation.id, Federation.name)
            .join(
                FederationIdentityProvider,
                FederationIdentityProvider.federation_id == Federation.id,
            )
            .where(FederationIdentityProvider.enabled.is_(True))
            .order_by(Federation.name)
        ).all()
    return [(row.id, row.name) for row in rows]


def configure(
    federation_id: int,
    *,
    kind: str,
    name: str,
    server_url: str = "",
    version: int = 3,
    discovery_url: str = "",
    client_id: str = "",
    client_secret: str | None = None,
    mfa_counts: bool = False,
    mfa_acr_values: str = "",
    match_attribute: str = "email",
) -> FederationIdentityProvider:
    """Set the federation's provider (made or replaced). The OIDC secret is stored sealed;
    a blank one keeps the one stored."""
    provider = provider_of(federation_id, enabled_only=False) or FederationIdentityProvider(
        federation_id=federation_id
    )
    if kind == ProviderKind.OIDC:
        provider.server_url = checked_discovery_url(discovery_url)
        secret = (client_secret or "").strip()
        if not secret and (provider.kind != ProviderKind.OIDC or not provider.client_secret):
            raise MissingSecret(_l("Enter the client secret the provider gave."))
        provider.client_id = client_id.strip()[:200]
        if secret:
            provider.client_secret = sealed.seal(secret)
        provider.mfa_counts = mfa_counts
        provider.mfa_acr_values = " ".join(mfa_acr_values.split())[:300]
    else:
        if version not in (2, 3):
            raise SsoError(_l("The CAS protocol version is 2 or 3."))
        check_cas_url(server_url)
        provider.server_url = server_url.strip().rstrip("/")
        provider.cas_version = version
    provider.kind = ProviderKind.OIDC.value if kind == ProviderKind.OIDC else "cas"
    provider.name = name.strip()[:100]
    provider.match_attribute = match_attribute.strip()[:64] or "email"
    provider.enabled = True
    db.session.add(provider)
    db.session.flush()
    return provider


def _federation_account(federation_id: int) -> sa.ColumnElement[bool]:
    """An active account of this federation, of a federation role."""
    return sa.and_(
        User.federation_id == federation_id,
        User.role.in_(FEDERATION_ROLES),
        User.active.is_(True),
    )


def linked_user(
    provider: FederationIdentityProvider, assertion: Assertion, handle: str
) -> User | None:
    """The account linked to this provider's subject, of the provider's federation only.
    The sign-in's handle is kept (hashed) for the provider's single logout."""
    if assertion.federation_id != provider.federation_id or assertion.provider_id != provider.id:
        return None
    link = db.session.scalar(
        sa.select(FederationSsoLink).where(
            FederationSsoLink.provider_id == provider.id,
            FederationSsoLink.federation_id == provider.federation_id,
            FederationSsoLink.subject == assertion.subject,
        )
    )
    if link is None:
        return None
    user = db.session.scalar(
        sa.select(User).where(User.id == link.user_id, _federation_account(provider.federation_id))
    )
    if user is not None:
        link.ticket_hash = ticket_hash(handle)
    return user


def matching_account(provider: FederationIdentityProvider, assertion: Assertion) -> User | None:
    """The federation's one account, of a federation role, whose e-mail address is the one
    the provider released, and which is linked to nobody yet. Two accounts: no guess."""
    value = assertion.attribute(provider.match_attribute)
    if not value or assertion.federation_id != provider.federation_id:
        return None
    matches = db.session.scalars(
        sa.select(User).where(
            sa.func.lower(User.email) == value.lower(),
            _federation_account(provider.federation_id),
            ~sa.exists().where(FederationSsoLink.user_id == User.id),
        )
    ).all()
    return matches[0] if len(matches) == 1 else None


def link_account(
    provider: FederationIdentityProvider, assertion: Assertion, user_id: int, handle_digest: str
) -> User:
    """The person confirmed: the existing account is linked to the provider's subject. The
    account is found again, as at the match: of this federation, of a federation role,
    linked to nobody, with the same e-mail address. Its role does not change."""
    user = matching_account(provider, assertion)
    if user is None or user.id != user_id:
        raise SsoError(_l("This account can no longer be linked. Sign in again."))
    db.session.add(
        FederationSsoLink(
            federation_id=provider.federation_id,
            provider_id=provider.id,
            subject=assertion.subject,
            user_id=user.id,
            ticket_hash=handle_digest,
        )
    )
    record(
        db.session, "sso_link", "user_account", user.id, None,
        {"federation_provider": provider.id, "federation": provider.federation_id},
    )  # fmt: skip
    return user


def account_in(federation_id: int, user_id: int) -> User | None:
    """The federation's account with `user_id`, else None (an id remembered in a session
    names no account of this federation)."""
    return db.session.scalar(
        sa.select(User).where(User.id == user_id, User.federation_id == federation_id)
    )


def link_of(user: User) -> FederationSsoLink | None:
    """The federation account's link to its federation's provider, if any."""
    if user.federation_id is None:
        return None
    return db.session.scalar(
        sa.select(FederationSsoLink).where(
            FederationSsoLink.user_id == user.id,
            FederationSsoLink.federation_id == user.federation_id,
        )
    )


def links(federation_id: int) -> list[tuple[FederationSsoLink, User]]:
    """The federation's links, with their accounts (the settings page)."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            sa.select(FederationSsoLink, User)
            .join(User, User.id == FederationSsoLink.user_id)
            .where(FederationSsoLink.federation_id == federation_id)
            .order_by(User.username)
        ).all()
    ]


def unlink(user: User, link: FederationSsoLink, by_holder: bool) -> None:
    """As for an association's account (services.unlink): the link goes, the sessions end,
    the next sign-in through the provider asks for confirmation again."""
    provider_id = link.provider_id
    db.session.delete(link)
    accounts.end_sessions(user)
    record(
        db.session, "sso_unlink", "user_account", user.id, None,
        {"federation_provider": provider_id, "by": "holder" if by_holder else "administrator"},
    )  # fmt: skip


def single_logout(federation_id: int, ticket: str) -> User | None:
    """The federation's CAS server says the sign-in of this ticket ended: every session of
    the account ends. Only a link of this federation's provider is looked at."""
    link = db.session.scalar(
        sa.select(FederationSsoLink).where(
            FederationSsoLink.federation_id == federation_id,
            FederationSsoLink.ticket_hash == ticket_hash(ticket),
        )
    )
    return _logged_out(link, federation_id)


def backchannel_logout(
    provider: FederationIdentityProvider, subject: str | None, sid: str | None
) -> User | None:
    """The federation's OpenID Connect provider says a sign-in ended (back-channel logout):
    the link of its subject, of the sign-in with that session id when it names one."""
    conditions = [
        FederationSsoLink.federation_id == provider.federation_id,
        FederationSsoLink.provider_id == provider.id,
    ]
    if sid is not None:
        conditions.append(FederationSsoLink.ticket_hash == ticket_hash(sid))
    if subject is not None:
        conditions.append(FederationSsoLink.subject == subject)
    link = db.session.scalar(sa.select(FederationSsoLink).where(*conditions))
    return _logged_out(link, provider.federation_id)


def _logged_out(link: FederationSsoLink | None, federation_id: int) -> User | None:
    if link is None:
        return None
    user = db.session.scalar(
        sa.select(User).where(User.id == link.user_id, User.federation_id == federation_id)
    )
    if user is None:
        return None
    accounts.end_sessions(user)
    link.ticket_hash = None
    record(
        db.session, "sso_logout", "user_account", user.id, None,
        {"federation_provider": link.provider_id},
    )  # fmt: skip
    db.session.flush()  # in the caller's scope: the request ends outside it
    return user


def end_session_url(federation_id: int, id_token: str, back: str) -> str | None:
    """The federation's OIDC end-session address for this sign-in, if any."""
    with use_scope(Scope.federation(federation_id)):
        provider = provider_of(federation_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.OIDC:
            return None
        return oidc_end_session_url(provider, id_token, back)
