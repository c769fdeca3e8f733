"""Test helpers for any tenant-owned model: the isolation every one of them must have."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from tenants.db import db
from tenants.models import Association, FederationOwned, TenantOwned
from tenants.scope import Scope, system_scope, use_scope


def tenant_models() -> list[type]:
    """Every mapped model whose rows belong to a tenant."""
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantOwned)),
        key=lambda cls: cls.__name__,
    )


def federation_models() -> list[type]:
    """Every mapped model whose rows belong to a federation."""
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, FederationOwned)),
        key=lambda cls: cls.__name__,
    )


def _tenants_seen(model: type) -> set[int]:
    return set(db.session.scalars(sa.select(model.tenant_id).where(model.tenant_id.isnot(None))))


def assert_isolated(model: type, associations: Iterable[Association]) -> None:
    """Each association's scope sees its own rows of `model` and no other tenant's; each
    federation's scope sees exactly its associations' rows; no scope sees nothing.

    Needs rows of `model` in every given association, so a test cannot pass on empty tables.
    """
    associations = list(associations)
    with system_scope("assert_isolated: which tenants have rows"):
        present = _tenants_seen(model)
        federation_of = {a.id: a.federation_id for a in associations}
    missing = {a.id for a in associations} - present
    assert not missing, f"{model.__name__} has no rows for tenants {sorted(missing)}"
    for association in associations:
        with use_scope(Scope.association(association.id)):
            assert _tenants_seen(model) == {association.id}, model.__name__
    for federation in set(federation_of.values()):
        expected = {a for a, f in federation_of.items() if f == federation}
        with use_scope(Scope.federation(federation)):
            seen = _tenants_seen(model)
        assert expected <= seen, model.__name__
        assert all(federation_of.get(t, federation) == federation for t in seen), model.__name__
    with use_scope(Scope.nothing()):
        assert _tenants_seen(model) == set(), model.__name__
