"""What the statistics cost the database, as behaviour rather than timing: a report's compile
sends one statement per table family (issue 21, item 3), and the federation's category view
is one read of the views stored beside the rollups, equal to what the live aggregate gives
(item 4)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from service.federation import dashboards, jobs, metrics, rollups
from service.federation.models import CategoryRollup
from service.reporting import indicators
from service.reporting import jobs as reporting_jobs
from service.reporting import services as reporting
from service.reporting.models import AnnualReport
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.service.reporting_fixtures import EXPECTED_FIRST, YEAR, add_other_work, add_records

# A compile: the report with its period, then governance, membership, the association's work
# and suggestions (one statement each), then the figures written (the report's UPDATE and
# the audit row recording the write): 7 statements, where there were 20.
COMPILE_SELECTS = 5
COMPILE_STATEMENTS = 7


# The test harness's savepoints around each test's session (not the service's work).
HARNESS = {"SAVEPOINT", "RELEASE", "ROLLBACK"}


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The statements the service sends inside the block, by verb (the scope's set_config
    aside: it rides with the transaction, not with the work)."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if "set_config(" not in statement.lower() and verb not in HARNESS:
            sent.append(verb)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.fixture
def counted(world):
    with system_scope("test: records of the year"):
        add_records(world.a.first.association)
        add_other_work(world.a.second.association)
        db.session.commit()
    return world


def test_a_compile_sends_one_statement_per_table_family(counted):
    world = counted
    aid = world.a.first.association.id
    with system_scope("test: a period"):
        period = reporting.open_period(world.a.federation.id, YEAR, date(YEAR + 1, 3, 31), "t")
        report_id = reporting.start_compile(aid, period).id
        db.session.commit()
    with use_scope(Scope.association(aid)), statements() as sent:
        assert reporting_jobs.compile_report(report_id) == "compiled"
    db.session.commit()
    assert sent.count("SELECT") == COMPILE_SELECTS, sent
    assert len(sent) == COMPILE_STATEMENTS, [v for v in sent if v != "SELECT"]
    with use_scope(Scope.association(aid)):
        assert reporting.access_report(report_id).figures == EXPECTED_FIRST


def test_the_figures_of_a_province_cost_the_same_statements_as_one_association(counted):
    world = counted
    ids = [world.a.first.association.id, world.a.second.association.id]
    with use_scope(Scope.federation(world.a.federation.id)):
        with statements() as one:
            indicators.compute(ids[:1], YEAR)
        with statements() as both:
            figures = indicators.compute(ids, YEAR)
    assert len(one) == len(both) == 4  # governance, membership, work, suggestions
    assert figures[ids[0]] == EXPECTED_FIRST


def _live_view(federation_id: int, code: str, year: int) -> dict:
    """The category view computed from the live aggregate over the base tables, without
    the rollups: what the stored view must equal."""
    everyone = dashboards.table(federation_id, year)
    live = metrics.compute_all([r.association_id for r in everyone], year)
    rows = [
        dashboards.Row(
            r.association_id,
            r.name,
            r.category,
            r.category_label,
            r.status,
            r.compliance,
            live[r.association_id],
            0.0,
        )
        for r in everyone
    ]
    scores = dashboards.health_scores(
        {r.association_id: r.metrics for r in rows}, dashboards.weights(federation_id)
    )
    peers = [
        dashboards.Row(**{**r.__dict__, "health": scores[r.association_id]})
        for r in rows
        if r.category == code
    ]
    peers.sort(key=lambda r: dashboards.pinyin_key(r.name))
    return dashboards._labelled(federation_id, code, year, dashboards._category_payload(peers))


def test_the_category_view_is_one_read_of_the_stored_views_and_equals_the_live_one(counted):
    world = counted
    fed = world.a.federation.id
    year = date.today().year
    with system_scope("test: a third association, in the same category"):
        extra = factories.make_association(world.a.federation)
        factories.make_member(extra)
        db.session.commit()
    jobs.refresh_all()
    db.session.commit()
    with use_scope(Scope.federation(fed)):
        stored = db.session.scalars(
            sa.select(CategoryRollup.category).where(CategoryRollup.year == year)
        ).all()
        assert "research" in stored
        dashboards.categories.labels(fed)  # the request's cached taxonomy, as the API has it
        with statements() as sent:
            view = dashboards.category_view(fed, "research", year)
        assert sent == ["SELECT"]
        assert view == _live_view(fed, "research", year)
        assert len(view["associations"]) == 2


def test_a_refreshed_association_refreshes_its_category_view(counted):
    world = counted
    fed, aid = world.a.federation.id, world.a.first.association.id
    year = date.today().year
    jobs.refresh_all()
    db.session.commit()
    with system_scope("test: one more member"):
        factories.make_member(world.a.first.association)
        db.session.commit()
    with use_scope(Scope.association(aid)):
        jobs.refresh_association(aid)
    db.session.commit()
    with use_scope(Scope.federation(fed)):
        view = dashboards.category_view(fed, "research", year)
        assert view == _live_view(fed, "research", year)
        mine = next(a for a in view["associations"] if a["association_id"] == aid)
        assert (
            mine["metrics"]["members_individual"]
            == rollups.read([aid], year)[aid]["members_individual"]
        )


def test_changed_weights_change_the_stored_health(counted, client):
    world = counted
    fed = world.a.federation.id
    year = date.today().year
    jobs.refresh_all()
    db.session.commit()
    with use_scope(Scope.federation(fed)):
        dashboards.set_weights(fed, {m.code: 0 for m in dashboards.SCORED})
        db.session.commit()
        view = dashboards.category_view(fed, "research", year)
        assert {a["health"] for a in view["associations"]} == {0.0}
        assert view == _live_view(fed, "research", year)


def _fold(reports: list[dict]) -> dict:
    """The roll-up as it was first defined: `indicators.add` folded over the reports, code by
    code, a code a report lacks counting 0 there."""
    out = {}
    for code in indicators.CODES:
        values = [figures.get(code, 0) for figures in reports]
        total = values[0] if values else 0
        for value in values[1:]:
            total = indicators.add(total, value)
        out[code] = total if total == indicators.NOT_APPLICABLE else int(total)
    return out


def test_the_roll_up_sums_as_the_figures_fold_one_by_one():
    """The one-pass sum equals the fold of `indicators.add` over the reports, with "-",
    zeros, codes a report lacks and codes it should not have."""
    rng = random.Random(21)
    codes = list(indicators.CODES)
    for n in (0, 1, 2, 5, 40):
        reports = []
        for _ in range(n):
            values = [0, 3, 17, 250, "-", "-"]
            figures = {c: rng.choice(values) for c in codes if rng.random() > 0.1}
            figures["NOT_A_CODE"] = 5
            reports.append(figures)
        # Some codes are "-" in every report, some in every report but one.
        for figures in reports:
            figures["ORG04"] = indicators.NOT_APPLICABLE
            figures["ORG06"] = indicators.NOT_APPLICABLE
        if reports:
            reports[0]["ORG06"] = 9
        total = indicators.total(reports)
        assert total == _fold(reports), n
        assert list(total) == codes
        if reports:
            assert total["ORG04"] == "-" and total["ORG06"] == 9


def test_a_roll_up_reads_first_and_writes_once(counted):
    """Three reads (the latest roll-up, the approved reports, the associations), then the new
    roll-up version written whole with its audit row; its figures are the sum of the reports."""
    world = counted
    fed = world.a.federation.id
    ids = [world.a.first.association.id, world.a.second.association.id]
    with system_scope("test: two approved reports"):
        period = reporting.open_period(fed, YEAR, date(YEAR + 1, 3, 31), "t")
        reports = [reporting.start_compile(aid, period).id for aid in ids]
        db.session.commit()
    for aid, report_id in zip(ids, reports, strict=True):
        with use_scope(Scope.association(aid)):
            assert reporting_jobs.compile_report(report_id) == "compiled"
        db.session.commit()
    with system_scope("test: approve"):
        figures = []
        for report_id in reports:
            report = reporting.access_report(report_id)
            report.status = "submitted"
            reporting.approve(report, "t")
            figures.append(dict(report.figures))
        db.session.commit()
    with use_scope(Scope.federation(fed)), statements() as sent:
        rollup = reporting.compile_rollup(fed, YEAR)
    assert sent == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT"], sent
    assert rollup.figures == _fold(figures)
    assert rollup.figures["ORG01"] == 2
    assert [i["association_id"] for i in rollup.included] == sorted(ids)
    db.session.rollback()


def test_the_roll_up_sums_the_latest_approved_version_of_each_report(world):
    """The roll-up's figures, over the latest approved version of each association's report,
    equal the fold over those reports: "-" in every report, "-" in all
    but one, codes a report lacks, keys that are no code; an earlier approved version and
    a report not approved do not count."""
    fed = world.a.federation.id
    first, second = world.a.first.association.id, world.a.second.association.id
    rng = random.Random(7)
    codes = list(indicators.CODES)

    def figures() -> dict:
        chosen = {c: rng.choice([0, 3, 17, 250, "-"]) for c in codes if rng.random() > 0.2}
        return chosen | {"ORG04": "-", "ORG06": "-", "NOT_A_CODE": 5}

    counted = [figures(), figures() | {"ORG06": 9}]
    with system_scope("test: reports of every kind"):
        period = reporting.open_period(fed, YEAR, date(YEAR + 1, 3, 31), "t")
        rows = [
            (first, 1, "approved", figures()),  # an earlier version: replaced by version 2
            (first, 2, "approved", counted[0]),
            (second, 1, "approved", counted[1]),
            (second, 2, "submitted", figures()),  # not approved: version 1 counts
        ]
        for tenant_id, version, status, values in rows:
            db.session.add(
                AnnualReport(
                    tenant_id=tenant_id,
                    period_id=period.id,
                    version=version,
                    status=status,
                    figures=values,
                    locked_hash="h" if status == "approved" else None,
                )
            )
        db.session.commit()
    with use_scope(Scope.federation(fed)):
        rollup = reporting.compile_rollup(fed, YEAR)
        assert rollup.figures == _fold(counted)
        assert rollup.figures["ORG04"] == "-" and rollup.figures["ORG06"] == 9
        assert [(i["association_id"], i["report_version"]) for i in rollup.included] == [
            (first, 2),
            (second, 1),
        ]
    db.session.rollback()
