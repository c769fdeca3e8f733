"""Governance in figures, for other packages (the annual report, the federation's dashboards):
whether each association existed at a year's end, its congress and committee in office then,
and the meetings held in the year; one statement for the whole family.

One row per association, each figure a correlated subquery on that association's rows (every
table here is indexed by tenant first): one round trip, whatever the number of figures.
States are as at 31 December, from the dates of the events; counts are of the events that
took place in the year.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from service.associations import statistics as profiles
from service.governance import compliance
from service.governance.models import (
    Body,  # the bodies whose meetings are counted
    CommitteeMember,
    CommitteeTerm,
    ComplianceFinding,
    Congress,
    Establishment,
    LifecycleChange,
    Meeting,
)
from service.i18n import lazy_gettext as _l
from service.sql import ASSOCIATION_IDS, YEAR_END, YEAR_START, of_year
from tenants.db import db
from tenants.models import Association
from tenants.reads import Owned, TenantRead

_ASSOCIATIONS = Association.__table__


@dataclass(frozen=True)
class GovernanceFigures:
    """One association's governance at a year's end and over the year."""

    approved_on: date | None  # the federation's approval of its founding
    founded_on: date | None  # the founding date on its profile
    created_at: datetime  # when its record was made
    dissolved_at: datetime | None  # the first dissolution on record
    congress_delegates: int | None  # of the latest congress held by the year's end
    congresses_held: int  # in the year
    committee_members: int | None  # of the term in office at the year's end; None: no term
    standing_members: int  # of that term's standing committee
    committee_meetings: int  # in the year
    standing_meetings: int  # in the year

    def founded(self) -> date:
        """The federation's approval, else the profile's founding date, else (neither on
        file) the day its record was made."""
        return self.approved_on or self.founded_on or self.created_at.date()

    def exists_on(self, day: date) -> bool:
        """Founded by `day` and not dissolved by then (one suspended still exists)."""
        dissolved = self.dissolved_at is not None and self.dissolved_at.date() <= day
        return self.founded() <= day and not dissolved


def _scalar(query: sa.Select) -> sa.ScalarSelect:
    return query.correlate(_ASSOCIATIONS).scalar_subquery()


def _count(owned: Owned, model, *conditions) -> sa.ScalarSelect:
    return _scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .where(owned(model.__table__), model.tenant_id == _ASSOCIATIONS.c.id, *conditions)
    )


def governance_figures(association_ids: Collection[int], year: int) -> dict[int, GovernanceFigures]:
    """The governance figures of each association (in the scope) for `year`."""
    ids = sorted({int(a) for a in association_ids})
    if not ids:
        return {}
    rows = _GOVERNANCE.rows(db.session, {"association_ids": ids, **of_year(year)})
    return {
        row[0]: GovernanceFigures(
            approved_on=row[1],
            founded_on=row[2],
            created_at=row[3],
            dissolved_at=row[4],
            congress_delegates=row[5],
            congresses_held=int(row[6] or 0),
            committee_members=None if row[7] is None else int(row[7]),
            standing_members=int(row[8] or 0),
            committee_meetings=int(row[9] or 0),
            standing_meetings=int(row[10] or 0),
        )
        for row in rows
    }


def _governance(owned: Owned) -> sa.Select:
    """The statement of `governance_figures`: one row per association, each figure a
    subquery correlated to it, reading its own table under the scope's condition (the year's
    first and last days and the association ids are given when it runs: `service.sql`)."""
    start, end = YEAR_START, YEAR_END

    def term_in_office() -> sa.ScalarSelect:
        """The committee term in office at the year's end, as a subquery made anew for
        each place that uses it."""
        return _scalar(
            sa.select(CommitteeTerm.id)
            .where(
                owned(CommitteeTerm.__table__),
                CommitteeTerm.tenant_id == _ASSOCIATIONS.c.id,
                CommitteeTerm.starts_on <= end,
                sa.or_(CommitteeTerm.ends_on.is_(None), CommitteeTerm.ends_on >= end),
            )
            .order_by(CommitteeTerm.starts_on.desc(), CommitteeTerm.id.desc())
            .limit(1)
        )

    standing = sa.func.coalesce(
        sa.func.sum(sa.case((CommitteeMember.on_standing_committee, 1), else_=0)), 0
    )
    held = (Meeting.held_on >= start, Meeting.held_on <= end)
    return sa.select(
        _ASSOCIATIONS.c.id,
        _scalar(
            sa.select(Establishment.approved_on).where(
                owned(Establishment.__table__), Establishment.tenant_id == _ASSOCIATIONS.c.id
            )
        ),
        _scalar(profiles.founded_on(owned, _ASSOCIATIONS.c.id)),
        _ASSOCIATIONS.c.created_at,
        _scalar(
            sa.select(sa.func.min(LifecycleChange.changed_at)).where(
                owned(LifecycleChange.__table__),
                LifecycleChange.tenant_id == _ASSOCIATIONS.c.id,
                LifecycleChange.to_status == "dissolved",
            )
        ),
        _scalar(
            sa.select(Congress.delegates)
            .where(
                owned(Congress.__table__),
                Congress.tenant_id == _ASSOCIATIONS.c.id,
                Congress.held_on <= end,
            )
            .order_by(Congress.held_on.desc(), Congress.id.desc())
            .limit(1)
        ),
        _count(owned, Congress, Congress.held_on >= start, Congress.held_on <= end),
        sa.case(
            (term_in_office().is_(None), None),
            else_=_count(owned, CommitteeMember, CommitteeMember.term_id == term_in_office()),
        ),
        _scalar(
            sa.select(standing).where(
                owned(CommitteeMember.__table__),
                CommitteeMember.tenant_id == _ASSOCIATIONS.c.id,
                CommitteeMember.term_id == term_in_office(),
            )
        ),
        _count(owned, Meeting, Meeting.body == Body.COMMITTEE.value, *held),
        _count(owned, Meeting, Meeting.body == Body.STANDING_COMMITTEE.value, *held),
    ).where(owned(_ASSOCIATIONS), _ASSOCIATIONS.c.id.in_(ASSOCIATION_IDS))


_GOVERNANCE = TenantRead(_governance)


def _term_start(member: CommitteeMember) -> list[object]:
    """A committee member is dated by the start of their term."""
    term = db.session.get(CommitteeTerm, member.term_id) if member.term_id else None
    return [term.starts_on] if term is not None else []


# The records the annual report counts, and how each is dated (see
# `service.activities.statistics.COUNTED_RECORDS`): a date column, or a function giving the
# dates of a record.
COUNTED_RECORDS: tuple[tuple[type, object, object, bool], ...] = (
    (Meeting, _l("meetings"), "held_on", True),
    (Congress, _l("congresses"), "held_on", False),
    (CommitteeTerm, _l("committee terms"), "starts_on", False),
    (CommitteeMember, _l("committee members"), _term_start, False),
)


# --- the federation's dashboards: one grouped query per metric -------------------------------


def _per_association(query: sa.Select) -> dict[int, int]:
    return {tenant: int(n) for tenant, n in db.session.execute(query)}


def held_in_year(
    association_ids: Collection[int], year: int, body: Body | None = None
) -> dict[int, int]:
    """Congresses (no `body`), or meetings of `body`, held in `year`, per association (those
    that held none are absent)."""
    model = Congress if body is None else Meeting
    conditions = [] if body is None else [Meeting.body == body.value]
    return _per_association(
        sa.select(model.tenant_id, sa.func.count())
        .where(
            model.tenant_id.in_(association_ids),
            model.held_on >= date(year, 1, 1),
            model.held_on <= date(year, 12, 31),
            *conditions,
        )
        .group_by(model.tenant_id)
    )


def findings_not_in_order(association_ids: Collection[int]) -> dict[int, int]:
    """Standing compliance findings that are not in order, per association (the compliance
    job keeps them current)."""
    return _per_association(
        sa.select(ComplianceFinding.tenant_id, sa.func.count())
        .where(
            ComplianceFinding.tenant_id.in_(association_ids),
            ComplianceFinding.status != compliance.Status.OK.value,
            compliance.standing(),
        )
        .group_by(ComplianceFinding.tenant_id)
    )


def breaking_rule(association_ids: Collection[int], rule: str) -> set[int]:
    """The associations with a standing finding of `rule` not in order."""
    return set(
        db.session.scalars(
            sa.select(ComplianceFinding.tenant_id)
            .where(
                ComplianceFinding.tenant_id.in_(association_ids),
                ComplianceFinding.rule == rule,
                ComplianceFinding.status != compliance.Status.OK.value,
                compliance.standing(),
            )
            .distinct()
        )
    )


def worst_findings(association_ids: Collection[int]) -> dict[int, str]:
    """Each association's worst standing compliance status ("ok" with none)."""
    statuses: dict[int, list[str]] = {a: [] for a in association_ids}
    rows = db.session.execute(
        sa.select(ComplianceFinding.tenant_id, ComplianceFinding.status).where(
            ComplianceFinding.tenant_id.in_(list(association_ids)), compliance.standing()
        )
    )
    for tenant, status in rows:
        statuses[tenant].append(status)
    return {a: compliance.worst(s).value for a, s in statuses.items()}


# Writes to these change a dashboard metric (`service.federation.rollups` refreshes the
# association's rollups after them).
DASHBOARD_RECORDS: tuple[type, ...] = (Congress, Meeting, ComplianceFinding)
