"""Dashboards and annual reports against the database, side by side in one run (issue 9,
ratios 2 and 4).

The "raw SQL" side is the service's own SQL, captured once as the service runs it and then
replayed as plain statements on one connection of a role that bypasses row-level security:
the floor the database sets for the same work, with no ORM, scope, token or JSON on top.

- ratio 2: the federation overview and the category view over the API (they read the
  rollups) against the live aggregate over the base tables that the rollups replace (every
  dashboard metric for the federation's associations, or for one category's), and against
  the rollup read alone;
- ratio 4: compiling one association's annual report (the RQ job's function) and every
  association's report of the province one after another, against the SELECTs that compute
  the same indicators; the federation's roll-up against its SELECTs, and against them with
  its writes (both sides rolled back).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event

from service.associations.models import AssociationProfile
from service.federation import jobs as federation_jobs
from service.federation import metrics, rollups
from service.reporting import jobs as reporting_jobs
from service.reporting import services as reporting
from service.reporting.models import AnnualReport
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope
from tests.perf.conftest import write_result
from tests.perf.scale_db import (
    BENCH_SCALE,
    BENCH_SCALE_NAME,
    ScaleDb,
    needs_postgres,
    scale_database,
    service_app,
)
from tests.perf.timing import alternate, summary

DASHBOARD_RUNS = int(os.environ.get("BENCH_DASHBOARD_RUNS", "40"))
COMPILE_RUNS = int(os.environ.get("BENCH_COMPILE_RUNS", "20"))
PROVINCE_COMPILE_RUNS = int(os.environ.get("BENCH_PROVINCE_COMPILE_RUNS", "3"))

Statements = list[tuple[str, object]]


@contextlib.contextmanager
def captured_selects(engine: sa.Engine, writes: bool = False) -> Iterator[Statements]:
    """The SELECTs sent on `engine` inside the block, with their parameters (the scope's
    set_config calls are not part of the work); with `writes`, its INSERTs and UPDATEs too."""
    statements: Statements = []
    kinds = ("SELECT", "WITH", "INSERT", "UPDATE") if writes else ("SELECT", "WITH")

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        text = statement.lstrip().upper()
        if text.startswith(kinds) and "SET_CONFIG(" not in text:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def replay(connection: sa.Connection, statements: Statements) -> None:
    for statement, parameters in statements:
        connection.exec_driver_sql(statement, parameters).all()


def replay_rolled_back(connection: sa.Connection, statements: Statements) -> None:
    """Every statement, writes too, in a transaction rolled back, as the roll-up's
    measured side rolls back its own."""
    transaction = connection.begin()
    for statement, parameters in statements:
        result = connection.exec_driver_sql(statement, parameters)
        if result.returns_rows:
            result.all()
    transaction.rollback()


def _federation(province: ScaleDb) -> tuple[list[int], str, list[int]]:
    """The federation's association ids, the measured association's category, and the ids
    of that category."""
    with service_app(province.superuser_url).app_context(), system_scope("benchmark"):
        ids = list(
            db.session.scalars(
                sa.select(Association.id)
                .where(Association.federation_id == province.federation_id)
                .order_by(Association.id)
            )
        )
        categories = dict(
            db.session.execute(
                sa.select(AssociationProfile.tenant_id, AssociationProfile.category).where(
                    AssociationProfile.tenant_id.in_(ids)
                )
            ).all()
        )
        db.engine.dispose()
    code = categories[province.association_id]
    return ids, code, [a for a in ids if categories[a] == code]


def _nightly_rollups(province: ScaleDb) -> float:
    with service_app(province.superuser_url).app_context():
        started = time.perf_counter()
        federation_jobs.refresh_all(years=2)
        seconds = time.perf_counter() - started
        # What autovacuum does soon after in production: without statistics on the freshly
        # filled table the planner loops over it once per association.
        with db.engine.begin() as c:
            c.exec_driver_sql("ANALYZE metric_rollup")
        db.engine.dispose()
    return seconds


def test_dashboards_cost_a_fraction_of_the_aggregate_they_replace():
    needs_postgres()
    with scale_database(BENCH_SCALE) as province:
        nightly = _nightly_rollups(province)
        ids, code, peers = _federation(province)
        year = date.today().year
        app = province.app
        with app.app_context(), use_scope(Scope.federation(province.federation_id)):
            with captured_selects(db.engine) as live:
                metrics.compute_all(ids, year)
            with captured_selects(db.engine) as live_category:
                metrics.compute_all(peers, year)
            with captured_selects(db.engine) as rollup_read:
                rollups.read(ids, year)
            db.session.rollback()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {province.federation_token}"}

        def get(path: str) -> Callable[[], None]:
            def call() -> None:
                with app.app_context():
                    response = client.get(path, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)

            return call

        bare = sa.create_engine(province.superuser_url, poolclass=sa.pool.NullPool)
        with bare.connect() as raw:
            figures = alternate(
                DASHBOARD_RUNS,
                overview=get("/api/v1/federation/overview"),
                category=get(f"/api/v1/federation/categories/{code}"),
                live_aggregate=lambda: replay(raw, live),
                live_category_aggregate=lambda: replay(raw, live_category),
                rollup_read=lambda: replay(raw, rollup_read),
            )
        bare.dispose()
    p50 = {name: f["p50_ms"] for name, f in figures.items()}
    ratios = {
        "overview": round(p50["overview"] / p50["live_aggregate"], 3),
        "category": round(p50["category"] / p50["live_category_aggregate"], 3),
        "overview_vs_rollup_read": round(p50["overview"] / p50["rollup_read"], 2),
    }
    write_result(
        "dashboards",
        {
            "timings": figures,
            "ratios_p50": ratios,
            "target_ratio": 0.2,
            "associations": len(ids),
            "category": {"code": code, "associations": len(peers)},
            "nightly_rollup_seconds": round(nightly, 1),
        },
        f"dashboards ({BENCH_SCALE_NAME} scale, a federation of {len(ids)} associations; "
        f"p50 over {DASHBOARD_RUNS} alternating runs; "
        "the aggregate is the service's own live SQL over the base tables, replayed raw):\n"
        f"- overview API {p50['overview']} ms, live aggregate {p50['live_aggregate']} ms; "
        f"ratio {ratios['overview']} (target 0.2 or less)\n"
        f"- category view API ({code}, {len(peers)} associations) {p50['category']} ms, "
        f"live aggregate {p50['live_category_aggregate']} ms; ratio {ratios['category']} "
        "(target 0.2 or less)\n"
        f"- the rollup read alone {p50['rollup_read']} ms (overview / rollup read "
        f"{ratios['overview_vs_rollup_read']})\n"
        f"- the nightly refresh of every rollup, two years: {nightly:.1f} s",
    )


# --- ratio 4: annual reports -----------------------------------------------------------


def _open_reports(province: ScaleDb, ids: list[int], year: int) -> dict[int, int]:
    """A reporting period for `year` and a report marked compiling for each association:
    association id -> report id."""
    with service_app(province.superuser_url).app_context(), system_scope("benchmark"):
        period = reporting.open_period(province.federation_id, year, date(year + 1, 3, 31), "b")
        reports = {a: reporting.start_compile(a, period).id for a in ids}
        db.session.commit()
        db.engine.dispose()
    return reports


def _compile(app, association_id: int, report_id: int) -> None:
    """What the worker does: the job's function in the association's scope, then the job's
    one commit (`service.jobs.run_job`: the figures are written when the job returns)."""
    with app.app_context(), use_scope(Scope.association(association_id)):
        assert reporting_jobs.compile_report(report_id) == "compiled"
        db.session.commit()


def _mark_compiling(connection: sa.Connection, report_ids: list[int]) -> None:
    table = AnnualReport.__table__
    connection.execute(table.update().where(table.c.id.in_(report_ids)).values(status="compiling"))
    connection.commit()


def test_a_report_compiles_near_the_cost_of_its_sql():
    needs_postgres()
    with scale_database(BENCH_SCALE) as province:
        ids, _code, _peers = _federation(province)
        year = date.today().year - 1  # last year's report: a whole year of records
        reports = _open_reports(province, ids, year)
        app, mine = province.app, province.association_id
        with app.app_context():
            engine = db.engine
        with captured_selects(engine) as one_sql:
            _compile(app, mine, reports[mine])
        bare = sa.create_engine(province.superuser_url, poolclass=sa.pool.NullPool)
        with bare.connect() as writer, bare.connect() as raw, bare.connect() as raw_writes:
            _mark_compiling(writer, list(reports.values()))
            with captured_selects(engine) as all_sql:
                for association_id, report_id in reports.items():
                    _compile(app, association_id, report_id)
            one = _alternate_compiles(
                COMPILE_RUNS,
                prepare=lambda: _mark_compiling(writer, [reports[mine]]),
                compile_=lambda: _compile(app, mine, reports[mine]),
                raw=lambda: replay(raw, one_sql),
            )
            every = _alternate_compiles(
                PROVINCE_COMPILE_RUNS,
                prepare=lambda: _mark_compiling(writer, list(reports.values())),
                compile_=lambda: [_compile(app, a, r) for a, r in reports.items()],
                raw=lambda: replay(raw, all_sql),
            )
            _approve(writer, list(reports.values()))
            fed = province.federation_id
            with captured_selects(engine) as rollup_sql:
                _compile_rollup(app, fed, year)
            with captured_selects(engine, writes=True) as rollup_all_sql:
                _compile_rollup(app, fed, year)
            rollup = alternate(
                COMPILE_RUNS,
                compile=lambda: _compile_rollup(app, fed, year),
                raw=lambda: replay(raw, rollup_sql),
                raw_with_writes=lambda: replay_rolled_back(raw_writes, rollup_all_sql),
            )
        bare.dispose()
    ratios = {
        "one": round(one["compile"]["p50_ms"] / one["raw"]["p50_ms"], 2),
        "province": round(every["compile"]["p50_ms"] / every["raw"]["p50_ms"], 2),
        "rollup": round(rollup["compile"]["p50_ms"] / rollup["raw"]["p50_ms"], 2),
        "rollup_with_writes": round(
            rollup["compile"]["p50_ms"] / rollup["raw_with_writes"]["p50_ms"], 2
        ),
    }
    write_result(
        "report_compile",
        {
            "one": one,
            "province": every,
            "rollup": rollup,
            "ratios_p50": ratios,
            "associations": len(ids),
        },
        f"annual report compile ({BENCH_SCALE_NAME} scale, {year}; the job's function against "
        "its own SELECTs replayed raw):\n"
        f"- one association: {one['compile']['p50_ms']} ms, raw SQL {one['raw']['p50_ms']} ms; "
        f"ratio {ratios['one']} (p50 over {COMPILE_RUNS} alternating runs)\n"
        f"- every association of the federation ({len(ids)}, one job after another): "
        f"{every['compile']['p50_ms'] / 1000:.2f} s, "
        f"raw SQL {every['raw']['p50_ms'] / 1000:.2f} s; "
        f"ratio {ratios['province']} (p50 over {PROVINCE_COMPILE_RUNS} runs)\n"
        f"- the federation's roll-up of the {len(ids)} approved reports: "
        f"{rollup['compile']['p50_ms']} ms, raw SQL {rollup['raw']['p50_ms']} ms; "
        f"ratio {ratios['rollup']} (p50 over {COMPILE_RUNS} alternating runs); against its "
        f"SELECTs and its writes (the roll-up's INSERT and its audit row), replayed in a "
        f"transaction rolled back as the roll-up's is: {rollup['raw_with_writes']['p50_ms']} ms, "
        f"ratio {ratios['rollup_with_writes']}",
    )


def _approve(connection: sa.Connection, report_ids: list[int]) -> None:
    """Approve and lock as the federation would (the snapshot hash is the figures' hash)."""
    table = AnnualReport.__table__
    connection.execute(
        table.update()
        .where(table.c.id.in_(report_ids))
        .values(status="approved", locked_hash=table.c.figures_hash)
    )
    connection.commit()


def _compile_rollup(app, federation_id: int, year: int) -> None:
    """The roll-up as the federation's job computes it; rolled back, to repeat it."""
    with app.app_context(), use_scope(Scope.federation(federation_id)):
        rollup = reporting.compile_rollup(federation_id, year)
        assert not rollup.missing
        db.session.rollback()


def _alternate_compiles(
    runs: int, prepare: Callable[[], None], compile_: Callable[[], object], raw: Callable[[], None]
) -> dict[str, dict[str, float]]:
    """Like `alternate`, with the reports set back to compiling (untimed) before each
    compile: a compiled report is not compiled again."""
    samples: dict[str, list[float]] = {"compile": [], "raw": []}
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        compile_()
        samples["compile"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        raw()
        samples["raw"].append((time.perf_counter() - started) * 1000)
    return {name: summary(values) for name, values in samples.items()}
