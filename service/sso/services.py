"""Signing in through an association's CAS server, and linking the person to a member record
(the OpenID Connect flow is in oidc.py; linking is the same for both).

The association in the URL is the only tenant a sign-in touches: its provider is read under
its scope, the ticket is validated against that provider for a service URL the service
makes itself (never one from the request), and an account is found only through a link of
that provider. A user name the provider asserts means nothing at another association's
provider. Services take the session and never commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from cas import CASClient
from lxml import etree
from werkzeug.security import generate_password_hash

from service.audit.services import record
from service.auth import services
from service.auth.models import User
from service.auth.roles import Role
from service.errors import RuleBroken
from service.i18n import lazy_gettext as _l
from service.members import services as members
from service.sso.models import (
    FederationIdentityProvider,
    IdentityProvider,
    MatchField,
    SsoLink,
)
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope

if TYPE_CHECKING:  # hints only: records are read through the members' services
    from service.members.models import Member

VALIDATE_TIMEOUT = 10  # seconds for the server-to-server ticket validation


class SsoError(RuleBroken):
    """A user-facing refusal: the university refused the ticket, the record is taken."""


@dataclass(frozen=True)
class Assertion:
    """Who the provider says signed in, with the attributes it released."""

    provider_id: int
    # The association of the provider; None for a federation's provider, whose assertion
    # carries its federation instead: a federation's assertion finds no association's link.
    tenant_id: int | None
    subject: str
    attributes: dict
    federation_id: int | None = None

    def attribute(self, name: str) -> str | None:
        value = self.attributes.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value).strip() if value else None


def provider_of(association_id: int, enabled_only: bool = True) -> IdentityProvider | None:
    """The association's provider (read under the caller's scope)."""
    query = sa.select(IdentityProvider).where(IdentityProvider.tenant_id == association_id)
    if enabled_only:
        query = query.where(IdentityProvider.enabled.is_(True))
    return db.session.scalar(query)


def password_refused(user: User) -> bool:
    """A member of an association that signs its members in through the university only."""
    if user.role != Role.MEMBER.value or user.association_id is None:
        return False
    with system_scope("the sign-in reads whether the member's association allows passwords"):
        return bool(
            db.session.scalar(
                sa.select(IdentityProvider.id).where(
                    IdentityProvider.tenant_id == user.association_id,
                    IdentityProvider.enabled.is_(True),
                    IdentityProvider.members_without_password.is_(True),
                )
            )
        )


def link_count(association_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SsoLink).where(SsoLink.tenant_id == association_id)
    )


def universities() -> list[tuple[int, str]]:
    """(association id, name) of every association whose members sign in with their
    university's account: the login page's list. Names only, public already."""
    with system_scope("the login page lists the universities with their own sign-in"):
        rows = db.session.execute(
            sa.select(Association.id, Association.name)
            .join(IdentityProvider, IdentityProvider.tenant_id == Association.id)
            .where(IdentityProvider.enabled.is_(True), Association.status == "active")
            .order_by(Association.name)
        ).all()
    return [(row.id, row.name) for row in rows]


def sign_in_addresses() -> list[str]:
    """The addresses of the enabled providers of active associations (a CAS server, an
    OIDC discovery document): where the login page's university picker may lead."""
    with system_scope("the login page's policy admits the universities' sign-in addresses"):
        return list(
            db.session.scalars(
                sa.select(IdentityProvider.server_url)
                .join(Association, IdentityProvider.tenant_id == Association.id)
                .where(IdentityProvider.enabled.is_(True), Association.status == "active")
            )
        )


def _client(provider: IdentityProvider, service_url: str) -> CASClient:
    client = CASClient(
        version=provider.cas_version,
        service_url=service_url,
        server_url=provider.server_url.rstrip("/") + "/",
        verify_ssl_certificate=True,
    )
    client.session.request = _with_timeout(client.session.request)
    return client


def _with_timeout(request):
    def bounded(*args, **kwargs):
        kwargs.setdefault("timeout", VALIDATE_TIMEOUT)
        return request(*args, **kwargs)

    return bounded


def login_url(provider: IdentityProvider, service_url: str) -> str:
    return _client(provider, service_url).get_login_url()


def logout_url(provider: IdentityProvider, return_url: str) -> str:
    return _client(provider, return_url).get_logout_url(return_url)


def validate(provider: IdentityProvider, service_url: str, ticket: str) -> Assertion:
    """Ask the provider (serviceValidate for CAS 2, p3/serviceValidate for CAS 3) whether
    the ticket was issued to this service."""
    try:
        subject, attributes, _pgt = _client(provider, service_url).verify_ticket(ticket)
    except Exception as exc:  # the provider unreachable or answering garbage
        raise SsoError(_l("The university's sign-in could not be checked. Try again.")) from exc
    if not subject:
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again."))
    return assertion_of(provider, str(subject), dict(attributes or {}))


