"""The associations of a federation as the statistics read them, for other packages (the
federation's dashboards): who they are, their category and status."""

from __future__ import annotations

import sqlalchemy as sa

from service.associations.models import STATUS_LABELS, AssociationProfile
from service.sorting import pinyin_order
from tenants.db import db
from tenants.models import Association
from tenants.reads import Owned

# The statuses an association can be in, as the overview counts them.
STATUSES = tuple(STATUS_LABELS)


def of_federation(federation_id: int) -> list[tuple[int, str, str, str]]:
    """(id, name, category code, status) of the federation's associations in the scope, by
    the pinyin of their names."""
    return list(
        db.session.execute(
            sa.select(
                Association.id, Association.name, AssociationProfile.category, Association.status
            )
            .join(AssociationProfile, AssociationProfile.tenant_id == Association.id)
            .where(Association.federation_id == federation_id)
            .order_by(pinyin_order(Association.name), Association.id)
        ).all()
    )


def categories() -> sa.Subquery:
    """(tenant_id, category) of every association in the scope: a query to join to
    per-association figures, so that the database sums them by category."""
    return sa.select(AssociationProfile.tenant_id, AssociationProfile.category).subquery()


def founded_on(owned: Owned, association_id: sa.ColumnElement[int]) -> sa.Select:
    """The founding date on the profile of the association `association_id` names: a
    subquery for another package's per-association `TenantRead` to correlate."""
    return sa.select(AssociationProfile.founded_on).where(
        owned(AssociationProfile.__table__), AssociationProfile.tenant_id == association_id
    )


# Writes to these change a dashboard metric (see `service.governance.statistics`).
DASHBOARD_RECORDS: tuple[type, ...] = (AssociationProfile,)
