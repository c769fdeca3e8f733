"""The platform's directory of federations: the operator creates them and reads their names,
their associations' names and counts and their supervisors' accounts, never their data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from service.auth import services as auth
from service.errors import NotFound, RuleBroken
from service.federation import categories
from service.i18n import lazy_gettext as _l
from service.sorting import pinyin_order
from tenants.db import db
from tenants.models import Association, Federation
from tenants.scope import system_scope

if TYPE_CHECKING:  # a hint only: accounts are read through their services
    from service.auth.models import User


class DirectoryError(RuleBroken):
    """The federation cannot be created as asked; the message says why."""

    def __init__(self, message, field: str):
        super().__init__(message, field)


def listing() -> list[tuple[Federation, int]]:
    """Every federation with its number of associations, by code."""
    with system_scope("operator lists federations and association counts"):
        return db.session.execute(
            sa.select(Federation, sa.func.count(Association.id))
            .outerjoin(Association, Association.federation_id == Federation.id)
            .group_by(Federation.id)
            .order_by(Federation.code)
        ).all()


def create(code: str, name: str, province: str) -> Federation:
    """A new federation with the default category taxonomy; its supervisors' accounts are
    made next, on the accounts page."""
    taken = {
        "code": sa.func.upper(Federation.code) == code.upper(),
        "name": Federation.name == name,
    }
    for field, clash in taken.items():
        if db.session.scalar(sa.select(sa.func.count()).where(clash)):
            message = {
                "code": _l("Another federation has this code."),
                "name": _l("Another federation has this name."),
            }[field]
            raise DirectoryError(message, field)
    federation = Federation(code=code.upper(), name=name, province=province)
    db.session.add(federation)
    db.session.flush()
    with system_scope("operator seeds a new federation's categories"):
        categories.seed_defaults(federation.id)
    return federation


@dataclass(frozen=True)
class Summary:
    federation: Federation
    associations: list[tuple[str, str]]  # (name, status), by name
    accounts: list[User]


def access_federation(federation_id: int) -> Summary:
    """One federation as the operator sees it; NotFound when there is none."""
    federation = db.session.scalar(sa.select(Federation).where(Federation.id == federation_id))
    if federation is None:
        raise NotFound()
    with system_scope("operator reads a federation's directory entry"):
        associations = db.session.execute(
            sa.select(Association.name, Association.status, Association.id)
            .where(Association.federation_id == federation_id)
            .order_by(pinyin_order(Association.name))
        ).all()
    accounts = auth.federation_accounts(federation_id)
    return Summary(federation, [tuple(a) for a in associations], accounts)
