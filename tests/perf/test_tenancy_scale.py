"""Tenancy at scale, side by side in one run (issue 9, ratios 3 and 6):

- ratio 3: one association's GETs with 10 associations loaded against 3,000 loaded (the
  measured association has the same members in both);
- ratio 6: the same tenant query through the ORM criteria and row-level security, as the
  service runs most reads, against the bare SQL with its tenant filter run by a role that
  bypasses row-level security; and as a `TenantRead` (tenants/reads.py), as the API's
  hottest reads run.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import sqlalchemy as sa

from service import scale
from service.members.models import Member
from service.sorting import pinyin_order
from tenants import rls
from tenants.db import db
from tenants.reads import TenantRead
from tenants.scope import Scope, use_scope
from tests.perf.conftest import write_result
from tests.perf.scale_db import BENCH_SCALE, BENCH_SCALE_NAME, needs_postgres, scale_database
from tests.perf.timing import alternate

RUNS = int(os.environ.get("BENCH_RUNS", "300"))
BIG = scale.SCALES["nation"]
SMALL = scale.Scale(federations=1, associations=10, member_factor=1.23)


def _api_calls(db_: object) -> dict:
    client = db_.app.test_client()
    headers = {"Authorization": f"Bearer {db_.token}"}

    def one() -> None:
        response = client.get(f"/api/v1/members/{db_.member_id}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    def page() -> None:
        response = client.get("/api/v1/members/?page=7&page_size=50", headers=headers)
        assert response.status_code == 200 and len(response.json) == 50

    return {"one": one, "page": page}


def test_a_tenant_is_as_fast_among_3000_as_among_10():
    needs_postgres()
    with scale_database(SMALL) as small, scale_database(BIG) as big:
        s, b = _api_calls(small), _api_calls(big)
        figures = alternate(
            RUNS,
            one_10=lambda: _in(small, s["one"]),
            one_3000=lambda: _in(big, b["one"]),
            page_10=lambda: _in(small, s["page"]),
            page_3000=lambda: _in(big, b["page"]),
        )
        loaded = {"10": small.report.rows, "3000": big.report.rows}
    ratios = {
        kind: round(figures[f"{kind}_3000"]["p50_ms"] / figures[f"{kind}_10"]["p50_ms"], 2)
        for kind in ("one", "page")
    }
    write_result(
        "tenant_count",
        {"timings": figures, "ratios_p50": ratios, "loaded": loaded, "target_ratio": 1.2},
        "tenant count (one association of 2,000 members; token-authenticated API GETs, "
        f"p50 over {RUNS} alternating runs):\n"
        f"- one member: {figures['one_10']['p50_ms']} ms with 10 associations, "
        f"{figures['one_3000']['p50_ms']} ms with 3,000; ratio {ratios['one']} (target 1.2)\n"
        f"- 50-member page: {figures['page_10']['p50_ms']} ms with 10, "
        f"{figures['page_3000']['p50_ms']} ms with 3,000; ratio {ratios['page']} (target 1.2)",
    )


def _in(db_: object, call: object) -> None:
    with db_.app.app_context():
        call()


# The member list's page as the service reads it (`members_query`): members not erased, in
# pinyin order, which its index serves.
ORM_PAGE = (
    sa.select(Member.id, Member.name, Member.title)
    .where(Member.erased_at.is_(None))
    .order_by(pinyin_order(Member.name), Member.id)
)
SQL_PAGE = sa.text(
    "SELECT id, name, title FROM member WHERE tenant_id = :t AND erased_at IS NULL"
    " ORDER BY name COLLATE pinyin, id LIMIT 50 OFFSET 300"
)
MEMBERS = Member.__table__
# The same two reads as `TenantRead`s, the way the API reads its hottest pages
# (service/members/reads.py): built once, the scope's condition written in.
READ_PAGE = TenantRead(
    lambda owned: (
        sa.select(MEMBERS.c.id, MEMBERS.c.name, MEMBERS.c.title)
        .where(owned(MEMBERS), MEMBERS.c.erased_at.is_(None))
        .order_by(pinyin_order(MEMBERS.c.name), MEMBERS.c.id)
        .limit(50)
        .offset(300)
    )
)
READ_COUNTS = TenantRead(
    lambda owned: (
        sa.select(MEMBERS.c.title, sa.func.count()).where(owned(MEMBERS)).group_by(MEMBERS.c.title)
    )
)
# The association's role and id, as the service sets them for an association's transaction.
SET_TENANT = sa.text("SELECT set_config('role', :r, true), set_config('app.tenant_ids', :t, true)")
SQL_COUNTS = sa.text("SELECT title, count(*) FROM member WHERE tenant_id = :t GROUP BY title")


def test_isolation_costs_little_against_the_bare_tenant_query():
    needs_postgres()
    with scale_database(BENCH_SCALE) as province:
        tenant = province.association_id
        # The bare side pools its connections with the service's settings, so the ratio is
        # the cost of isolation, not of the pool's; each side commits, as a request that
        # succeeds does, which keeps what psycopg has prepared on the connection.
        pool = {"poolclass": sa.pool.QueuePool, **province.app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
        bare = sa.create_engine(province.superuser_url, **pool)

        def scoped() -> None:
            with province.app.app_context(), use_scope(Scope.association(tenant)):
                rows = db.session.execute(ORM_PAGE.limit(50).offset(300)).all()
                counts = db.session.execute(
                    sa.select(Member.title, sa.func.count()).group_by(Member.title)
                ).all()
                assert len(rows) == 50 and counts
                db.session.commit()  # as a request that succeeds ends

        def tenant_read() -> None:
            with province.app.app_context(), use_scope(Scope.association(tenant)):
                rows = READ_PAGE.rows(db.session)
                counts = READ_COUNTS.rows(db.session)
                assert len(rows) == 50 and counts
                db.session.commit()

        def unscoped() -> None:
            with bare.begin() as c:
                rows = c.execute(SQL_PAGE, {"t": tenant}).all()
                counts = c.execute(SQL_COUNTS, {"t": tenant}).all()
                assert len(rows) == 50 and counts

        app_role = sa.create_engine(province.app_url, **pool)
        setting = {
            "r": rls.scope_roles(app_role.url.database)[rls.ASSOCIATION_ROLE],
            "t": str(tenant),
        }

        def rls_only() -> None:  # the bare SQL as the app role: what RLS alone adds
            with app_role.begin() as c:
                c.execute(SET_TENANT, setting)
                rows = c.execute(SQL_PAGE, {"t": tenant}).all()
                counts = c.execute(SQL_COUNTS, {"t": tenant}).all()
                assert len(rows) == 50 and counts

        # The database's own share: the two statements alone, on a connection whose open
        # transaction holds the tenant's settings already, against the same on one that
        # bypasses RLS (both prepared by psycopg after their fifth run, as in the service).
        with app_role.connect() as held_app, bare.connect() as held_bare:
            held_app.execute(SET_TENANT, setting)

            def statements(connection: sa.Connection) -> Callable[[], None]:
                def run() -> None:
                    rows = connection.execute(SQL_PAGE, {"t": tenant}).all()
                    assert len(rows) == 50 and connection.execute(SQL_COUNTS, {"t": tenant}).all()

                return run

            figures = alternate(
                RUNS,
                scoped=scoped,
                tenant_read=tenant_read,
                rls_only=rls_only,
                unscoped=unscoped,
                statements_rls=statements(held_app),
                statements_bare=statements(held_bare),
            )
        bare.dispose()
        app_role.dispose()
    ratio = round(figures["scoped"]["p50_ms"] / figures["unscoped"]["p50_ms"], 2)
    rls_ratio = round(figures["rls_only"]["p50_ms"] / figures["unscoped"]["p50_ms"], 2)
    read_ratio = round(figures["tenant_read"]["p50_ms"] / figures["unscoped"]["p50_ms"], 2)
    statements_ratio = round(
        figures["statements_rls"]["p50_ms"] / figures["statements_bare"]["p50_ms"], 2
    )
    write_result(
        "isolation_overhead",
        {
            "timings": figures,
            "ratio_p50": ratio,
            "rls_only_ratio_p50": rls_ratio,
            "tenant_read_ratio_p50": read_ratio,
            "rls_statements_ratio_p50": statements_ratio,
            "target_ratio": 1.3,
        },
        f"isolation overhead ({BENCH_SCALE_NAME} scale; a 50-member page and a count by title "
        f"for one association, p50 over {RUNS} alternating runs): ORM criteria + RLS as the app "
        f"role "
        f"{figures['scoped']['p50_ms']} ms, bare SQL as a role that bypasses RLS "
        f"{figures['unscoped']['p50_ms']} ms; ratio {ratio} (target 1.3). The same bare SQL as "
        f"the app role with RLS on: {figures['rls_only']['p50_ms']} ms, ratio {rls_ratio}. "
        f"The same reads as TenantReads (the scope's condition built in, as the API's member "
        f"reads) + RLS: {figures['tenant_read']['p50_ms']} ms, ratio {read_ratio}. "
        f"The two statements alone in a transaction that holds the settings already (the "
        f"database's own share of RLS: the policy planned and checked on every row read): "
        f"{figures['statements_rls']['p50_ms']} ms with RLS, "
        f"{figures['statements_bare']['p50_ms']} ms bypassing it, ratio {statements_ratio}.",
    )