def assertion_of(
    provider: IdentityProvider | FederationIdentityProvider, subject: str, attributes: dict
) -> Assertion:
    """What the provider asserted, bound to its owner: its association or its federation."""
    if isinstance(provider, FederationIdentityProvider):
        return Assertion(provider.id, None, subject, attributes, provider.federation_id)
    return Assertion(provider.id, provider.tenant_id, subject, attributes)


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def linked_user(assertion: Assertion, ticket: str) -> User | None:
    """The account linked to this provider's subject: of the provider's association only.
    The ticket is kept (hashed) for the provider's single logout."""
    link = db.session.scalar(
        sa.select(SsoLink).where(
            SsoLink.provider_id == assertion.provider_id,
            SsoLink.subject == assertion.subject,
            SsoLink.tenant_id == assertion.tenant_id,
        )
    )
    if link is None:
        return None
    user = db.session.scalar(
        sa.select(User).where(
            User.id == link.user_id,
            User.association_id == assertion.tenant_id,
            User.active.is_(True),
        )
    )
    if user is not None:
        link.ticket_hash = ticket_hash(ticket)
    return user


def linkable(member: Member) -> bool:
    """The record has no account, or a member account of the association that is linked to
    no university account (unlinked before, or made by hand): linking it again keeps its
    history. An account of a higher role is never reached through a record."""
    if member.user_id is None:
        return True
    unlinked_member_account = sa.select(User.id).where(
        User.id == member.user_id,
        User.association_id == member.tenant_id,
        User.role == Role.MEMBER.value,
        User.active.is_(True),
        ~sa.exists().where(SsoLink.user_id == User.id),
    )
    return db.session.scalar(unlinked_member_account) is not None


def matching_member(provider: IdentityProvider, assertion: Assertion) -> Member | None:
    """The association's active member record whose chosen field equals the attribute,
    with no account yet, or with an unlinked member account."""
    value = assertion.attribute(provider.match_attribute)
    if not value:
        return None
    field = {MatchField.EMAIL: "email", MatchField.STAFF_NUMBER: "staff_number"}.get(
        provider.match_field, "phone"
    )
    matches = [
        member
        for member in members.active_members_with(field, value)
        if member.tenant_id == provider.tenant_id and linkable(member)
    ]
    return matches[0] if len(matches) == 1 else None  # two records: no guess


def link_member(assertion: Assertion, member: Member, ticket_digest: str) -> User:
    """Consent given: a member account for the record, linked to the provider's subject.
    The role is member, whatever the attributes say; roles above it are granted in the
    service by an admin."""
    if member.tenant_id != assertion.tenant_id:
        raise SsoError(_l("This member record already has an account."))
    if member.user_id is not None:
        return _link_again(assertion, member, ticket_digest)
    user = User(
        username=f"sso{assertion.provider_id}-{assertion.subject}"[:80],
        display_name=member.name,
        role=Role.MEMBER.value,
        association_id=assertion.tenant_id,
        # No password: the account signs in through the university only.
        password_hash=generate_password_hash(secrets.token_urlsafe(32), method="scrypt"),
    )
    db.session.add(user)
    db.session.flush()
    member.user_id = user.id
    _add_link(assertion, user, member, ticket_digest)
    return user


def _link_again(assertion: Assertion, member: Member, ticket_digest: str) -> User:
    """The record's member account, unlinked: linked again, with the same consent."""
    user = db.session.scalar(
        sa.select(User).where(
            User.id == member.user_id,
            User.association_id == assertion.tenant_id,
            User.role == Role.MEMBER.value,
            User.active.is_(True),
        )
    )
    taken = db.session.scalar(sa.select(SsoLink.id).where(SsoLink.user_id == member.user_id))
    if user is None or taken is not None:
        raise SsoError(_l("This member record already has an account."))
    _add_link(assertion, user, member, ticket_digest)
    return user


def _add_link(assertion: Assertion, user: User, member: Member, ticket_digest: str) -> None:
    db.session.add(
        SsoLink(
            tenant_id=assertion.tenant_id,
            provider_id=assertion.provider_id,
            subject=assertion.subject,
            user_id=user.id,
            ticket_hash=ticket_digest,
        )
    )
    record(
        db.session, "sso_link", "user_account", user.id, assertion.tenant_id,
        {"provider": assertion.provider_id, "member": member.id},
    )  # fmt: skip


def link_of(user: User) -> SsoLink | None:
    """The association account's link to its university account, if any."""
    if user.association_id is None:
        return None
    return db.session.scalar(
        sa.select(SsoLink).where(
            SsoLink.user_id == user.id, SsoLink.tenant_id == user.association_id
        )
    )


