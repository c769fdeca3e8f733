"""A schema ready for Citus (deploy/SCALE.md): bigint ids, from the URL to the catalog."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.validation import ID_MAX
from tenants import citus, rls, roundtrips
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.conftest import PG_URL
from tests.tenants.test_rls import _committed_associations, _host_and_port, _session_on_engine
from tests.wire import WireProxy

on_postgres = pytest.mark.skipif(not PG_URL, reason="the catalog and RLS of PostgreSQL")

BIGINT_MAX = 2**63 - 1


@pytest.fixture
def api(client, world):
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.a.first.tokens['rw'][1]}"
    return client


def test_the_api_bounds_ids_to_bigint():
    assert ID_MAX == BIGINT_MAX


@pytest.mark.parametrize("member_id", [2**31, 2**32 + 7, BIGINT_MAX])
def test_an_id_beyond_the_integer_range_is_no_such_row(api, member_id):
    response = api.get(f"/api/v1/members/{member_id}")
    assert response.status_code == 404 and response.is_json


def test_an_id_beyond_bigint_is_a_clear_4xx(api, world):
    beyond = api.get(f"/api/v1/members/{BIGINT_MAX + 1}")
    assert beyond.status_code == 404 and beyond.is_json
    association = world.a.first.association.id
    body = {"post": "chair", "name": "张三", "approving_meeting_id": BIGINT_MAX + 1}
    refused = api.post(f"/api/v1/governance/{association}/officers", json=body)
    assert refused.status_code == 422, refused.get_data(as_text=True)[:300]
    assert "approving_meeting_id" in refused.get_data(as_text=True)


# --- row-level security settings as SET LOCAL (Citus propagates them) -------------------

COUNT = sa.text("SELECT count(*) FROM association_profile")


@pytest.fixture(params=["set_config", "SET LOCAL"])
def settings_form(request, app):
    """Each form of sending the settings in turn, on the service's own engine."""
    with app.app_context():
        rls.send_as_set_local(db.engine, request.param == "SET LOCAL")
        yield request.param
        rls.send_as_set_local(db.engine, False)


@on_postgres
def test_both_forms_of_the_settings_isolate(world, settings_form):
    with use_scope(Scope.association(world.a.first.association.id)):
        assert db.session.execute(COUNT).scalar() == 1
    with use_scope(Scope.federation(world.a.federation.id)):
        assert db.session.execute(COUNT).scalar() == 2
    with use_scope(Scope.nothing()):
        assert db.session.execute(COUNT).scalar() == 0
    with system_scope("test: every row"):
        assert db.session.execute(COUNT).scalar() >= 4


def test_set_local_writes_only_ids_and_roles_into_the_statement():
    statements = rls.set_local_statements({"role": "kexie_federation", "t": "", "f": "3,17"})
    assert [s for s, _ in statements] == [
        "SET LOCAL ROLE kexie_federation",
        "SET LOCAL app.tenant_ids = ''",
        "SET LOCAL app.federation_ids = '3,17'",
    ]
    assert rls.set_local_statements({"role": "none", "t": "", "f": ""})[0][0] == (
        "SET LOCAL ROLE NONE"
    )
    with pytest.raises(ValueError):
        rls.set_local_statements({"role": "none", "t": "1'; RESET ALL; --", "f": ""})
    with pytest.raises(ValueError):
        rls.set_local_statements({"role": "x; RESET ALL", "t": "", "f": ""})


@on_postgres
def test_set_local_is_what_reaches_the_server(app, database_urls):
    """On the wire, through an engine configured as the service's is with RLS_SET_LOCAL:
    the role and the settings as SET LOCAL statements ride with the first statement, and no
    set_config."""
    app_url, owner_url = database_urls
    proxy = WireProxy(*_host_and_port(PG_URL))
    engine = sa.create_engine(proxy.url(app_url))
    roundtrips.configure(engine)
    rls.send_as_set_local(engine)
    one = sa.text("SELECT count(*) FROM association WHERE id = :a")
    try:
        with (
            _committed_associations(owner_url, "SETLOCAL", 1) as (association,),
            app.app_context(),
            _session_on_engine(engine) as session,
            proxy.count(),
        ):
            with use_scope(Scope.association(association)):
                assert session.execute(one, {"a": association}).scalar() == 1
            session.rollback()
            with use_scope(Scope.association(association + 1)):
                assert session.execute(one, {"a": association}).scalar() == 0
            session.rollback()
    finally:
        engine.dispose()
    assert f"SET LOCAL app.tenant_ids = '{association}'" in proxy.statements
    roles = [s for s in proxy.statements if s.startswith("SET LOCAL ROLE ")]
    assert roles and all(s.endswith("_association") for s in roles), roles
    assert not any("set_config" in s for s in proxy.statements)


