"""Which federation the current supervisor works in: the one its pages show and its new
rows belong to, with its row and its associations. Federation-owned rows (guidance,
problems, categories) are scoped by the ORM criteria and row-level security
(`tenants.filtering`); this id does not secure them."""

from __future__ import annotations

import sqlalchemy as sa

from service.auth.principal import current_principal
from service.errors import NotFound
from service.sorting import pinyin_order
from tenants.db import db
from tenants.models import Association, Federation


def federation_id() -> int:
    """The caller's federation: a federation user's or token's own, or the one federation of
    a national token's scope. NotFound when there is none (nothing here is the caller's)."""
    principal = current_principal()
    if principal.federation_id:
        return principal.federation_id
    federations = principal.scope.federation_ids
    if len(federations) == 1:
        return next(iter(federations))
    raise NotFound()


def federation(federation_id: int) -> Federation:
    """The federation's row (the platform's public directory of provinces)."""
    return db.session.scalar(sa.select(Federation).where(Federation.id == federation_id))


def associations(federation_id: int) -> list[Association]:
    """The federation's associations in the scope, by name: the pages' choices."""
    return list(
        db.session.scalars(
            sa.select(Association)
            .where(Association.federation_id == federation_id)
            .order_by(pinyin_order(Association.name))
        )
    )


def current_federation() -> Federation:
    """The caller's federation itself (see `federation_id`)."""
    return federation(federation_id())