def links(association_id: int) -> list[tuple[SsoLink, User]]:
    """The association's links, with their accounts (the settings page)."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            sa.select(SsoLink, User)
            .join(User, User.id == SsoLink.user_id)
            .where(SsoLink.tenant_id == association_id)
            .order_by(User.display_name, User.username)
        ).all()
    ]


def unlink(user: User, link: SsoLink, by_holder: bool) -> None:
    """The account is no longer signed in through the university: the link goes, the
    account's sessions end (the link was what let them in), and the next sign-in there
    asks for consent again. The account and its member record stay."""
    provider_id = link.provider_id
    db.session.delete(link)
    services.end_sessions(user)
    record(
        db.session, "sso_unlink", "user_account", user.id, user.association_id,
        {"provider": provider_id, "by": "holder" if by_holder else "administrator"},
    )  # fmt: skip


def prefill(assertion: Assertion) -> dict[str, str]:
    """What the application form can take from the attributes."""
    name = assertion.attribute("name") or (
        (assertion.attribute("last_name") or "") + (assertion.attribute("first_name") or "")
    )
    fields = {
        "name": name,
        "email": assertion.attribute("email") or assertion.attribute("mail"),
        "phone": assertion.attribute("phone")
        or assertion.attribute("mobile")
        or assertion.attribute("phone_number"),  # the OIDC claim
    }
    return {key: value for key, value in fields.items() if value}


def check_match_field(match_field: str) -> None:
    if match_field not in {f.value for f in MatchField}:
        raise SsoError(_l("Match members by staff number, e-mail or phone."))


def check_cas_url(server_url: str) -> None:
    parts = urlsplit(server_url.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SsoError(_l("The CAS server's address starts with https://."))


def configure_cas(
    association_id: int,
    *,
    name: str,
    server_url: str,
    version: int = 3,
    match_field: str = MatchField.EMAIL.value,
    match_attribute: str = "email",
    members_without_password: bool = False,
) -> IdentityProvider:
    """Set the association's CAS server (made or replaced; audited as a row write)."""
    if version not in (2, 3):
        raise SsoError(_l("The CAS protocol version is 2 or 3."))
    check_match_field(match_field)
    check_cas_url(server_url)
    provider = db.session.scalar(
        sa.select(IdentityProvider).where(IdentityProvider.tenant_id == association_id)
    ) or IdentityProvider(tenant_id=association_id)
    provider.kind = "cas"
    provider.name = name.strip()[:100]
    provider.server_url = server_url.strip().rstrip("/")
    provider.cas_version = version
    provider.match_field = match_field
    provider.match_attribute = match_attribute.strip()[:64]
    provider.enabled = True
    provider.members_without_password = members_without_password
    db.session.add(provider)
    db.session.flush()
    return provider


_SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"


def session_index(logout_request: str) -> str | None:
    """The ticket a CAS single-logout request names (its SessionIndex). Parsed without
    entities, DTDs or network access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(logout_request.encode(), parser)
    except etree.XMLSyntaxError:
        return None
    index = root.findtext(f"{_SAMLP}SessionIndex")
    return index.strip() if index else None


def single_logout(association_id: int, ticket: str) -> User | None:
    """The provider says the sign-in of this ticket ended: every session of the account
    ends. Only a link of this association's provider is looked at."""
    link = db.session.scalar(
        sa.select(SsoLink).where(
            SsoLink.tenant_id == association_id, SsoLink.ticket_hash == ticket_hash(ticket)
        )
    )
    return _logged_out(link, association_id)


def backchannel_logout(
    provider: IdentityProvider, subject: str | None, sid: str | None
) -> User | None:
    """The OpenID Connect provider says a sign-in ended (back-channel logout): the link of
    this provider's subject, of the sign-in with that session id (kept hashed) when the
    provider names one; every session of the account ends."""
    conditions = [
        SsoLink.tenant_id == provider.tenant_id,
        SsoLink.provider_id == provider.id,
    ]
    if sid is not None:
        conditions.append(SsoLink.ticket_hash == ticket_hash(sid))
    if subject is not None:
        conditions.append(SsoLink.subject == subject)
    return _logged_out(db.session.scalar(sa.select(SsoLink).where(*conditions)), provider.tenant_id)


def _logged_out(link: SsoLink | None, association_id: int) -> User | None:
    if link is None:
        return None
    user = db.session.get(User, link.user_id)
    if user is None or user.association_id != association_id:
        return None
    services.end_sessions(user)
    link.ticket_hash = None
    record(
        db.session, "sso_logout", "user_account", user.id, association_id,
        {"provider": link.provider_id},
    )  # fmt: skip
    db.session.flush()  # in the caller's scope: the request ends outside it
    return user