# --- the migrated catalog against Citus's rules ------------------------------------------


@pytest.fixture
def catalog(app):
    with app.app_context(), db.engine.connect() as connection:
        return citus.read_catalog(connection)


@on_postgres
def test_the_migrated_schema_keeps_citus_rules(catalog):
    assert citus.violations(catalog) == []


@on_postgres
def test_the_check_finds_a_table_that_breaks_each_rule(database_urls):
    """Tables made for the check and rolled back: each rule, broken once, is reported."""
    _app_url, owner_url = database_urls
    owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        with owner.connect() as connection, connection.begin():
            connection.exec_driver_sql(
                "CREATE TABLE citus_probe ("
                " id bigserial PRIMARY KEY,"
                " tenant_id integer REFERENCES association (id),"  # NULL allowed, not bigint
                " code text CONSTRAINT citus_probe_code UNIQUE,"
                " member_id bigint,"
                " CONSTRAINT citus_probe_member FOREIGN KEY (member_id, tenant_id)"
                "  REFERENCES member (tenant_id, id))"  # the tenant matched with an id
            )
            connection.exec_driver_sql(
                "CREATE UNIQUE INDEX citus_probe_member_once ON citus_probe (member_id)"
            )
            connection.exec_driver_sql("CREATE TABLE citus_probe_unplaced (id bigint PRIMARY KEY)")
            connection.exec_driver_sql(
                "ALTER TABLE federation ADD COLUMN probe_member bigint, ADD COLUMN probe_tenant"
                " bigint, ADD CONSTRAINT federation_probe FOREIGN KEY (probe_tenant,"
                " probe_member) REFERENCES member (tenant_id, id)"
            )
            found = citus.violations(citus.read_catalog(connection))
            connection.rollback()
    finally:
        owner.dispose()
    assert sorted(found) == sorted(
        [
            "citus_probe: distribution column tenant_id may be NULL",
            "citus_probe: distribution column tenant_id is not bigint",
            "citus_probe: key citus_probe_pkey ['id'] lacks tenant_id",
            "citus_probe: key citus_probe_code ['code'] lacks tenant_id",
            "citus_probe: foreign key citus_probe_member to member is not co-located",
            "citus_probe: unique index citus_probe_member_once ['member_id'] lacks tenant_id",
            "citus_probe_unplaced: neither distributed, reference nor local",
            "federation: reference table's foreign key federation_probe to distributed member",
        ]
    )


@on_postgres
def test_the_plan_makes_reference_tables_before_the_tables_that_point_at_them(catalog):
    statements = citus.plan_sql(catalog)
    position = {s.split("'")[1]: i for i, s in enumerate(statements)}
    assert position["federation"] < position["association"] < position["user_account"]
    assert position["user_account"] < position["member"]
    assert "SELECT create_distributed_table('member', 'tenant_id', colocate_with =>" in " ".join(
        statements
    )
    # The tenants' audit log is distributed with their rows; the platform's stays local.
    joined = " ".join(statements)
    assert "SELECT create_distributed_table('audit_event', 'tenant_id', colocate_with =>" in joined
    assert "platform_audit_event" not in joined


@on_postgres
def test_no_tenant_table_may_hold_a_null_tenant(catalog):
    """Every table with a tenant_id is distributed by it, none with a NULL allowed: the
    audit log's events of no tenant live in a table without the column (migration 0031)."""
    with_tenant = {t for t, c in catalog.types if c == "tenant_id"}
    assert with_tenant <= citus.distributed_tables(catalog).keys()
    assert {(t, "tenant_id") for t in with_tenant} <= catalog.not_null
    assert "audit_event" in with_tenant
    assert ("platform_audit_event", "tenant_id") not in catalog.types
    assert "platform_audit_event" in citus.LOCAL_TABLES


def test_bulk_history_matches_members_on_the_distribution_column(world):
    """An import's members get their joinings in one INSERT … SELECT whose anti-join reads
    the history: Citus runs it only if the two tables are joined on tenant_id, and it must
    not lean on the scope to keep to one tenant (the scope's criteria do not reach a select
    inside an INSERT; the demo seeds in the system scope)."""
    from service.members import history

    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(" ".join(statement.split()))

    association = world.a.first.association.id
    with system_scope("test: the joinings of members inserted in bulk"):
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            history.record_untracked(association)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()
    anti_joins = [s for s in sent if "EXISTS (SELECT" in s and "FROM member_status_change" in s]
    assert len(anti_joins) == 2, sent  # the members who left, and the joinings
    for statement in anti_joins:
        assert "member_status_change.tenant_id = member.tenant_id" in statement, statement
