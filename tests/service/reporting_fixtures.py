"""A small hand-counted fixture for the reporting tests: this year's records on top of the
world."""

from __future__ import annotations

from datetime import date

from service.governance import services as governance
from tests import factories

# The world's members and group members join today, so the year counted is this one.
YEAR = date.today().year
TODAY = date(YEAR, 12, 31)

# world.a.first for 2026, counted by hand from the world and `add_records` below.
EXPECTED_FIRST = {
    "ORG01": 1,
    "ORG02": 3,  # two of the world (joined today) + one joined in March; lapsed and next year not
    "ORG03": 5,
    "ORG031": 2,
    "ORG032": 1,
    "ORG033": 0,
    "ORG034": 0,
    "ORG035": 1,  # the world's department association
    "ORG036": 1,
    "ORG04": 120,  # the 2024 congress
    "ORG05": 3,
    "ORG06": 2,
    "ORG071": 0,
    "ORG072": 2,
    "ORG073": 1,
}
# world.a.second: only the world's records; its meetings were in 2025.
EXPECTED_SECOND = {
    **{code: 0 for code in EXPECTED_FIRST},
    "ORG01": 1,
    "ORG02": 2,
    "ORG03": 1,
    "ORG035": 1,
    "ORG04": 120,
    "ORG05": 3,
    "ORG06": 2,
}


def add_records(association) -> None:
    """Call in system_scope; world.a.first's records of the year."""
    factories.make_member(association, joined_on=date(YEAR, 3, 1))
    factories.make_member(association, joined_on=date(YEAR, 3, 1), status="lapsed")
    factories.make_member(association, joined_on=date(YEAR + 1, 1, 5))
    for kind in ("undergraduate", "undergraduate", "graduate"):
        factories.make_group_member(association, kind=kind)
    factories.make_group_member(association, kind="other", kind_name="实验室科协")
    factories.make_group_member(association, kind="undergraduate", status="dissolved")
    for held_on in (date(YEAR, 3, 1), date(YEAR, 10, 9)):
        governance.record_meeting(
            association.id, body="committee", held_on=held_on, attendance=3, today=TODAY
        )
    governance.record_meeting(
        association.id,
        body="standing_committee",
        held_on=date(YEAR, 5, 5),
        attendance=2,
        today=TODAY,
    )
