"""Each federation's taxonomy of university categories (分类指导), and moving an association
from one category to another with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import g, has_app_context

from service.associations import services as associations
from service.audit.services import current_actor
from service.errors import RuleBroken
from service.federation.models import CategoryChange, UniversityCategory
from service.i18n import lazy_gettext as _l
from service.unique_keys import claimed
from tenants.db import db
from tenants.models import Association

if TYPE_CHECKING:  # a hint only: profiles are read and changed through their services
    from service.associations.models import AssociationProfile

# The names a new federation's default categories start with; a federation may rename them
# or add its own. The codes are the associations' default codes, which profiles already hold.
DEFAULTS: tuple[tuple[str, str], ...] = tuple(
    zip(
        associations.default_category_codes(),
        ("研究型大学", "教学研究型大学", "应用型本科高校", "高职院校", "民办高校"),
        strict=True,
    )
)


class CategoryError(RuleBroken):
    """The change is refused; the message is for the officer."""


def seed_defaults(federation_id: int) -> None:
    """Give a federation the default categories it lacks (idempotent)."""
    have = set(
        db.session.scalars(
            sa.select(UniversityCategory.code).where(
                UniversityCategory.federation_id == federation_id
            )
        )
    )
    for position, (code, name) in enumerate(DEFAULTS):
        if code not in have:
            db.session.add(
                UniversityCategory(
                    federation_id=federation_id, code=code, name=name, position=position
                )
            )
    db.session.flush()


def of_federation(federation_id: int) -> list[UniversityCategory]:
    return list(
        db.session.scalars(
            sa.select(UniversityCategory)
            .where(UniversityCategory.federation_id == federation_id)
            .order_by(UniversityCategory.position, UniversityCategory.id)
        )
    )


def add(federation_id: int, code: str, name: str) -> UniversityCategory:
    """A new category at the end of the federation's taxonomy; refused, nothing written,
    when the code is taken."""
    if code in labels(federation_id):
        raise CategoryError(_l("This code is taken."), "code")
    category = UniversityCategory(
        federation_id=federation_id, code=code, name=name, position=len(labels(federation_id))
    )
    with claimed(UniversityCategory, {"code": _l("This code is taken.")}):  # meanwhile
        db.session.add(category)
    if has_app_context():
        g.pop("category_labels", None)  # the request's cached labels lack it
    return category


def labels(federation_id: int) -> dict[str, str]:
    """Code -> name, in the federation's order; cached for the request."""
    cache = g.setdefault("category_labels", {}) if has_app_context() else {}
    if federation_id not in cache:
        cache[federation_id] = {c.code: c.name for c in of_federation(federation_id)}
    return cache[federation_id]


def resolve(federation_id: int, value: str | None) -> str | None:
    """The code of the federation's category given by its code or its id; None if neither."""
    if not value:
        return None
    if value in labels(federation_id):
        return value
    if value.isascii() and value.isdigit():
        return next((c.code for c in of_federation(federation_id) if c.id == int(value)), None)
    return None


def label_of(federation_id: int, code: str) -> str:
    return labels(federation_id).get(code, code)


def label_of_profile(profile: AssociationProfile) -> str:
    """A profile's category by its name in its federation's taxonomy: the template filter
    `category_label` (one query per federation and request)."""
    return label_of(profile.association.federation_id, profile.category)


def apply_edit(profile: AssociationProfile, changes: dict) -> None:
    """Take a profile edit's category (validated upstream), if it has one, out of `changes`
    and move the association there with the history; the rest of the edit is the profile's
    own (`associations.services.update_profile`)."""
    if "category" in changes:
        change(profile, changes.pop("category"), "profile edit", current_actor())


def codes_in_reach() -> set[str]:
    """The codes of the federations whose associations the current scope sees: what a
    profile edit may choose from."""
    return set(
        db.session.scalars(
            sa.select(UniversityCategory.code)
            .join(Association, Association.federation_id == UniversityCategory.federation_id)
            .distinct()
        )
    )


def change(
    profile: AssociationProfile, code: str, reason: str, actor: str
) -> CategoryChange | None:
    """Move an association to another category of its federation, keeping the history."""
    federation_id = profile.association.federation_id
    if code not in labels(federation_id):
        raise CategoryError("unknown category")
    if code == profile.category:
        return None
    record = CategoryChange(
        tenant_id=profile.tenant_id,
        from_code=profile.category,
        to_code=code,
        reason=reason,
        actor=actor,
    )
    profile.category = code
    db.session.add(record)
    return record


def history(association_id: int) -> list[CategoryChange]:
    return list(
        db.session.scalars(
            sa.select(CategoryChange)
            .where(CategoryChange.tenant_id == association_id)
            .order_by(CategoryChange.changed_at.desc(), CategoryChange.id.desc())
        )
    )
