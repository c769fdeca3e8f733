"""Every federation-owned model, present and future, fails closed like tenant data: each scope
kind reads and writes exactly the federations it should, on SQLite (the ORM criteria and the
write guard) and on PostgreSQL (where raw SQL, which the criteria never see, meets the
row-level security policy alone).

A new model with a `federation_id` fails here until it is FederationOwned and has rows in
both federations of the world (made by the world fixture or by `EXTRA_ROWS` below)."""

import pytest
import sqlalchemy as sa

from service.auth.models import ApiToken, User
from service.federation.models import CategoryRollup, ExemplarPage, HealthWeight, University
from service.governance.models import ProvincialThreshold
from service.sso.models import FederationIdentityProvider, FederationSsoLink
from tenants.db import db
from tenants.models import (
    Association,
    Federation,
    FederationOnly,
    FederationOwned,
    SharedWithAssociations,
)
from tenants.scope import NoScope, Scope, ScopeViolation, system_scope, use_scope
from tenants.testing import federation_models
from tests.conftest import PG_URL

# Tables with a federation_id that are not federation-owned, and why.
NOT_FEDERATION_OWNED = {
    Association: "the tenant itself, scoped by the tenant criteria",
    User: "accounts are found at sign-in, before there is a scope to look them up with",
    ApiToken: "tokens are found by their hash to decide the scope itself",
}

# Rows the world fixture does not make (each a model's default state, so other tests keep
# seeing a federation as they expect), made here for the matrix.
EXTRA_ROWS = {
    University: lambda f: University(federation_id=f, name=f"测试学院{f}", category="applied"),
    HealthWeight: lambda f: HealthWeight(federation_id=f, metric="activities", weight=1),
    CategoryRollup: lambda f: CategoryRollup(
        federation_id=f, category="applied", year=2025, view={"associations": [], "metrics": []}
    ),
    ExemplarPage: lambda f: ExemplarPage(federation_id=f, changed_by="test"),
    ProvincialThreshold: lambda f: ProvincialThreshold(
        federation_id=f, key="congress_max_years", value=5
    ),
    FederationIdentityProvider: lambda f: FederationIdentityProvider(
        federation_id=f, name="统一身份认证", server_url=f"https://cas{f}.example.gov.cn/cas"
    ),
    FederationSsoLink: lambda f: FederationSsoLink(
        federation_id=f,
        provider_id=db.session.scalar(
            sa.select(FederationIdentityProvider.id).where(
                FederationIdentityProvider.federation_id == f
            )
        ),
        subject=f"officer{f}",
        user_id=db.session.scalar(
            sa.select(User.id).where(User.federation_id == f, User.role == "federation_officer")
        ),
    ),
}


def _with_federation_id() -> list[type]:
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if "federation_id" in m.local_table.columns),
        key=lambda cls: cls.__name__,
    )


def test_every_model_with_a_federation_id_is_federation_owned():
    exempt = [cls for cls in _with_federation_id() if cls in NOT_FEDERATION_OWNED]
    assert sorted(c.__name__ for c in exempt) == sorted(c.__name__ for c in NOT_FEDERATION_OWNED)
    unscoped = [
        cls.__name__
        for cls in _with_federation_id()
        if cls not in NOT_FEDERATION_OWNED and not issubclass(cls, FederationOwned)
    ]
    assert unscoped == []
    assert len(federation_models()) >= 13


@pytest.mark.parametrize("model", federation_models(), ids=lambda m: m.__name__)
def test_every_federation_model_is_of_one_kind_and_keyed_by_federation(model):
    """One kind each: the association-scope criteria are written per kind."""
    assert issubclass(model, FederationOnly) != issubclass(model, SharedWithAssociations)
    column = model.__table__.c.federation_id
    assert column.nullable is False
    assert "federation" in [fk.column.table.name for fk in column.foreign_keys]
    # Any other key through it is a child's composite key to its parent's (federation_id,
    # id): a row never names another federation's parent (FederationSsoLink's provider).
    for fk in column.foreign_keys:
        assert fk.column.table.name == "federation" or fk.column.name == "federation_id"


@pytest.fixture
def federations(world):
    """The world, with a row of every federation model in both federations."""
    feds = [world.a.federation.id, world.b.federation.id]
    with system_scope("test: the federation rows the world fixture does not make"):
        for make in EXTRA_ROWS.values():
            db.session.add_all(make(f) for f in feds)
        db.session.flush()
        for model in federation_models():
            present = set(db.session.scalars(sa.select(model.federation_id)))
            assert set(feds) <= present, f"{model.__name__}: no rows in a federation"
        db.session.commit()
    return world


