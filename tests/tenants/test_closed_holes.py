"""Three ways around the ORM criteria that only PostgreSQL's row-level security stopped; each
now raises in the application, on SQLite and on PostgreSQL alike, before the database."""

import pytest
import sqlalchemy as sa

from service.federation.models import Guidance
from service.members.models import Member
from tenants.db import db
from tenants.scope import NoScope, Scope, ScopeViolation, system_scope, use_scope


def _member_of(tenant) -> int:
    return tenant.members[0].id


# --- a. Core statements on tenant tables -------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        lambda: sa.select(Member.__table__),
        lambda: sa.select(Member.__table__.c.name),
        lambda: sa.select(sa.func.count()).select_from(Member.__table__),
        lambda: sa.select(Member.__table__).where(Member.id > 0),
        lambda: sa.select(sa.table("member", sa.column("name"))),
        lambda: sa.select(Guidance.__table__.c.title),
    ],
    ids=["table", "column", "count", "beside-an-orm-column", "lightweight-table", "federation"],
)
def test_a_core_select_on_a_scoped_table_needs_the_mapped_class(world, statement):
    with pytest.raises(NoScope):
        db.session.execute(statement()).all()
    with use_scope(Scope.association(world.a.first.association.id)), pytest.raises(ScopeViolation):
        db.session.execute(statement()).all()
    with use_scope(Scope.federation(world.a.federation.id)), pytest.raises(ScopeViolation):
        db.session.execute(statement()).all()


def test_core_updates_and_deletes_on_a_scoped_table_raise_too(world):
    own = Scope.association(world.a.first.association.id)
    with use_scope(own), pytest.raises(ScopeViolation):
        db.session.execute(sa.update(Member.__table__).values(name="x"))
    with use_scope(own), pytest.raises(ScopeViolation):
        db.session.execute(sa.delete(Member.__table__))
    with use_scope(own), pytest.raises(ScopeViolation):
        db.session.execute(sa.insert(Member.__table__).values(tenant_id=1, name="x"))
    db.session.rollback()


def test_core_statements_on_scoped_tables_run_in_system_scope(world):
    with system_scope("test: a platform job may read every tenant"):
        tenants = set(db.session.execute(sa.select(Member.__table__.c.tenant_id)).scalars())
    assert {world.a.first.association.id, world.b.second.association.id} <= tenants


def _members_of(association_id: int) -> int:
    with system_scope("test: count one tenant's members"):
        return db.session.scalar(
            sa.select(sa.func.count()).where(Member.tenant_id == association_id)
        )


def test_the_mapped_class_still_reads_under_the_scope(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        assert set(db.session.scalars(sa.select(Member.tenant_id))) == {own}
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Member))
    assert counted == _members_of(own) > 0


# --- b. a bulk update that moves rows to another tenant ----------------------------------


def test_a_bulk_update_cannot_move_rows_to_another_tenant(world):
    own, other = world.a.first.association.id, world.b.first.association.id
    for scope in (Scope.association(own), Scope.federation(world.a.federation.id)):
        with use_scope(scope), pytest.raises(ScopeViolation):
            db.session.execute(sa.update(Member).values(tenant_id=other))
        with use_scope(scope), pytest.raises(ScopeViolation):
            db.session.execute(sa.update(Member).values({Member.tenant_id: other}))
    with use_scope(Scope.association(own)), pytest.raises(ScopeViolation):
        db.session.execute(
            sa.update(Member), [{"id": _member_of(world.a.first), "tenant_id": other}]
        )
    with system_scope("test: not even the platform moves a row"), pytest.raises(ScopeViolation):
        db.session.execute(sa.update(Member).values(tenant_id=other))
    db.session.rollback()
    with system_scope("test: every member stays where it was"):
        tenants = dict(db.session.execute(sa.select(Member.id, Member.tenant_id)).all())
    assert tenants[_member_of(world.a.first)] == own


def test_a_bulk_update_cannot_move_federation_rows(world):
    with use_scope(Scope.federation(world.a.federation.id)), pytest.raises(ScopeViolation):
        db.session.execute(sa.update(Guidance).values(federation_id=world.b.federation.id))
    db.session.rollback()


