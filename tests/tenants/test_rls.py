"""Row-level security on PostgreSQL: the second wall, checked with raw SQL that the ORM
criteria never see."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from service.associations.models import AssociationProfile
from tenants import roundtrips
from tenants.db import Session, db
from tenants.models import Association, TenantOwned
from tenants.scope import Scope, system_scope, use_scope
from tenants.testing import tenant_models
from tests.conftest import PG_URL
from tests.wire import WireProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="row-level security needs PostgreSQL"),
]

COUNT = sa.text("SELECT count(*) FROM association_profile")


def test_raw_sql_without_a_scope_sees_no_rows(world):
    assert db.session.execute(COUNT).scalar() == 0
    assert db.session.execute(sa.text("SELECT count(*) FROM association")).scalar() == 0


def test_raw_sql_sees_only_the_scope(world):
    with use_scope(Scope.association(world.a.first.association.id)):
        assert db.session.execute(COUNT).scalar() == 1
    with use_scope(Scope.federation(world.a.federation.id)):
        assert db.session.execute(COUNT).scalar() == 2
    with use_scope(Scope.nothing()):
        assert db.session.execute(COUNT).scalar() == 0


def test_the_database_refuses_writes_to_another_tenant(world):
    foreign = world.b.first.association.id
    with use_scope(Scope.association(world.a.first.association.id)):
        updated = db.session.execute(
            sa.text("UPDATE association_profile SET address = 'x' WHERE tenant_id = :t"),
            {"t": foreign},
        )
        assert updated.rowcount == 0
        refused = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
        with refused, db.session.begin_nested():
            db.session.execute(
                sa.text(
                    "INSERT INTO association_profile (tenant_id, university_name, category,"
                    " updated_at) VALUES (:t, 'u', 'applied', now())"
                ),
                {"t": foreign},
            )


def test_the_service_role_cannot_bypass_and_owns_nothing(world):
    role = db.session.execute(
        sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert tuple(role) == (False, False)
    owned = db.session.execute(
        sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
    ).scalar()
    assert owned == 0


def test_every_tenant_table_has_forced_row_level_security(world):
    tables = {Association.__tablename__}
    for mapper in db.Model.registry.mappers:
        if issubclass(mapper.class_, TenantOwned):
            tables.add(mapper.class_.__tablename__)
    rows = db.session.execute(
        sa.text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relname = ANY(:names)"
        ),
        {"names": sorted(tables)},
    ).all()
    assert {r.relname for r in rows if r.relrowsecurity and r.relforcerowsecurity} == tables


def test_the_setting_ends_with_the_transaction(app, world):
    with app.app_context(), db.engine.connect() as connection:
        with connection.begin():
            connection.execute(sa.text("SELECT set_config('app.tenant_ids', '1', true)"))
        with connection.begin():
            value = connection.execute(
                sa.text("SELECT current_setting('app.tenant_ids', true)")
            ).scalar()
        assert not value


def test_orm_and_rls_agree(world):
    with use_scope(Scope.federation(world.b.federation.id)):
        orm = set(db.session.scalars(sa.select(AssociationProfile.tenant_id)))
        raw = set(
            db.session.execute(sa.text("SELECT tenant_id FROM association_profile")).scalars()
        )
    assert orm == raw == {world.b.first.association.id, world.b.second.association.id}


def test_every_policy_reads_its_settings_once_per_statement(db_session):
    """The migrated policies have the current form: settings in scalar subqueries, which
    PostgreSQL evaluates once (an InitPlan), not once per row."""
    rows = db.session.execute(
        sa.text("SELECT tablename, qual FROM pg_policies WHERE policyname = 'tenant_isolation'")
    ).all()
    assert len(rows) == len(tenant_models()) + 1  # and the association table itself
    stale = [table for table, qual in rows if "SELECT app_tenant()" not in qual]
    assert stale == []


def test_a_tenant_query_uses_the_tenant_index_and_one_initplan(world):
    with use_scope(Scope.association(world.a.first.association.id)):
        plan = "\n".join(
            db.session.execute(
                sa.text("EXPLAIN SELECT id FROM member WHERE tenant_id = :t"),
                {"t": world.a.first.association.id},
            ).scalars()
        )
    row_filter = next(line for line in plan.splitlines() if "Filter:" in line)
    assert "InitPlan" in plan and "current_setting" not in row_filter, plan


def test_a_fresh_transaction_without_a_scope_sends_no_settings_and_sees_nothing(app, database_urls):
    """A transaction that is to see nothing skips set_config (a round trip per request),
    which is safe only because settings end with their transaction and unset ones fail
    closed. Checked on committed rows, through the service's own pooled connections."""
    _app_url, owner_url = database_urls
    # What reaches the server, read on the wire: set_config rides in the pipeline of the
    # statement after it, where SQLAlchemy's cursor events do not see it.
    proxy = WireProxy(*_host_and_port(PG_URL))
    engine = sa.create_engine(proxy.url(_app_url))
    roundtrips.configure(engine)  # as the service's engine is
    one = sa.text("SELECT count(*) FROM association WHERE id = :a")
    try:
        with (
            _committed_associations(owner_url, "FRESH", 1) as (association,),
            app.app_context(),
            _session_on_engine(engine) as session,
        ):
            with system_scope("test: bypass in the transaction before"):
                assert session.execute(one, {"a": association}).scalar() == 1
                session.commit()
            with proxy.count():
                assert session.execute(one, {"a": association}).scalar() == 0
                session.rollback()
                with use_scope(Scope.association(association)):
                    assert session.execute(one, {"a": association}).scalar() == 1
                session.rollback()
    finally:
        engine.dispose()
    assert sum("set_config" in s for s in proxy.statements) == 1  # for the association only
    # Each transaction reads only: its statement (after the settings, if any) in one round
    # trip, no BEGIN and nothing to roll back.
    assert proxy.round_trips == 2, proxy.bursts
    assert not {"BEGIN", "ROLLBACK"} & set(proxy.statements), proxy.bursts