def _seen(model) -> set[int]:
    return set(db.session.scalars(sa.select(model.federation_id)))


def _ids(model) -> set[int]:
    return set(db.session.scalars(sa.select(model.id)))


@pytest.mark.parametrize("model", federation_models(), ids=lambda m: m.__name__)
def test_each_scope_reads_exactly_its_federations(federations, model):
    a, b = federations.a, federations.b
    fa, fb = a.federation.id, b.federation.id
    with system_scope("test: every row"):
        assert _seen(model) >= {fa, fb}
    with use_scope(Scope.federation(fa)):
        assert _seen(model) == {fa}
    with use_scope(Scope.federation(fb)):
        assert _seen(model) == {fb}
    with use_scope(Scope.national([fb])):
        assert _seen(model) == {fb}
    with use_scope(Scope.national([fa, fb])):
        assert _seen(model) >= {fa, fb}
    own = {fa} if issubclass(model, SharedWithAssociations) else set()
    with use_scope(Scope.association(a.first.association.id)):
        assert _seen(model) == own
    with use_scope(Scope.nothing()):
        assert _seen(model) == set()
    with pytest.raises(NoScope):
        _seen(model)


@pytest.mark.parametrize("model", federation_models(), ids=lambda m: m.__name__)
def test_each_scope_writes_only_its_federations(federations, model):
    a = federations.a
    fa, fb = a.federation.id, federations.b.federation.id
    column = _a_text_column(model)

    def refused(scope: Scope | None, change, error=ScopeViolation) -> None:
        with system_scope("test: rows of both federations, fresh"):
            ours, theirs = (
                db.session.scalars(sa.select(model).where(model.federation_id == f)).first()
                for f in (fa, fb)
            )
        with use_scope(scope) if scope else _no_scope():
            change(ours, theirs)
            with pytest.raises(error):
                db.session.flush()
        db.session.rollback()

    if column:
        refused(Scope.federation(fa), lambda ours, theirs: setattr(theirs, column, "x"))
        refused(Scope.national([fb]), lambda ours, theirs: setattr(ours, column, "x"))
        own = Scope.association(a.first.association.id)
        refused(own, lambda ours, theirs: setattr(ours, column, "x"))
        refused(Scope.nothing(), lambda ours, theirs: setattr(ours, column, "x"))
        refused(None, lambda ours, theirs: setattr(ours, column, "x"), NoScope)
    refused(Scope.federation(fa), lambda ours, theirs: setattr(ours, "federation_id", fb))
    refused(Scope.federation(fa), lambda ours, theirs: db.session.delete(theirs))
    refused(Scope.association(a.first.association.id), lambda ours, _: db.session.delete(ours))


def _a_text_column(model) -> str | None:
    """A plain text column to change (not a key, not the owner)."""
    for column in model.__table__.columns:
        plain = not (column.unique or column.foreign_keys or column.name == "federation_id")
        if isinstance(column.type, sa.String) and plain:
            return column.key
    return None


class _no_scope:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_a_new_row_gets_the_federation_of_the_scope(federations):
    fa = federations.a.federation.id
    with use_scope(Scope.federation(fa)):
        university = University(name="新建学院", category="applied")
        db.session.add(university)
        db.session.flush()
        assert university.federation_id == fa
    db.session.rollback()


@pytest.mark.parametrize(
    "scope",
    [
        lambda w: Scope.federation(w.b.federation.id),
        lambda w: Scope.national([w.b.federation.id]),
        lambda w: Scope.association(w.a.first.association.id),
        lambda w: Scope.nothing(),
    ],
    ids=["another-federation", "national-of-another", "association", "none"],
)
def test_a_new_row_outside_the_scope_is_refused(federations, scope):
    fa = federations.a.federation.id
    with use_scope(scope(federations)), pytest.raises(ScopeViolation):
        db.session.add(University(federation_id=fa, name="越界学院", category="applied"))
        db.session.flush()
    db.session.rollback()
    with use_scope(scope(federations)), pytest.raises(ScopeViolation):
        db.session.execute(
            sa.insert(University), [{"federation_id": fa, "name": "越界", "category": "applied"}]
        )
    db.session.rollback()


def test_a_new_row_needs_a_federation_when_the_scope_has_several(federations):
    both = Scope.national([federations.a.federation.id, federations.b.federation.id])
    with use_scope(both), pytest.raises(ScopeViolation, match="explicit federation"):
        db.session.add(University(name="无省学院", category="applied"))
        db.session.flush()
    db.session.rollback()