def test_a_bulk_update_of_other_columns_still_runs(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        updated = db.session.execute(sa.update(Member).values(department="新单位")).rowcount
    assert updated == _members_of(own)


# --- c. session.get answered from the identity map ----------------------------------------


def test_session_get_does_not_return_a_row_an_earlier_system_scope_loaded(world):
    foreign = _member_of(world.b.first)
    with system_scope("test: load the foreign row into the identity map"):
        assert db.session.get(Member, foreign) is not None
    with use_scope(Scope.association(world.a.first.association.id)):
        assert db.session.get(Member, foreign) is None
        assert db.session.get(Member, _member_of(world.a.first)) is not None
    with use_scope(Scope.federation(world.a.federation.id)):
        assert db.session.get(Member, foreign) is None
        assert db.session.get(Member, _member_of(world.a.second)) is not None
    with use_scope(Scope.nothing()):
        assert db.session.get(Member, foreign) is None
    with pytest.raises(NoScope):
        db.session.get(Member, foreign)


def test_session_get_of_federation_rows_follows_the_scope(world):
    theirs = world.b.guidance_id
    with system_scope("test: load another federation's guidance"):
        assert db.session.get(Guidance, theirs) is not None
    with use_scope(Scope.federation(world.a.federation.id)):
        assert db.session.get(Guidance, theirs) is None
        assert db.session.get(Guidance, world.a.guidance_id) is not None
    with use_scope(Scope.association(world.a.first.association.id)):
        assert db.session.get(Guidance, theirs) is None
        assert db.session.get(Guidance, world.a.guidance_id) is not None
    with use_scope(Scope.national([world.b.federation.id])):
        assert db.session.get(Guidance, theirs) is not None


# --- d. inserts made from a select in the database ----------------------------------------

_HISTORY = ["tenant_id", "member_id", "change", "status", "changed_on"]


def _joinings(owner) -> sa.Select:
    return sa.select(owner, Member.id, sa.literal("joined"), sa.literal("active"), Member.joined_on)


def test_an_insert_from_a_select_writes_only_the_scope_s_own_rows(world):
    """No WHERE at all: the scope's criteria choose the rows, as for any select, so the
    association's history rows are made for its own members only."""
    from service.members.models import MemberStatusChange

    own, other = world.a.first, world.b.first
    with use_scope(Scope.association(own.association.id)):
        db.session.execute(
            sa.insert(MemberStatusChange).from_select(_HISTORY, _joinings(Member.tenant_id))
        )
    with system_scope("test: whose rows were made"):
        owners = db.session.scalars(
            sa.select(MemberStatusChange.tenant_id).where(MemberStatusChange.change == "joined")
        ).all()
    assert owners.count(own.association.id) == 2 * len(own.members)  # the world's, and ours
    assert owners.count(other.association.id) == len(other.members)  # the world's only
    db.session.rollback()


@pytest.mark.parametrize(
    "owner",
    [
        lambda world: sa.literal(world.b.first.association.id),  # another tenant, written in
        lambda world: Member.id,  # a scoped entity's column, but not its owner column
    ],
    ids=["literal-owner", "another-column"],
)
def test_an_insert_from_a_select_cannot_choose_its_owner(world, owner):
    from service.members.models import MemberStatusChange

    statement = sa.insert(MemberStatusChange).from_select(_HISTORY, _joinings(owner(world)))
    own = Scope.association(world.a.first.association.id)
    with use_scope(own), pytest.raises(ScopeViolation):
        db.session.execute(statement)
    with use_scope(Scope.federation(world.a.federation.id)), pytest.raises(ScopeViolation):
        db.session.execute(
            sa.insert(MemberStatusChange).from_select(_HISTORY, _joinings(Member.tenant_id))
        )
    db.session.rollback()


def test_an_insert_from_a_select_copies_nothing_from_elsewhere(world):
    """Another table's value in the copied columns (here a federation's guidance title,
    read by a subquery the criteria would not reach) is refused."""
    from service.members.models import MemberStatusChange

    elsewhere = sa.select(Guidance.title).limit(1).scalar_subquery()
    select = sa.select(
        Member.tenant_id, Member.id, sa.literal("joined"), elsewhere, Member.joined_on
    )
    own = Scope.association(world.a.first.association.id)
    with use_scope(own), pytest.raises(ScopeViolation):
        db.session.execute(sa.insert(MemberStatusChange).from_select(_HISTORY, select))
    db.session.rollback()
