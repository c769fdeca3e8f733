"""Federations (with the default association categories) and associations (with their
profiles): the tenants every other factory takes. There is no default tenant."""

from __future__ import annotations

from service.associations.models import AssociationProfile, Category
from service.federation import categories
from tenants.db import db
from tenants.models import Association, Federation
from tests.factories.serial import serial


def make_federation(code: str | None = None) -> Federation:
    n = serial()
    federation = Federation(
        code=code or f"F{n}", name=f"测试省高校科协联合会{n}", province=f"测试省{n}"
    )
    db.session.add(federation)
    db.session.flush()
    categories.seed_defaults(federation.id)
    return federation


def make_association(
    federation: Federation, *, name: str | None = None, category: Category = Category.RESEARCH
) -> Association:
    n = serial()
    association = Association(federation_id=federation.id, name=name or f"测试大学{n}科学技术协会")
    db.session.add(association)
    db.session.flush()
    db.session.add(
        AssociationProfile(
            tenant_id=association.id,
            university_name=f"测试大学{n}",
            category=category.value,
            contact_name="张伟",
            contact_phone=f"139{n:08d}",
            contact_email=f"kexie{n}@example.edu.cn",
            address="测试市大学路1号",
        )
    )
    db.session.flush()
    return association
