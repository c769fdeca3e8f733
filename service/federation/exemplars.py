"""The federation's page of exemplars (宣传先进典型): the exemplars its associations proposed
and it recognised, shown to its supervisors, and, once the officer publishes the page, to
anyone at a public address.

The public page shows only exemplars the federation published one by one on the talent pages,
which the database allows only for a recognised exemplar whose consent to be named is on
record; it never shows who proposed or decided them, nor any contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from service.activities import services as activities
from service.federation.models import ExemplarPage
from tenants.db import db
from tenants.models import Federation, utcnow
from tenants.scope import Scope, use_scope


@dataclass(frozen=True)
class Entry:
    """One recognised exemplar as the federation's page lists it."""

    id: int
    kind: str
    kind_label: str
    name: str
    unit: str | None
    deeds: str
    year: int
    association_id: int
    association: str
    consented: bool
    on_public_page: bool

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "unit": self.unit,
            "deeds": self.deeds,
            "year": self.year,
            "association_id": self.association_id,
            "association": self.association,
            "consent_to_publish": self.consented,
            "on_public_page": self.on_public_page,
        }


def recognised(federation_id: int, *, public_only: bool = False) -> list[Entry]:
    """The recognised exemplars of the federation's associations, newest year first; with
    `public_only`, those published one by one (recognised and consented, by the check)."""
    rows = activities.recognised_exemplars(federation_id, public_only=public_only)
    return [
        Entry(
            e.id,
            e.kind,
            e.kind_label,
            e.name,
            e.unit,
            e.deeds,
            e.year,
            e.tenant_id,
            name,
            bool(e.consent_to_publish),
            bool(e.published and e.consent_to_publish),
        )
        for e, name in rows
    ]


def _page(federation_id: int) -> ExemplarPage | None:
    return db.session.scalar(
        sa.select(ExemplarPage).where(ExemplarPage.federation_id == federation_id)
    )


def published_at(federation_id: int) -> datetime | None:
    """When the federation published its page; None while it is not public.

    Whether a page is public is public: anyone may ask (a visitor of the page has no
    scope), so the flag is read under the scope of its own federation."""
    with use_scope(Scope.federation(federation_id)):
        page = _page(federation_id)
        return page.published_at if page else None


def set_published(federation_id: int, publish: bool, actor: str) -> None:
    """Publish the page or take it down; saying again what already holds changes nothing."""
    page = _page(federation_id)
    if page is None:
        page = ExemplarPage(federation_id=federation_id, changed_by=actor)
        db.session.add(page)
    elif (page.published_at is not None) == publish:
        return
    page.published_at = utcnow() if publish else None
    page.changed_by, page.changed_at = actor, utcnow()


def public_federation(code: str) -> Federation | None:
    """The federation whose page is at this code, if it is published."""
    federation = db.session.scalar(sa.select(Federation).where(Federation.code == code))
    if federation is None or published_at(federation.id) is None:
        return None
    return federation