def test_a_bulk_update_or_delete_touches_only_the_scope(federations):
    fa, fb = federations.a.federation.id, federations.b.federation.id
    with use_scope(Scope.federation(fa)):
        result = db.session.execute(sa.update(University).values(category="private"))
        assert result.rowcount == 1
    with use_scope(Scope.association(federations.a.first.association.id)):
        assert db.session.execute(sa.delete(University)).rowcount == 0
    with system_scope("test: the other federation's row is unchanged"):
        rows = db.session.execute(sa.select(University.federation_id, University.category))
        categories = dict(rows.all())
    assert categories[fa] == "private" and categories[fb] == "applied"


# --- PostgreSQL: the row-level security policies alone ---------------------------------

needs_postgres = pytest.mark.skipif(not PG_URL, reason="row-level security needs PostgreSQL")


def _raw_federations(table: str) -> set[int]:
    return set(db.session.execute(sa.text(f"SELECT federation_id FROM {table}")).scalars())  # noqa: S608


@pytest.mark.parametrize("model", federation_models(), ids=lambda m: m.__name__)
@pytest.mark.postgres
@needs_postgres
def test_raw_sql_meets_the_federation_policy(federations, model):
    table = model.__tablename__
    fa, fb = federations.a.federation.id, federations.b.federation.id
    assert _raw_federations(table) == set()  # no scope: nothing
    with use_scope(Scope.federation(fa)):
        assert _raw_federations(table) == {fa}
    with use_scope(Scope.national([fb])):
        assert _raw_federations(table) == {fb}
    own = {fa} if issubclass(model, SharedWithAssociations) else set()
    with use_scope(Scope.association(federations.a.first.association.id)):
        assert _raw_federations(table) == own
        _deletes_nothing(table)
        assert (
            db.session.execute(
                sa.text(f"UPDATE {table} SET federation_id = federation_id")  # noqa: S608
            ).rowcount
            == 0
        )
    with use_scope(Scope.nothing()):
        assert _raw_federations(table) == set()
    with system_scope("test: every row"):
        assert _raw_federations(table) >= {fa, fb}


def _deletes_nothing(table: str) -> None:
    """A DELETE outside the policy removes no row; where the app role has no DELETE at all
    (the locked tables of migration 0016), the database refuses it outright."""
    may_delete = db.session.scalar(
        sa.text("SELECT has_table_privilege(current_user, :t, 'DELETE')"), {"t": table}
    )
    if may_delete:
        assert db.session.execute(sa.text(f"DELETE FROM {table}")).rowcount == 0  # noqa: S608
        return
    refused = pytest.raises(sa.exc.ProgrammingError, match="permission denied")
    with refused, db.session.begin_nested():
        db.session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608


@pytest.mark.postgres
@needs_postgres
def test_the_database_refuses_a_row_for_another_federation(federations):
    fa, fb = federations.a.federation.id, federations.b.federation.id
    insert = sa.text(
        "INSERT INTO province_university (federation_id, name, category, created_at)"
        " VALUES (:f, :n, 'applied', now())"
    )

    def refused():
        return pytest.raises(sa.exc.ProgrammingError, match="row-level security")

    with use_scope(Scope.federation(fa)):
        with refused(), db.session.begin_nested():
            db.session.execute(insert, {"f": fb, "n": "越界"})
        moved = db.session.execute(
            sa.text("UPDATE province_university SET name = 'x' WHERE federation_id = :f"),
            {"f": fb},
        )
        assert moved.rowcount == 0
    own = Scope.association(federations.a.first.association.id)
    with use_scope(own), refused(), db.session.begin_nested():
        db.session.execute(
            sa.text(
                "INSERT INTO reporting_period (federation_id, year, deadline, opened_by,"
                " opened_at) VALUES (:f, 2099, '2100-01-01', 'x', now())"
            ),
            {"f": fa},
        )


@pytest.mark.postgres
@needs_postgres
def test_every_federation_table_has_forced_row_level_security(db_session):
    tables = {m.__tablename__ for m in federation_models()}
    rows = db.session.execute(
        sa.text(
            "SELECT relname FROM pg_class WHERE relname = ANY(:names)"
            " AND relrowsecurity AND relforcerowsecurity"
        ),
        {"names": sorted(tables)},
    ).scalars()
    assert set(rows) == tables
    shared = {m.__tablename__ for m in federation_models() if issubclass(m, SharedWithAssociations)}
    readers = db.session.execute(
        sa.text(
            "SELECT tablename FROM pg_policies WHERE policyname = 'federation_association_reads'"
        )
    ).scalars()
    assert set(readers) == shared


def test_the_directory_of_federations_stays_public(world):
    with use_scope(Scope.nothing()):
        assert len(db.session.scalars(sa.select(Federation)).all()) >= 2
