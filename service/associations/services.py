"""Reading and changing association profiles, always through the current scope.

Services never commit: the request commits once, at its end. A record looked up by id is
`access_<thing>`, NotFound when the caller's scope does not hold it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from service.access import in_scope
from service.associations.models import (
    CATEGORY_LABELS,
    FIELD_LABELS,
    STATUS_LABELS,
    AssociationProfile,
    Category,
)
from service.auth.roles import Permission, Role
from service.errors import NotFound
from service.sorting import pinyin_order
from tenants.db import db
from tenants.models import Association

EDITABLE = (
    "university_name",
    "category",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
    "website",
    "founded_on",
)
# What a clerk is asked to fill in before the profile counts as complete.
REQUIRED_FOR_COMPLETE = ("contact_name", "contact_phone", "contact_email", "address")


def access_association(association_id: int) -> Association:
    """The association if the current scope holds it (its own, or one of its federations');
    NotFound for a missing id and another's alike."""
    return in_scope(Association, association_id)


def access_profile(association_id: int) -> AssociationProfile:
    """The profile of an association the current scope holds, by the association's id;
    NotFound for a missing one and another's alike."""
    profile = db.session.scalar(
        sa.select(AssociationProfile).where(AssociationProfile.tenant_id == association_id)
    )
    if profile is None:
        raise NotFound()
    return profile


def profiles_in_scope(
    category: str | None = None, status: str | None = None, among: sa.Select | None = None
) -> sa.Select:
    """The profiles the scope holds, by name in pinyin order; of one category, of one
    status, and only the associations `among` selects (their ids), each when given."""
    query = (
        sa.select(AssociationProfile)
        .join(AssociationProfile.association)
        .order_by(pinyin_order(Association.name), Association.id)
    )
    if category:
        query = query.where(AssociationProfile.category == category)
    if status:
        query = query.where(Association.status == status)
    if among is not None:
        query = query.where(AssociationProfile.tenant_id.in_(among))
    return query


def names_in_federation(federation_id: int | None) -> dict[int, str]:
    """Each association of the federation (that the scope holds) by id, with its name, in
    pinyin order."""
    return dict(
        db.session.execute(
            sa.select(Association.id, Association.name)
            .where(Association.federation_id == federation_id)
            .order_by(pinyin_order(Association.name))
        ).all()
    )


def contact_visible_to(principal) -> bool:
    """Association staff and federation supervisors work with the contact; members and
    read-only integrations see it masked."""
    if principal.kind == "user":
        return principal.role != Role.MEMBER
    return principal.can(Permission.EDIT_PROFILE)


def missing_fields(profile: AssociationProfile) -> list[str]:
    return [field for field in REQUIRED_FOR_COMPLETE if not getattr(profile, field)]


def update_profile(profile: AssociationProfile, changes: dict[str, Any]) -> AssociationProfile:
    """Apply validated changes; `name` goes to the association, the rest to the profile.

    The category is the federation's taxonomy's to change, with its history: callers take
    it out first with `service.federation.categories.apply_edit`."""
    if "category" in changes:
        raise TypeError("the category changes through federation.categories.apply_edit")
    if "name" in changes:
        profile.association.name = changes.pop("name")
    for field in EDITABLE:
        if field in changes:
            value = changes[field]
            if isinstance(value, str):
                value = value.strip() or None
            setattr(profile, field, value)
    return profile


def counts_by_category() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(AssociationProfile.category, sa.func.count()).group_by(
            AssociationProfile.category
        )
    )
    return dict(rows.all())


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Association.status, sa.func.count()).group_by(Association.status)
    )
    return dict(rows.all())


def every_profile_in_scope() -> list[AssociationProfile]:
    """Every profile the current scope sees, in pinyin order of the names."""
    return list(db.session.scalars(profiles_in_scope()))


def names_in_scope() -> dict[int, str]:
    """The name of each association the current scope sees, by id, in pinyin order."""
    rows = db.session.execute(
        sa.select(Association.id, Association.name).order_by(pinyin_order(Association.name))
    )
    return dict(rows.all())


def name_of(association_id: int) -> str | None:
    """The association's name if the current scope sees it."""
    return db.session.scalar(sa.select(Association.name).where(Association.id == association_id))


# The words of the association's record, for the pages and logs of other packages.


def status_labels() -> Mapping[str, Any]:
    """An association's lifecycle status (applying, active, …) -> its label."""
    return STATUS_LABELS


def default_category_labels() -> Mapping[str, Any]:
    """The default categories every federation's taxonomy starts with: code -> label."""
    return {str(code): label for code, label in CATEGORY_LABELS.items()}


def default_category_codes() -> list[str]:
    """The codes of the default categories, in their order."""
    return [c.value for c in Category]


def field_labels() -> Mapping[str, Any]:
    """A profile's field -> its label."""
    return FIELD_LABELS


def field_label(name: str) -> str:
    """The label of a profile's field, else the name itself: the template filter."""
    return str(FIELD_LABELS.get(name, name))


def contact_length(field: str) -> int:
    """How long the profile's contact field (`contact_name`, `contact_email`) may be."""
    return getattr(AssociationProfile, field).type.length


def contact_email(association_id: int) -> str | None:
    """The e-mail of the association's contact, if it has one (read in the current scope)."""
    return db.session.scalar(
        sa.select(AssociationProfile.contact_email).where(
            AssociationProfile.tenant_id == association_id
        )
    )


def ids_in_scope(categories: Collection[str] | None = None) -> sa.Select:
    """A subquery of the ids of the associations with a profile in the current scope; of
    those categories when given (none: no association)."""
    query = sa.select(AssociationProfile.tenant_id)
    if categories is not None:
        query = query.where(AssociationProfile.category.in_(list(categories)))
    return query


def add_profile(association_id: int, **values: Any) -> AssociationProfile:
    """The profile of a new association (its university, category, contact, founding day),
    added to the session: written with the association that the caller creates."""
    profile = AssociationProfile(tenant_id=association_id, **values)
    db.session.add(profile)
    return profile
