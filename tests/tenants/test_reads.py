"""`TenantRead`: a read built once with the scope's condition written in, which sees what the
ORM criteria would let the scope see, fails closed as they do, and is refused when it names
a tenant table without its condition. On PostgreSQL these run as the NOBYPASSRLS app role:
a read that went out without the scope's row-level security settings would see nothing."""

from datetime import date

import pytest
import sqlalchemy as sa

from service.members.models import GroupMember, Member
from service.reporting.models import AnnualReport, FederationRollup, ReportingPeriod
from tenants.db import db
from tenants.models import Association, Federation
from tenants.reads import TenantRead
from tenants.scope import NoScope, Scope, ScopeViolation, system_scope, use_scope

MEMBERS = Member.__table__
ASSOCIATIONS = Association.__table__
FEDERATIONS = Federation.__table__
GROUPS = GroupMember.__table__

IDS = TenantRead(lambda owned: sa.select(MEMBERS.c.id).where(owned(MEMBERS)))


def _ids(tenants) -> set[int]:
    return {m.id for tenant in tenants for m in tenant.members}


def _read() -> set[int]:
    return {row.id for row in IDS.rows(db.session)}


def test_a_read_sees_the_association_of_its_scope_only(world):
    with use_scope(Scope.association(world.a.first.association.id)):
        assert _read() == _ids([world.a.first])


def test_a_federation_reads_its_associations_and_a_national_scope_its_federations(world):
    with use_scope(Scope.federation(world.a.federation.id)):
        assert _read() == _ids([world.a.first, world.a.second])
    with use_scope(Scope.national([world.a.federation.id, world.b.federation.id])):
        assert _read() >= _ids([world.a.first, world.a.second, world.b.first, world.b.second])
    with use_scope(Scope.national([world.b.federation.id])):
        assert _read().isdisjoint(_ids([world.a.first, world.a.second]))


def test_a_scope_that_sees_nothing_reads_nothing_and_no_scope_raises(world):
    with use_scope(Scope.nothing()):
        assert _read() == set()
    with use_scope(Scope.national([])):
        assert _read() == set()
    with pytest.raises(NoScope):
        _read()


def test_the_system_reads_every_association(world):
    with system_scope("test: every tenant's members"):
        assert _read() >= _ids([world.a.first, world.b.second])


def test_parameters_are_bound_beside_the_scope(world):
    own = world.a.first
    by_id = TenantRead(
        lambda owned: sa.select(MEMBERS.c.name).where(
            owned(MEMBERS), MEMBERS.c.id == sa.bindparam("member_id")
        )
    )
    with use_scope(Scope.association(own.association.id)):
        assert [r.name for r in by_id.rows(db.session, {"member_id": own.members[0].id})] == [
            own.members[0].name
        ]
        foreign = world.b.first.members[0].id
        assert by_id.rows(db.session, {"member_id": foreign}) == []


def test_a_subquery_on_an_alias_has_its_own_condition(world):
    def build(owned):
        counted = MEMBERS.alias()
        total = sa.select(sa.func.count()).select_from(counted).where(owned(counted))
        return sa.select(MEMBERS.c.id, total.scalar_subquery().label("total")).where(owned(MEMBERS))

    with use_scope(Scope.association(world.a.first.association.id)):
        rows = TenantRead(build).rows(db.session)
    assert {r.total for r in rows} == {len(world.a.first.members)}


def test_each_select_of_a_union_has_its_own_condition(world):
    """The same table in two SELECTs of a UNION (as a compile's branches are): each branch
    holds a condition of its own, and reads the scope's rows only."""

    def build(owned):
        return sa.union_all(
            sa.select(MEMBERS.c.id).where(owned(MEMBERS)),
            sa.select(MEMBERS.c.id).where(owned(MEMBERS), MEMBERS.c.status == "active"),
        )

    own = world.a.first
    with use_scope(Scope.association(own.association.id)):
        rows = [row.id for row in TenantRead(build).rows(db.session)]
    active = [m.id for m in own.members if m.status == "active"]
    assert sorted(rows) == sorted([*(m.id for m in own.members), *active])


