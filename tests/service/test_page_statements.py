"""What the heaviest pages of the navigation cost the database, in statements per request
(issue 21, item 5): an association's home page, its governance overview and the activity
figures. Statement counts are behaviour (timings are not asserted anywhere): each bound is
what the page sends now, which is about half or less of what it sent before (home 26–30 on
the demo, governance 27, figures 22). The figures the pages show are checked as well, so a
cheaper page is not an emptier one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from service.activities import aggregates, statistics
from service.activities.models import COUNTED_STATUSES, Activity
from service.associations import services as associations
from service.auth.roles import Role
from service.governance import compliance
from service.governance import services as governance
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.factories.activities import make_activity

# The test harness's savepoints around each request's session, and the scope's settings
# that ride with a transaction (not the page's work).
HARNESS = {"SAVEPOINT", "RELEASE", "ROLLBACK"}

HOME_AT_MOST = 20  # was 30 on the test world: the compliance facts were gathered twice
GOVERNANCE_AT_MOST = 15  # was 28: the findings read again what the page had read
FIGURES_AT_MOST = 6  # was 23: eleven aggregates for each of two years
# Reading an association's compliance: its records in three statements however many year
# ends the rules look at, then the province's thresholds and the stored findings.
EVALUATE_STATEMENTS = 5


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if "set_config(" not in statement.lower() and verb not in HARNESS:
            sent.append(" ".join(statement.split())[:120])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _get(client, path: str) -> tuple[str, list[str]]:
    client.get(path)  # the first request of a worker warms its caches (categories, labels)
    with statements() as sent:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), sent


def test_an_associations_home_page_gathers_its_compliance_facts_once(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    page, sent = _get(client, "/")
    assert tenant.association.name in page or "待办" in page or "To do" in page
    assert len(sent) <= HOME_AT_MOST, "\n".join(sent)
    # The governance records are read once, not once per day the rules look at.
    assert sum(s.startswith("SELECT officer.") for s in sent) == 1, "\n".join(sent)


def test_the_governance_overview_reads_each_record_once_for_its_findings(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    page, sent = _get(client, f"/governance/{tenant.association.id}")
    with use_scope(Scope.association(tenant.association.id)):
        findings = compliance.evaluate(tenant.association.id, date.today())
    for finding in findings:
        assert finding.label in page
    assert len(sent) <= GOVERNANCE_AT_MOST, "\n".join(sent)


def test_compliance_reads_the_records_once_whatever_the_years_it_checks(world):
    aid = world.a.first.association.id
    with use_scope(Scope.association(aid)), statements() as sent:
        findings = compliance.evaluate(aid, date.today())
    # The current year and the one before (the association existed then): two year ends.
    assert {f.period for f in findings if f.rule == "committee_meets"} >= {
        str(date.today().year - 1),
        str(date.today().year),
    }
    assert len(sent) == EVALUATE_STATEMENTS, "\n".join(sent)


def test_the_records_read_once_give_the_facts_each_day_gathered_alone(world):
    """The facts of an earlier day, taken from records read up to today, are those read
    up to that day: the congresses, meetings, committee in office and officers of then."""
    aid = world.a.first.association.id
    today = date.today()
    with use_scope(Scope.association(aid)):
        records = compliance.records_until(aid, today)
        for day in (today, date(today.year - 1, 12, 31), date(2024, 4, 19), date(2024, 4, 20)):
            alone = compliance.gather(aid, day)
            taken = compliance.facts_on(records, day)
            assert taken == alone, day
        assert records.congress_dates and records.officers  # the world has governance
        # The overview's records give the rules the same records.
        association = associations.access_association(aid)
        shown = compliance.records_from(association, governance.record_of(aid), today)
        assert shown == records


@pytest.fixture
def worked(world):
    """Last year's and this year's activities for the first association."""
    this_year = date.today().year
    with system_scope("test: two years of work"):
        for year, participants in ((this_year, 40), (this_year - 1, 25)):
            make_activity(
                world.a.first.association,
                task="academic",
                status="held",
                starts_on=date(year, 5, 10),
                ends_on=date(year, 5, 10),
                participants=participants,
            )
        db.session.commit()
    return world


def test_the_figures_page_reads_both_years_at_once(worked, client):
    tenant = worked.a.first
    aid = tenant.association.id
    year = date.today().year
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    page, sent = _get(client, f"/activities/figures?year={year}")
    assert len(sent) <= FIGURES_AT_MOST, "\n".join(sent)
    with use_scope(Scope.association(aid)):
        expected = {y: aggregates.all_figures([aid], y)[aid] for y in (year, year - 1)}
        counted = db.session.scalar(
            sa.select(sa.func.sum(Activity.participants)).where(
                Activity.task == "academic",
                Activity.status.in_(COUNTED_STATUSES),
                Activity.starts_on.between(date(year, 1, 1), date(year, 12, 31)),
            )
        )
    assert expected[year]["academic_participants"] == counted
    assert expected[year] != expected[year - 1]
    for figures in expected.values():
        assert f">{figures['academic_participants']}<" in page


def test_every_figure_of_several_years_at_once_equals_each_aggregate_alone(worked):
    """The statement of several years gives, year by year and figure by figure, what the
    aggregates give one query at a time (for the federation's associations, the suggestions
    included)."""
    fed = worked.a.federation.id
    ids = [worked.a.first.association.id, worked.a.second.association.id]
    year = date.today().year
    years = (year, year - 1, year - 2)
    with use_scope(Scope.federation(fed)):
        together = statistics.all_figures(ids, years)
        for y in years:
            alone = aggregates.all_figures(ids, y)
            assert together[y] == alone, y
            assert list(together[y]) == list(alone)
        assert any(any(f.values()) for f in together[year].values())
