"""AssociationProfile: the tenant's own description of itself."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import Association, TenantOwned, utcnow

PERSONAL = {"personal": True}


class Category(StrEnum):
    """The codes of the default categories (高校类型) every federation starts with. A
    federation keeps its own taxonomy (`service.federation.categories`); a profile's
    `category` holds a code of its federation's taxonomy."""

    RESEARCH = "research"
    TEACHING_RESEARCH = "teaching_research"
    APPLIED = "applied"
    VOCATIONAL = "vocational"
    PRIVATE = "private"


CATEGORY_LABELS = {
    Category.RESEARCH: _l("Research university"),
    Category.TEACHING_RESEARCH: _l("Teaching-research university"),
    Category.APPLIED: _l("Applied undergraduate university"),
    Category.VOCATIONAL: _l("Vocational college"),
    Category.PRIVATE: _l("Private university"),
}

FIELD_LABELS = {
    "university_name": _l("University"),
    "category": _l("University category"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact e-mail"),
    "address": _l("Address"),
    "website": _l("Website"),
    "founded_on": _l("Founded on"),
}

STATUS_LABELS = {
    "applying": _l("Applying"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "dissolved": _l("Dissolved"),
}


class AssociationProfile(TenantOwned, db.Model):
    __tablename__ = "association_profile"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_association_profile_one"),)

    university_name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    contact_name: Mapped[str | None] = mapped_column(sa.String(50), info=PERSONAL)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30), info=PERSONAL)
    contact_email: Mapped[str | None] = mapped_column(sa.String(120), info=PERSONAL)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    website: Mapped[str | None] = mapped_column(sa.String(200))
    founded_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    association: Mapped[Association] = db.relationship(lazy="joined", innerjoin=True)