@pytest.mark.parametrize(
    "build",
    [
        lambda owned: sa.select(MEMBERS.c.id),
        lambda owned: sa.select(MEMBERS.c.id).where(owned(MEMBERS)).join_from(MEMBERS, GROUPS),
        lambda owned: sa.select(MEMBERS.c.id).where(
            owned(MEMBERS), MEMBERS.c.tenant_id.in_(sa.select(GROUPS.c.tenant_id))
        ),
        lambda owned: sa.select(MEMBERS.c.id).where(
            owned(MEMBERS), MEMBERS.c.tenant_id.in_(sa.select(MEMBERS.alias().c.tenant_id))
        ),
        lambda owned: sa.select(MEMBERS.c.id).where(
            owned(MEMBERS), MEMBERS.c.tenant_id == Association.__table__.c.id
        ),
        lambda owned: (owned(GROUPS), sa.select(MEMBERS.c.id).where(owned(MEMBERS)))[1],
        lambda owned: sa.select(
            MEMBERS.c.id,
            sa.select(sa.func.count())
            .select_from(MEMBERS)
            .correlate(None)
            .scalar_subquery()
            .label("all_members"),
        ).where(owned(MEMBERS)),
        lambda owned: sa.select(MEMBERS.c.id, owned(MEMBERS).label("condition_selected")),
        lambda owned: (
            sa.select(GROUPS.c.id)
            .join_from(
                GROUPS, MEMBERS, sa.and_(owned(MEMBERS), MEMBERS.c.tenant_id == GROUPS.c.tenant_id)
            )
            .where(owned(GROUPS))
        ),
        lambda owned: sa.union_all(
            sa.select(MEMBERS.c.id).where(owned(MEMBERS)), sa.select(MEMBERS.c.id)
        ),
        lambda owned: sa.union_all(
            sa.select(MEMBERS.c.id).where(owned(MEMBERS)),
            sa.select(GROUPS.c.id).where(owned(MEMBERS)),
        ),
    ],
    ids=[
        "no-condition",
        "joined",
        "subquery",
        "alias",
        "association-table",
        "unused-condition",
        "the-outer-table-again",
        "condition-not-in-where",
        "condition-in-a-join",
        "a-union-branch-without",
        "a-union-branch-with-another-table-s",
    ],
)
def test_a_read_that_names_a_tenant_table_without_its_condition_is_refused(build):
    with pytest.raises(ScopeViolation):
        TenantRead(build)


def test_only_a_tenant_table_takes_an_owner_condition():
    with pytest.raises(TypeError, match="not a tenant table"):
        TenantRead(lambda owned: sa.select(FEDERATIONS.c.id).where(owned(FEDERATIONS)))


def _counted(owned):
    """Each association with its members, counted by a subquery correlated to it."""
    members = (
        sa.select(sa.func.count())
        .where(owned(MEMBERS), MEMBERS.c.tenant_id == ASSOCIATIONS.c.id)
        .correlate(ASSOCIATIONS)
        .scalar_subquery()
    )
    return sa.select(ASSOCIATIONS.c.id, members.label("members")).where(owned(ASSOCIATIONS))


def test_a_derived_table_has_its_condition_inside(world):
    """A subquery in FROM, named only by its columns, is checked as a SELECT of its own."""

    def build(owned):
        titles = sa.select(MEMBERS.c.tenant_id, MEMBERS.c.title).where(owned(MEMBERS)).subquery()
        return sa.select(titles.c.tenant_id, sa.func.count()).group_by(titles.c.tenant_id)

    own = world.a.first
    with use_scope(Scope.association(own.association.id)):
        rows = [tuple(row) for row in TenantRead(build).rows(db.session)]
    assert rows == [(own.association.id, len(own.members))]


def test_the_association_table_reads_the_associations_of_the_scope(world):
    """The association table's owner is its id; a subquery correlated to it counts the
    members of the outer row's association."""
    read = TenantRead(_counted)
    own, neighbour = world.a.first, world.a.second
    with use_scope(Scope.association(own.association.id)):
        assert [tuple(row) for row in read.rows(db.session)] == [
            (own.association.id, len(own.members))
        ]
    with use_scope(Scope.federation(world.a.federation.id)):
        counts = {row.id: row.members for row in read.rows(db.session)}
    assert counts == {t.association.id: len(t.members) for t in (own, neighbour)}


