"""An association's identity provider, and the links from its accounts to ours."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import db
from tenants.models import FederationOnly, TenantOwned, account_of_the_tenant, tenant_fk, utcnow


class MatchField(StrEnum):
    """Which field of the member record the provider's attribute is matched against."""

    EMAIL = "email"
    PHONE = "phone"
    # 工号: the university's own number for the person, released by most CAS servers
    # (e.g. as "employeeNumber" or as "uid"); unique per association.
    STAFF_NUMBER = "staff_number"


class ProviderKind(StrEnum):
    CAS = "cas"
    OIDC = "oidc"


class IdentityProvider(TenantOwned, db.Model):
    """The university's identity service, for the association's members: a CAS server or an
    OpenID Connect provider. One per association."""

    __tablename__ = "identity_provider"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_identity_provider_tenant"),)

    kind: Mapped[str] = mapped_column(sa.String(8), default="cas")
    name: Mapped[str] = mapped_column(sa.String(100))
    # CAS: the server's base, e.g. https://cas.zju.edu.cn/cas (login, p3/serviceValidate
    # below). OIDC: the discovery document, https://…/.well-known/openid-configuration.
    server_url: Mapped[str] = mapped_column(sa.String(300))
    cas_version: Mapped[int] = mapped_column(default=3)
    # OIDC: the service's client at the provider; the secret sealed (service/auth/sealed.py).
    client_id: Mapped[str | None] = mapped_column(sa.String(200))
    client_secret: Mapped[str | None] = mapped_column(sa.String(500), info={"secret": True})
    # OIDC: a sign-in whose ID token asserts MFA (amr "mfa"/"otp"/"hwk", or one of these
    # space-separated acr values) counts as the second factor of a privileged account.
    mfa_counts: Mapped[bool] = mapped_column(default=False)
    mfa_acr_values: Mapped[str] = mapped_column(sa.String(300), default="")
    match_field: Mapped[str] = mapped_column(sa.String(16), default=MatchField.EMAIL.value)
    # The released attribute that carries it (e.g. "email", "mail", "mobile",
    # "employeeNumber").
    match_attribute: Mapped[str] = mapped_column(sa.String(64), default="email")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Members sign in through the university only: their local passwords are refused.
    members_without_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SsoLink(TenantOwned, db.Model):
    """This association's account `user_id` is the provider's user `subject`. The provider
    is the association's own: a link never reaches another tenant."""

    __tablename__ = "sso_link"
    __tenant_table_args__ = (
        sa.UniqueConstraint(
            "tenant_id", "provider_id", "subject", name="uq_sso_link_provider_subject"
        ),
        # One link per account, an account of this association (see `Member`).
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_sso_link_tenant_user"),
        tenant_fk("provider_id", "identity_provider"),
        account_of_the_tenant("user_id"),
    )

    provider_id: Mapped[int] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The service ticket of the last sign-in, hashed: the provider's single-logout request
    # names it, and the sessions of the account end.
    ticket_hash: Mapped[str | None] = mapped_column(sa.String(64), info={"secret": True})


class FederationIdentityProvider(FederationOnly, db.Model):
    """A federation's own identity service, for its officers and education supervisors: a
    CAS server or an OpenID Connect provider. One per federation. It only links accounts
    that already exist in the service, by their e-mail address: it never makes an account
    and never grants a role."""

    __tablename__ = "federation_identity_provider"
    __table_args__ = (sa.UniqueConstraint("federation_id", "id"),)

    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8), default="cas")
    name: Mapped[str] = mapped_column(sa.String(100))
    # As IdentityProvider: the CAS base, or the OIDC discovery document.
    server_url: Mapped[str] = mapped_column(sa.String(300))
    cas_version: Mapped[int] = mapped_column(default=3)
    client_id: Mapped[str | None] = mapped_column(sa.String(200))
    client_secret: Mapped[str | None] = mapped_column(sa.String(500), info={"secret": True})
    mfa_counts: Mapped[bool] = mapped_column(default=False)
    mfa_acr_values: Mapped[str] = mapped_column(sa.String(300), default="")
    # The released attribute that carries the person's e-mail address ("email", "mail").
    match_attribute: Mapped[str] = mapped_column(sa.String(64), default="email")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FederationSsoLink(FederationOnly, db.Model):
    """This federation's account `user_id` (an officer's or a supervisor's) is the
    federation provider's user `subject`. The provider is the federation's own (composite
    key), and the account is checked to be of the same federation at every sign-in."""

    __tablename__ = "federation_sso_link"
    __table_args__ = (
        sa.UniqueConstraint("provider_id", "subject", name="uq_federation_sso_link_subject"),
        sa.ForeignKeyConstraint(
            ["federation_id", "provider_id"],
            ["federation_identity_provider.federation_id", "federation_identity_provider.id"],
            name="fk_federation_sso_link_provider",  # the convention's is past 63 chars
        ),
    )

    provider_id: Mapped[int] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket_hash: Mapped[str | None] = mapped_column(sa.String(64), info={"secret": True})
