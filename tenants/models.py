"""Federation, Association (the tenant), the TenantOwned mixin with composite keys, and the
FederationOwned mixins for the rows a federation keeps above its tenants."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tenants.db import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Federation(db.Model):
    """A provincial federation (省级联合组织): the layer above the associations."""

    __tablename__ = "federation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    province: Mapped[str] = mapped_column(sa.String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Association(db.Model):
    """A university S&T association (高校科协): the tenant. Its id is every row's tenant_id."""

    __tablename__ = "association"
    __table_args__ = (sa.UniqueConstraint("federation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    federation: Mapped[Federation] = db.relationship(lazy="joined", innerjoin=True)


class TenantOwned:
    """Mixin for every table whose rows belong to one association.

    Gives `id`, `tenant_id` (not null, first in the unique `(tenant_id, id)` key that child
    tables reference with `tenant_fk`). Extra table arguments go in `__tenant_table_args__`.
    """

    __tenant_table_args__: tuple = ()

    id: Mapped[int] = mapped_column(primary_key=True)

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("association.id"), nullable=False)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (sa.UniqueConstraint("tenant_id", "id"), *cls.__tenant_table_args__)


class PlatformOwned:
    """Mixin for the platform's own rows, of no tenant and no federation (the platform's
    audit log): read only in `system_scope`, by the ORM criteria and row-level security
    alike. Any scope may append one (an event is logged where it happens)."""


def _federation_id(cls) -> Mapped[int]:
    return mapped_column(sa.ForeignKey("federation.id"), nullable=False, index=True)


class FederationOwned:
    """Base of every table whose rows belong to one federation, not to a tenant (guidance,
    problems, reporting periods, roll-ups, ...): scoped by `federation_id` as tenant rows are
    by `tenant_id`, in the ORM criteria, the write guard and row-level security.

    A model takes one of the two kinds below, which say whether the federation's
    associations may read its rows; neither kind lets an association write them.
    Gives `id` and `federation_id` (not null, indexed); a model may redeclare
    `federation_id` (unique, for one row per federation).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id = declared_attr(_federation_id)


class FederationOnly(FederationOwned):
    """Federation rows its associations never see (problems, roll-ups, the outbox, ...)."""


class SharedWithAssociations(FederationOwned):
    """Federation rows its associations read and never write: the reporting periods they
    file in, the guidance addressed to them, the category taxonomy, the thresholds their
    compliance is checked against."""

    # Declared on this class too: the loader criteria of this kind read it here.
    federation_id = declared_attr(_federation_id)


def account_of_the_tenant(column: str, **kw) -> sa.ForeignKeyConstraint:
    """A composite foreign key `(tenant_id, column)` to `user_account(association_id, id)`:
    the account is one of this tenant's own. A key unique per tenant on `column` is then
    unique everywhere, as an account has one association; and the key holds the
    distribution column, which a distributed table's unique keys must (deploy/SCALE.md)."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], ["user_account.association_id", "user_account.id"], **kw
    )


def tenant_fk(column: str, parent_table: str, **kw) -> sa.ForeignKeyConstraint:
    """A composite foreign key `(tenant_id, column)` to `parent_table(tenant_id, id)`.

    A child row can then never point at another tenant's parent.
    """
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{parent_table}.tenant_id", f"{parent_table}.id"], **kw
    )
