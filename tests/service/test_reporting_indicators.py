"""Every indicator against a figure counted by hand on a small fixture."""

from __future__ import annotations

import pytest

from service.reporting import indicators
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.service.reporting_fixtures import (
    EXPECTED_FIRST,
    EXPECTED_SECOND,
    YEAR,
    add_other_work,
    add_records,
)


@pytest.fixture
def counted(world):
    with system_scope("test: 2026 records"):
        add_records(world.a.first.association)
        add_other_work(world.a.second.association)
        bare = factories.make_association(world.a.federation).id
        db.session.commit()
    return world, bare


def test_every_indicator_matches_the_hand_count(counted):
    world, _bare = counted
    first, second = world.a.first.association.id, world.a.second.association.id
    with use_scope(Scope.federation(world.a.federation.id)):
        figures = indicators.compute([first, second], YEAR)
    assert set(EXPECTED_FIRST) == {i.code for i in indicators.CATALOGUE}
    assert figures[first] == EXPECTED_FIRST
    assert figures[second] == EXPECTED_SECOND


def test_bodies_an_association_does_not_have_are_not_applicable(counted):
    _world, bare = counted
    with use_scope(Scope.association(bare)):
        figures = indicators.compute([bare], YEAR)[bare]
    assert figures["ORG04"] == figures["ORG05"] == figures["ORG06"] == "-"
    assert figures["ORG02"] == 0  # empty is 0, not blank
    assert {i.code for i in indicators.CATALOGUE if i.may_be_not_applicable} == {
        "ORG04",
        "ORG05",
        "ORG06",
    }


def test_an_association_scope_computes_nothing_of_another(counted):
    world, _bare = counted
    first, other = world.a.first.association.id, world.b.first.association.id
    with use_scope(Scope.association(first)):
        figures = indicators.compute([first, other], YEAR)
    assert figures[other]["ORG02"] == 0 and figures[other]["ORG01"] == 0


def test_totals_skip_not_applicable_and_moves_are_flagged():
    assert indicators.total([{"ORG04": "-"}, {"ORG04": 80}])["ORG04"] == 80
    assert indicators.total([{"ORG04": "-"}, {"ORG04": "-"}])["ORG04"] == "-"
    assert indicators.moved_a_lot(14, 10) and not indicators.moved_a_lot(13, 10)
    assert not indicators.moved_a_lot("-", 10) and not indicators.moved_a_lot(5, None)


def test_every_indicator_feeds_a_known_national_table():
    codes = {t.code for t in indicators.TABLES}
    for indicator in indicators.CATALOGUE:
        assert indicator.tables and set(indicator.tables) <= codes
        assert indicator.name_zh and indicator.name_en and indicator.unit


# Every indicator beyond organisation, as issue 7 lists them, with its family.
ACTIVITY_CODES = {
    "academic": {"ACA01", "ACA011", "ACA012", "ACA02", "ACA03"},
    "consulting": {"ACA04", "ACA05"},
    "tech_transfer": {"ACA06", "ACA07"},
    "popularisation": {"POP01", "POP011", "POP012", "POP02", "POP03", "POP04", "POP05", "POP06"},
    "nominations": {"TAL01", "TAL02"},
    "exemplars": {"TAL03"},
    "talent": {"TAL04"},
    "integrity": {"INT01", "INT02", "INT021", "INT022", "INT023"},
    "student_practice": {"STU01", "STU02", "STU03", "STU04"},
    "suggestions": {"SRV01", "SRV02", "SRV03"},
}


def test_each_activity_family_computes_exactly_its_indicators(counted):
    world, _bare = counted
    first = world.a.first.association.id
    with use_scope(Scope.association(first)):
        for family, codes in ACTIVITY_CODES.items():
            assert set(indicators.FAMILIES[family]([first], YEAR)[first]) == codes
            assert {i.code for i in indicators.CATALOGUE if i.family == family} == codes


def test_activity_indicators_feed_their_national_tables():
    tables = {i.code: set(i.tables) for i in indicators.CATALOGUE}
    academic = ACTIVITY_CODES["academic"] | ACTIVITY_CODES["consulting"]
    for code in academic | ACTIVITY_CODES["tech_transfer"]:
        assert tables[code] == {"CAST-ACAD", "MOE-EXCH"}
    for code in ACTIVITY_CODES["popularisation"]:
        assert tables[code] == {"CAST-POP", "MOST-POP"}
    for code in ACTIVITY_CODES["student_practice"]:
        assert "CAST-YOUTH" in tables[code]
    assert tables["STU03"] == {"CAST-YOUTH", "MOST-POP"}
    for family in ("nominations", "exemplars", "talent", "integrity", "suggestions"):
        for code in ACTIVITY_CODES[family]:
            assert tables[code] == {"CAST-SERV"}
    assert indicators.BY_CODE["ACA07"].unit == "万元" and "万元" in (
        indicators.BY_CODE["ACA07"].definition
    )


def test_transfer_value_is_rounded_half_up_to_whole_wan_yuan():
    assert [indicators._wan_yuan(v) for v in (0, 4_999, 5_000, 1_279_500, 2_000_000)] == [
        0,
        0,
        1,
        128,
        200,
    ]


def test_activity_figures_agree_with_the_federation_dashboards(counted):
    """The report and the dashboards read the same aggregates, so they cannot disagree."""
    from service.activities import aggregates

    world, _bare = counted
    first = world.a.first.association.id
    with use_scope(Scope.federation(world.a.federation.id)):
        report = indicators.compute([first], YEAR)[first]
        dashboard = aggregates.all_figures([first], YEAR)[first]
    assert report["POP01"] == dashboard["popularisation_events"] == 4
    assert report["INT02"] == dashboard["integrity_audience"] == 420
