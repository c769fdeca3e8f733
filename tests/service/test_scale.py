"""The benchmark data generator: the same seed gives the same data, in the right tenants."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service import scale
from service.activities import aggregates
from service.activities.models import Activity
from service.associations.models import AssociationProfile
from service.members.models import GroupMember, Member
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope


def _members_of(association_ids: list[int]) -> list[list[tuple]]:
    return [
        db.session.execute(
            sa.select(Member.name, Member.title, Member.department)
            .where(Member.tenant_id == tenant)
            .order_by(Member.id)
        ).all()
        for tenant in association_ids
    ]


def test_the_same_seed_gives_the_same_data_and_every_row_is_counted(db_session):
    with system_scope("test"):
        day = date(2026, 6, 30)
        first = scale.generate(scale.SCALES["tiny"], seed=7, code_prefix="A", through=day)
        second = scale.generate(scale.SCALES["tiny"], seed=7, code_prefix="B", through=day)
        other = scale.generate(scale.SCALES["tiny"], seed=8, code_prefix="C", through=day)
        assert first.rows == second.rows
        assert first.rows["association"] == 6 and first.rows["federation"] == 2
        assert _members_of(first.association_ids) == _members_of(second.association_ids)
        assert _members_of(first.association_ids) != _members_of(other.association_ids)
        counted = {
            "association": Association,
            "association_profile": AssociationProfile,
            "member": Member,
            "group_member": GroupMember,
            "activity": Activity,
        }
        for table, model in counted.items():
            ids = first.association_ids
            column = model.id if model is Association else model.tenant_id
            total = db.session.scalar(sa.select(sa.func.count()).where(column.in_(ids)))
            assert total == first.rows[table], table
    assert first.rows_per_second > 0


def test_generated_members_belong_to_their_association_only(db_session):
    with system_scope("test"):
        report = scale.generate(scale.SCALES["tiny"], seed=1, code_prefix="D")
        mine, theirs = report.association_ids[:2]
        expected = db.session.scalar(
            sa.select(sa.func.count()).select_from(Member).where(Member.tenant_id == mine)
        )
    with use_scope(Scope.association(mine)):
        visible = db.session.scalars(sa.select(Member.tenant_id)).all()
    assert len(visible) == expected and set(visible) == {mine}
    assert theirs != mine


def test_generated_activities_span_two_years_and_feed_the_aggregates(db_session):
    with system_scope("test"):
        day = date(2026, 6, 30)
        report = scale.generate(scale.SCALES["tiny"], seed=3, code_prefix="E", through=day)
        ids = report.association_ids
        first, last = db.session.execute(
            sa.select(sa.func.min(Activity.starts_on), sa.func.max(Activity.ends_on)).where(
                Activity.tenant_id.in_(ids)
            )
        ).one()
        assert date(2025, 1, 1) <= first < date(2025, 3, 1) and date(2026, 5, 1) < last <= day
        bad = db.session.scalar(
            sa.select(sa.func.count()).where(
                Activity.tenant_id.in_(ids), Activity.participants < Activity.speakers
            )
        )
        assert bad == 0
        academic = aggregates.academic(ids, 2025)
        assert all(figures["academic_events"] > 0 for figures in academic.values())