def test_a_scope_changed_inside_a_transaction_is_sent_again(app, database_urls):
    """On the service's own engine a session trusts the settings it sent at the start of
    its transaction while the scope stays the same (no look at the connection per
    statement); each change of scope inside the transaction is sent before the next
    statement, and the settings of the scope before it are gone."""
    _app_url, owner_url = database_urls
    engine = sa.create_engine(_app_url)
    roundtrips.configure(engine)
    both = sa.text("SELECT id FROM association WHERE id IN (:a, :b) ORDER BY id")
    seen = []
    try:
        with (
            _committed_associations(owner_url, "SWITCH", 2) as (a, b),
            app.app_context(),
            _session_on_engine(engine) as session,
        ):
            for scope in (
                lambda: use_scope(Scope.association(a)),
                lambda: use_scope(Scope.association(a)),
                lambda: use_scope(Scope.association(b)),
                lambda: system_scope("test: a block inside the transaction"),
                lambda: use_scope(Scope.association(a)),
            ):
                with scope():
                    seen.append(session.execute(both, {"a": a, "b": b}).scalars().all())
            session.rollback()
    finally:
        engine.dispose()
    assert seen == [[a], [a], [b], [a, b], [a]]


@contextmanager
def _committed_associations(owner_url: str, code: str, count: int) -> Iterator[list[int]]:
    """`count` associations of a new federation, committed past row-level security (as the
    superuser) so that the service's own connections read them; deleted afterwards."""
    superuser = sa.make_url(owner_url).set(username=sa.make_url(PG_URL).username)
    admin = sa.create_engine(superuser, poolclass=sa.pool.NullPool)
    with admin.begin() as c:
        federation = c.execute(
            sa.text(
                "INSERT INTO federation (code, name, province, created_at)"
                " VALUES (:code, 'f', 'p', now()) RETURNING id"
            ),
            {"code": code},
        ).scalar()
        ids = [
            c.execute(
                sa.text(
                    "INSERT INTO association (federation_id, name, status, created_at)"
                    " VALUES (:f, :n, 'active', now()) RETURNING id"
                ),
                {"f": federation, "n": f"{code.lower()} {n}"},
            ).scalar()
            for n in range(count)
        ]
    try:
        yield ids
    finally:
        with admin.begin() as c:
            c.execute(
                sa.text("DELETE FROM association WHERE federation_id = :f"), {"f": federation}
            )
            c.execute(sa.text("DELETE FROM federation WHERE id = :f"), {"f": federation})
        admin.dispose()


def _host_and_port(url: str) -> tuple[str, int]:
    parsed = sa.make_url(url)
    return parsed.host or "127.0.0.1", parsed.port or 5432


@contextmanager
def _session_on_engine(engine: sa.Engine) -> Iterator[Session]:
    session = Session(db, bind=engine)
    try:
        yield session
    finally:
        session.close()


PLATFORM_COUNT = sa.text("SELECT count(*) FROM platform_audit_event")


def test_the_platform_log_is_read_past_the_policies_only_and_appended_from_any(world):
    with system_scope("test: the platform's log"):
        before = db.session.execute(PLATFORM_COUNT).scalar()
    assert before > 0
    own = world.a.first.association.id
    for scope in (Scope.association(own), Scope.federation(world.a.federation.id)):
        with use_scope(scope):
            assert db.session.execute(PLATFORM_COUNT).scalar() == 0
            db.session.execute(
                sa.text(
                    "INSERT INTO platform_audit_event (occurred_at, actor, action, entity)"
                    " VALUES (now(), 'cli', 'create', 'probe')"
                )
            )
    with use_scope(Scope.nothing()):
        assert db.session.execute(PLATFORM_COUNT).scalar() == 0
    with system_scope("test: the platform's log"):
        assert db.session.execute(PLATFORM_COUNT).scalar() == before + 2
