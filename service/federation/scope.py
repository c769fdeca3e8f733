"""Which federation the current supervisor works in: the one its pages show and its new
rows belong to. Federation-owned rows (guidance, problems, categories) are scoped by the
ORM criteria and row-level security (`tenants.filtering`); this id does not secure them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from service.auth.principal import current_principal
from tenants.db import db
from tenants.models import Federation


def federation_id() -> int:
    """The caller's federation: a federation user's or token's own, or the one federation of
    a national token's scope. 404 when there is none (nothing here is the caller's)."""
    principal = current_principal()
    if principal.federation_id:
        return principal.federation_id
    federations = principal.scope.federation_ids
    if len(federations) == 1:
        return next(iter(federations))
    abort(404)


def current_federation() -> Federation:
    """The caller's federation itself (see `federation_id`)."""
    return db.session.scalar(sa.select(Federation).where(Federation.id == federation_id()))
