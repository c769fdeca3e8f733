"""Every indicator against a figure counted by hand on a small fixture."""

from __future__ import annotations

import pytest

from service.reporting import indicators
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.service.reporting_fixtures import EXPECTED_FIRST, EXPECTED_SECOND, YEAR, add_records


@pytest.fixture
def counted(world):
    with system_scope("test: 2026 records"):
        add_records(world.a.first.association)
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