@pytest.mark.parametrize(
    "build",
    [
        # Correlated to a table no enclosing SELECT names: the subquery would read it whole.
        lambda owned: sa.select(MEMBERS.c.id).where(
            owned(MEMBERS), MEMBERS.c.tenant_id.in_(sa.select(GROUPS.c.tenant_id).correlate(GROUPS))
        ),
        # Correlated by SQLAlchemy's own choice, not explicitly: refused all the same.
        lambda owned: sa.select(
            ASSOCIATIONS.c.id,
            sa.select(sa.func.count())
            .where(owned(MEMBERS), MEMBERS.c.tenant_id == ASSOCIATIONS.c.id)
            .scalar_subquery(),
        ).where(owned(ASSOCIATIONS)),
        # A derived table read by its columns, without a condition inside it.
        lambda owned: (
            lambda every: sa.select(every.c.tenant_id).where(
                every.c.tenant_id.in_(sa.select(MEMBERS.c.tenant_id).where(owned(MEMBERS)))
            )
        )(sa.select(MEMBERS.c.tenant_id).subquery()),
        # A derived table told to correlate: in FROM it cannot, and would read the table whole.
        lambda owned: (
            lambda inner: sa.select(ASSOCIATIONS.c.id, inner.c.n).where(owned(ASSOCIATIONS))
        )(
            sa.select(sa.func.count().label("n"))
            .where(owned(MEMBERS), MEMBERS.c.tenant_id == ASSOCIATIONS.c.id)
            .correlate(ASSOCIATIONS)
            .subquery()
        ),
        # The association table read without its condition, beside its members.
        lambda owned: (
            sa.select(ASSOCIATIONS.c.name)
            .join_from(ASSOCIATIONS, MEMBERS, MEMBERS.c.tenant_id == ASSOCIATIONS.c.id)
            .where(owned(MEMBERS))
        ),
    ],
    ids=[
        "correlated-to-no-enclosing-table",
        "correlated-implicitly",
        "derived-table-unowned",
        "derived-table-correlated",
        "association-unowned",
    ],
)
def test_a_correlation_that_reads_no_owned_row_is_refused(build):
    with pytest.raises(ScopeViolation):
        TenantRead(build)


def test_a_read_sees_what_the_session_has_not_flushed_yet(world):
    own = world.a.first
    with use_scope(Scope.association(own.association.id)):
        member = Member(
            tenant_id=own.association.id, name="未写入", title="none", phone="13911112222"
        )
        db.session.add(member)
        names = {r.name for r in TenantRead(_names).rows(db.session)}
    assert "未写入" in names


def _names(owned):
    return sa.select(MEMBERS.c.name).where(owned(MEMBERS))


# --- a federation's rows ---------------------------------------------------------------------

PERIODS = ReportingPeriod.__table__
ROLLUPS = FederationRollup.__table__
REPORTS = AnnualReport.__table__


@pytest.fixture
def federation_rows(world) -> None:
    """A reporting period (read by the federation's associations) and a roll-up (its own)
    in each federation."""
    with system_scope("test: a federation's rows"):
        for federation in (world.a.federation, world.b.federation):
            db.session.add(
                ReportingPeriod(
                    federation_id=federation.id,
                    year=1999,
                    deadline=date(2000, 3, 31),
                    opened_by="t",
                )
            )
            db.session.add(FederationRollup(federation_id=federation.id, year=1999))
        db.session.flush()


@pytest.mark.parametrize("model", [ReportingPeriod, FederationRollup], ids=["shared", "own"])
def test_a_federation_s_rows_are_read_as_the_criteria_read_them(world, federation_rows, model):
    """A period is read by its federation and the federation's associations; a roll-up by
    its federation only: the same rows the ORM criteria give each scope."""
    table = model.__table__
    read = TenantRead(
        lambda owned: sa.select(table.c.id, table.c.federation_id).where(owned(table))
    )
    scopes = [
        Scope.association(world.a.first.association.id),
        Scope.association(world.b.second.association.id),
        Scope.federation(world.a.federation.id),
        Scope.national([world.a.federation.id, world.b.federation.id]),
        Scope.nothing(),
    ]
    for scope in scopes:
        with use_scope(scope):
            assert {r.id for r in read.rows(db.session)} == set(
                db.session.scalars(sa.select(model.id))
            ), scope
    with use_scope(Scope.association(world.a.first.association.id)):
        seen = {r.federation_id for r in read.rows(db.session)}
    assert seen == ({world.a.federation.id} if model is ReportingPeriod else set())


def test_a_federation_s_table_joined_needs_its_condition_too():
    def build(with_period_condition: bool):
        def statement(owned):
            joined = sa.select(REPORTS.c.id).join_from(
                REPORTS, PERIODS, PERIODS.c.id == REPORTS.c.period_id
            )
            if with_period_condition:
                return joined.where(owned(REPORTS), owned(PERIODS))
            return joined.where(owned(REPORTS))

        return statement

    TenantRead(build(True))
    with pytest.raises(ScopeViolation, match="reporting_period"):
        TenantRead(build(False))
