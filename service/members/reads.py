"""The member reads the API serves most, as rows of statements built once
(`tenants.reads`): one member by id, and a page of the list in pinyin order with its total.

The rows hold the columns the API's MemberSchema dumps, which reads them as it reads a
Member (tests/service/test_api_contract.py holds the answers to marshmallow's own)."""

from __future__ import annotations

import sqlalchemy as sa

from service.dumping import dumped_attributes
from service.errors import NotFound
from service.members.models import Member
from service.members.schemas import MemberSchema
from service.members.services import member_filters, search_pattern
from service.sorting import pinyin_order
from tenants.db import db
from tenants.reads import Owned, TenantRead

MEMBERS = Member.__table__
COLUMNS = tuple(c for c in MEMBERS.c if c.key in dumped_attributes(MemberSchema))


def _one(owned: Owned) -> sa.Select:
    return sa.select(*COLUMNS).where(owned(MEMBERS), MEMBERS.c.id == sa.bindparam("member_id"))


ONE = TenantRead(_one)


def member_row(member_id: int) -> sa.Row:
    """The member with `member_id` as the API reads it, if the scope holds it: NotFound for
    a missing id and another association's member alike (as `access_member`)."""
    rows = ONE.rows(db.session, {"member_id": member_id})
    if not rows:
        raise NotFound()
    return rows[0]


def _page_read(search: bool, status: bool, title: bool) -> TenantRead:
    """A page of the list with these filters chosen: the members' columns and, on every
    row, the list's total, counted in the same statement."""
    chosen = (
        sa.bindparam("like") if search else None,
        sa.bindparam("status") if status else None,
        sa.bindparam("title") if title else None,
    )

    def build(owned: Owned) -> sa.Select:
        counted = MEMBERS.alias("counted")
        total = (
            sa.select(sa.func.count())
            .select_from(counted)
            .where(owned(counted), *member_filters(counted.c, *chosen))
            .scalar_subquery()
        )
        return (
            sa.select(*COLUMNS, total.label("total"))
            .where(owned(MEMBERS), *member_filters(MEMBERS.c, *chosen))
            .order_by(pinyin_order(MEMBERS.c.name), MEMBERS.c.id)
            .limit(sa.bindparam("limit"))
            .offset(sa.bindparam("offset"))
        )

    return TenantRead(build)


# Every combination of filters, built at import: eight statements.
PAGES = {
    (search, status, title): _page_read(search, status, title)
    for search in (False, True)
    for status in (False, True)
    for title in (False, True)
}


def member_page(
    offset: int, limit: int, search: str | None, status: str | None, title: str | None
) -> tuple[list[sa.Row], int]:
    """The members of the list (`members_query`'s, with its filters) from `offset`, at most
    `limit`, and how many the list holds."""
    read = PAGES[(bool(search), bool(status), bool(title))]
    chosen = {"like": search_pattern(search), "status": status, "title": title}
    parameters = {"limit": limit, "offset": offset} | {k: v for k, v in chosen.items() if v}
    rows = read.rows(db.session, parameters)
    if rows:
        return rows, rows[0].total
    # Past the last page, or no member at all: the total from the list's first row.
    first = read.rows(db.session, {**parameters, "offset": 0, "limit": 1})
    return [], first[0].total if first else 0
