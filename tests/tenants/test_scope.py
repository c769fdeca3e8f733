"""The tenancy layer fails closed: no scope raises, an empty scope sees nothing, and each
scope sees exactly its tenants, on reads, bulk writes and flushes."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from service.associations.models import AssociationProfile
from service.audit.models import PlatformAuditEvent
from service.members.models import Member
from tenants.db import db, insert_rows
from tenants.models import Association, TenantOwned
from tenants.scope import NoScope, Scope, ScopeViolation, system_scope, use_scope
from tests import factories


def visible_tenants() -> set[int]:
    return set(db.session.scalars(sa.select(AssociationProfile.tenant_id)))


def test_a_query_with_no_scope_raises(world):
    with pytest.raises(NoScope):
        db.session.scalars(sa.select(AssociationProfile)).all()
    with pytest.raises(NoScope):
        db.session.scalars(sa.select(Association)).all()


def test_an_empty_scope_matches_nothing(world):
    with use_scope(Scope.nothing()):
        assert visible_tenants() == set()
        assert db.session.scalars(sa.select(Association)).all() == []


def test_association_scope_sees_only_itself(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        assert visible_tenants() == {own}
        assert [a.id for a in db.session.scalars(sa.select(Association))] == [own]


def test_federation_scope_sees_its_associations_and_no_other(world):
    with use_scope(Scope.federation(world.a.federation.id)):
        assert visible_tenants() == {world.a.first.association.id, world.a.second.association.id}


def test_federation_scope_is_resolved_at_query_time(world):
    scope = Scope.federation(world.a.federation.id)
    with use_scope(scope):
        before = visible_tenants()
    with system_scope("test: a new association joins the federation"):
        newcomer = factories.make_association(world.a.federation)
    with use_scope(scope):
        assert visible_tenants() == before | {newcomer.id}


def test_national_scope_sees_granted_federations_only(world):
    with use_scope(Scope.national([world.b.federation.id])):
        assert visible_tenants() == {world.b.first.association.id, world.b.second.association.id}


def test_scope_applies_to_joins_subqueries_and_counts(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        joined = db.session.execute(
            sa.select(Association.id, AssociationProfile.id).join(
                AssociationProfile, AssociationProfile.tenant_id == Association.id
            )
        ).all()
        assert {row[0] for row in joined} == {own}
        inner = sa.select(AssociationProfile.tenant_id).scalar_subquery()
        assert db.session.scalar(sa.select(sa.func.count()).where(Association.id.in_(inner))) == 1
        assert db.session.scalar(sa.select(sa.func.count(AssociationProfile.id))) == 1


def test_identity_map_does_not_leak_across_scopes(world):
    foreign = world.b.first.association.id
    with system_scope("test: load the foreign row into the session"):
        db.session.scalars(sa.select(AssociationProfile)).all()
    with use_scope(Scope.association(world.a.first.association.id)):
        row = db.session.execute(
            sa.select(AssociationProfile).where(AssociationProfile.tenant_id == foreign)
        ).scalar_one_or_none()
        assert row is None


def test_bulk_update_and_delete_touch_only_the_scope(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        result = db.session.execute(sa.update(AssociationProfile).values(address="新地址"))
        assert result.rowcount == 1
    with system_scope("test: check every row"):
        addresses = dict(
            db.session.execute(
                sa.select(AssociationProfile.tenant_id, AssociationProfile.address)
            ).all()
        )
    assert addresses.pop(own) == "新地址"
    assert "新地址" not in addresses.values()
    with use_scope(Scope.association(own)):
        assert db.session.execute(sa.delete(AssociationProfile)).rowcount == 1
    with system_scope("test: the others are still there"):
        assert db.session.scalar(sa.select(sa.func.count(AssociationProfile.id))) == 3


def test_new_rows_are_stamped_with_the_scope_tenant(world):
    with system_scope("test: a tenant with no profile yet"):
        bare = Association(federation_id=world.a.federation.id, name="空白大学科协")
        db.session.add(bare)
        db.session.flush()
    with use_scope(Scope.association(bare.id)):
        profile = AssociationProfile(university_name="空白大学", category="applied")
        db.session.add(profile)
        db.session.flush()
        assert profile.tenant_id == bare.id


def test_writing_another_tenants_row_raises(world):
    own, foreign = world.a.first.association.id, world.b.first.association.id
    with use_scope(Scope.association(own)), pytest.raises(ScopeViolation):
        db.session.add(
            AssociationProfile(tenant_id=foreign, university_name="x", category="applied")
        )
        db.session.flush()
    db.session.rollback()


def test_moving_a_row_to_another_tenant_raises(world):
    own = world.a.first.association.id
    with use_scope(Scope.association(own)):
        profile = db.session.scalars(sa.select(AssociationProfile)).one()
        profile.tenant_id = world.a.second.association.id
        with pytest.raises(ScopeViolation):
            db.session.flush()
    db.session.rollback()


def test_federation_scope_cannot_write_outside_its_associations(world):
    with system_scope("test: load a foreign profile"):
        foreign = db.session.scalars(
            sa.select(AssociationProfile).where(
                AssociationProfile.tenant_id == world.b.first.association.id
            )
        ).one()
    with use_scope(Scope.federation(world.a.federation.id)):
        foreign.address = "越界修改"
        with pytest.raises(ScopeViolation):
            db.session.flush()
    db.session.rollback()


def test_only_system_scope_creates_associations(world):
    with use_scope(Scope.federation(world.a.federation.id)), pytest.raises(ScopeViolation):
        db.session.add(Association(federation_id=world.a.federation.id, name="x"))
        db.session.flush()
    db.session.rollback()


def test_system_scope_needs_a_reason():
    with pytest.raises(ValueError):
        system_scope("  ")


def _insert(connection, sql: str, **params) -> int:
    return connection.execute(sa.text(sql + " RETURNING id"), params).scalar_one()


def test_composite_foreign_keys_refuse_a_cross_tenant_reference(app, database_urls):
    """A child row pointing at another tenant's parent is refused by the database itself,
    whatever the application does."""
    engine = sa.create_engine(database_urls[1], poolclass=sa.pool.NullPool)  # the owner role
    if engine.dialect.name == "sqlite":
        from tenants.db import configure_sqlite

        configure_sqlite(engine)
    with engine.connect() as connection, connection.begin() as transaction:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT set_config('app.bypass_rls', 'on', true)")
        fed = _insert(
            connection,
            "INSERT INTO federation (code, name, province, created_at)"
            " VALUES ('FK', 'f', 'p', CURRENT_TIMESTAMP)",
        )
        own, other = (
            _insert(
                connection,
                "INSERT INTO association (federation_id, name, status, created_at)"
                " VALUES (:f, :n, 'active', CURRENT_TIMESTAMP)",
                f=fed,
                n=name,
            )
            for name in ("own", "other")
        )
        parent = _insert(
            connection,
            "INSERT INTO association_profile (tenant_id, university_name, category, updated_at)"
            " VALUES (:t, 'u', 'applied', CURRENT_TIMESTAMP)",
            t=other,
        )
        connection.exec_driver_sql(
            "CREATE TABLE tmp_child (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL,"
            " profile_id INTEGER NOT NULL, FOREIGN KEY (tenant_id, profile_id)"
            " REFERENCES association_profile (tenant_id, id))"
        )
        insert_child = sa.text(
            "INSERT INTO tmp_child (id, tenant_id, profile_id) VALUES (:i, :t, :p)"
        )
        connection.execute(insert_child, {"i": 1, "t": other, "p": parent})  # same tenant: fine
        with (
            pytest.raises(sa.exc.IntegrityError, match=r"(?i)foreign key"),
            connection.begin_nested(),
        ):
            connection.execute(insert_child, {"i": 2, "t": own, "p": parent})
        transaction.rollback()
    engine.dispose()


def test_every_tenant_table_is_tenant_first_and_composite_keyed():
    """Each TenantOwned table has tenant_id NOT NULL and a unique (tenant_id, id) key."""
    tables = [
        m.class_.__table__ for m in db.Model.registry.mappers if issubclass(m.class_, TenantOwned)
    ]
    assert tables, "no tenant tables found"
    for table in tables:
        assert table.c.tenant_id.nullable is False, table.name
        keys = [
            [c.name for c in constraint.columns]
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        ]
        assert ["tenant_id", "id"] in keys, table.name


def test_a_bulk_insert_into_another_tenant_raises(world):
    own, foreign = world.a.first.association.id, world.b.first.association.id
    row = {"university_name": "x", "category": "applied"}
    with use_scope(Scope.association(own)):
        with pytest.raises(ScopeViolation):
            db.session.execute(sa.insert(AssociationProfile), [{**row, "tenant_id": foreign}])
        with pytest.raises(ScopeViolation):
            db.session.execute(sa.insert(AssociationProfile), [row])  # no tenant at all
    db.session.rollback()


def test_rows_inserted_at_once_are_the_scope_s_own_or_none_is(world):
    """`insert_rows` (an import's write: one statement of arrays on PostgreSQL) writes the
    rows with their empty fields as NULL, and refuses the whole batch when one row is of
    another tenant or of none."""
    own, foreign = world.a.first.association.id, world.b.first.association.id
    row = {"name": "批量甲", "phone": None, "email": "jia@example.edu.cn", "tenant_id": own}
    row["joined_on"], other = date(2026, 3, 1), {"name": "批量乙", "email": "yi@example.edu.cn"}
    with use_scope(Scope.association(own)):
        for bad in (foreign, None):
            with pytest.raises(ScopeViolation):
                insert_rows(db.session, Member, [row, {**row, **other, "tenant_id": bad}])
        insert_rows(db.session, Member, [row, {**row, **other}])
        written = db.session.execute(
            sa.select(Member.name, Member.phone, Member.status, Member.tenant_id)
            .where(Member.name.like("批量%"))
            .order_by(Member.name)
        ).all()
    assert written == [("批量乙", None, "active", own), ("批量甲", None, "active", own)]
    db.session.rollback()


def test_an_insert_of_given_rows_cannot_read_another_tenant_s(world):
    """The guard takes a select of arrays for rows the caller gives only when every column
    is an array it gives; a column read from a table goes through the insert-from-select
    rules, which refuse it."""
    own, foreign = world.a.first.association.id, world.b.first.association.id
    owners = sa.cast(sa.bindparam("owners", [own]), ARRAY(sa.BigInteger))
    with system_scope("test: another tenant's member"):
        theirs = factories.make_member(world.b.first.association).id
    their_name = sa.select(Member.name).where(Member.id == theirs, Member.tenant_id == foreign)
    copied = sa.select(
        sa.func.unnest(owners).label("tenant_id"), their_name.scalar_subquery().label("name")
    )
    with use_scope(Scope.association(own)), pytest.raises(ScopeViolation):
        db.session.execute(sa.insert(Member).from_select(["tenant_id", "name"], copied))
    db.session.rollback()


def test_the_platform_log_is_read_in_system_scope_only(world):
    """Events of no tenant: no tenant's or federation's scope reads them, by the ORM, by a
    Core statement or from the identity map; only system_scope (the operator's log)."""
    with system_scope("test: the platform's log"):
        ids = set(db.session.scalars(sa.select(PlatformAuditEvent.id)))
        assert ids  # the world's federations and accounts above the associations logged some
        loaded = db.session.get(PlatformAuditEvent, max(ids))
    with pytest.raises(NoScope):
        db.session.scalars(sa.select(PlatformAuditEvent)).all()
    for scope in (
        Scope.association(world.a.first.association.id),
        Scope.federation(world.a.federation.id),
        Scope.nothing(),
    ):
        with use_scope(scope):
            assert db.session.scalars(sa.select(PlatformAuditEvent.id)).all() == []
            assert db.session.get(PlatformAuditEvent, loaded.id) is None
            with pytest.raises(ScopeViolation):
                db.session.execute(sa.select(PlatformAuditEvent.__table__)).all()
