"""A small hand-counted fixture for the reporting tests: this year's records on top of the
world.

The world's work (tests.factories.activities.make_work) gives every association two held academic
forums of 2026 (1 event, 120 participants, 15 papers each), a consulting report submitted and
adopted in 2026, a 2026 transfer (1 contract, 2,000,000 yuan), a proposed provincial nomination and
a proposed exemplar of 2026 (neither counts), and two suggestions received today, one escalated.
Its 2026 records count only while this year is 2026: `W` is 1 then, and 0 after.
"""

from __future__ import annotations

from datetime import date

from service.activities.models import ConsultingReport, Exemplar, Nomination, TechTransfer
from service.governance import services as governance
from service.reporting import indicators
from tenants.db import db
from tests import factories

# The world's members and group members join today, so the year counted is this one.
YEAR = date.today().year
TODAY = date(YEAR, 12, 31)
W = 1 if YEAR == 2026 else 0  # the world's dated work counts in 2026 only

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
    # academic exchange: the international forum (2 events, 80 people, 6 papers) and the
    # reported cross-discipline series (3, 150, 10); not the planned one nor last year's
    "ACA01": 5 + 2 * W,
    "ACA011": 3 + 2 * W,
    "ACA012": 2,
    "ACA02": 230 + 240 * W,
    "ACA03": 16 + 30 * W,
    "ACA04": 2 + W,  # February's (adopted) and May's; not last year's
    "ACA05": 1 + W,
    "ACA06": 3 + W,  # 1 + 2 contracts this year
    "ACA07": 128 + 200 * W,  # 1,234,500 + 45,000 yuan = 127.95 万元 (+ the world's 200)
    # popularisation: Science Week (2 events, 300 people, 10 volunteers, 40 hours), Science
    # Popularisation Day (1, 500, 2 venues, 800 visitors), an open lab (1, 0, 1 venue, 150
    # visitors, 5 volunteers, 20 hours); not the planned talk nor last year's Science Week
    "POP01": 4,
    "POP011": 2,
    "POP012": 1,
    "POP02": 800,
    "POP03": 3,
    "POP04": 950,
    "POP05": 15,
    "POP06": 60,
    # talent: endorsed provincial + awarded national; not proposed, declined, city-level
    # or last year's; the recognised exemplar of this year; the held Member Day
    "TAL01": 2,
    "TAL02": 1,
    "TAL03": 1,
    "TAL04": 1,
    # integrity: 1 lecture to 200 undergraduates, 2 to 150 graduates, 1 seminar for 40 young
    # teachers, 1 lecture to 30 of no stated group; not last year's
    "INT01": 5,
    "INT02": 420,
    "INT021": 200,
    "INT022": 150,
    "INT023": 40,
    # student practice: a competition (2 events, 90 students), the Youth Science Camp (1, 12
    # students, 60 secondary students), the High-school Talent Programme (1, 0, 8)
    "STU01": 4,
    "STU02": 102,
    "STU03": 60,
    "STU04": 8,
    # suggestions: 3 received this year (one answered, one closed and escalated) and the
    # world's two of today (one escalated); not last year's
    "SRV01": 5,
    "SRV02": 2,
    "SRV03": 2,
}
# world.a.second: the world's records (its meetings were in 2025) and add_other_work's.
EXPECTED_SECOND = {
    **{code: 0 for code in EXPECTED_FIRST},
    "ORG01": 1,
    "ORG02": 2,
    "ORG03": 1,
    "ORG035": 1,
    "ORG04": 120,
    "ORG05": 3,
    "ORG06": 2,
    # with add_other_work: its own academic series (4 events, 100 people, 3 papers) and the
    # world's work
    "ACA01": 4 + 2 * W,
    "ACA011": 4 + 2 * W,
    "ACA02": 100 + 240 * W,
    "ACA03": 3 + 30 * W,
    "ACA04": W,
    "ACA05": W,
    "ACA06": W,
    "ACA07": 200 * W,
    # the world's two suggestions of today (one escalated) and its own one
    "SRV01": 3,
    "SRV03": 1,
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
    _add_work(association)


def _activity(association, task: str, subtype: str, month: int, **fields) -> None:
    """An activity of this year's `month`, held unless told otherwise."""
    starts_on = fields.pop("starts_on", date(YEAR, month, 10))
    values = {"participants": 0, "speakers": 0, "papers": 0, **fields}
    factories.make_activity(
        association,
        title=f"{subtype} {starts_on.isoformat()}",
        task=task,
        subtype=subtype,
        starts_on=starts_on,
        ends_on=starts_on,
        flush=False,
        **values,
    )


LAST_YEAR = date(YEAR - 1, 12, 30)  # starts last year, so counts there even if it ends in this


def _add_work(association) -> None:
    _add_activities(association)
    _add_outcomes(association)
    _add_talent(association)
    _add_suggestions(association)
    db.session.flush()


def _add_activities(association) -> None:
    academic = "academic"
    _activity(association, academic, "international", 4, events=2, participants=80, papers=6)
    _activity(
        association,
        academic,
        "cross_discipline",
        6,
        status="reported",
        events=3,
        participants=150,
        papers=10,
    )
    _activity(association, academic, "inter_university", 11, status="planned", participants=500)
    _activity(association, academic, "international", 1, starts_on=LAST_YEAR, participants=90)

    pop = "popularisation"
    _activity(
        association,
        pop,
        "science_week",
        5,
        events=2,
        audience=300,
        volunteers=10,
        volunteer_hours=40,
    )
    _activity(
        association,
        pop,
        "popularisation_day",
        9,
        status="reported",
        audience=500,
        venues_opened=2,
        venue_visitors=800,
    )
    _activity(
        association,
        pop,
        "open_lab",
        7,
        venues_opened=1,
        venue_visitors=150,
        volunteers=5,
        volunteer_hours=20,
    )
    _activity(association, pop, "talk", 12, status="planned", audience=1000)
    _activity(association, pop, "science_week", 1, starts_on=LAST_YEAR, audience=700)

    _activity(association, "talent", "member_day", 5, participants=60)
    _activity(association, "talent", "mentoring", 3, participants=20, mentors=4, mentees=16)
    _activity(association, "talent", "member_day", 12, status="planned", participants=80)

    integrity = "integrity"
    _activity(association, integrity, "lecture", 3, audience=200, audience_group="undergraduate")
    _activity(
        association,
        integrity,
        "lecture",
        4,
        status="reported",
        events=2,
        audience=150,
        audience_group="graduate",
    )
    _activity(association, integrity, "seminar", 10, audience=40, audience_group="young_teacher")
    _activity(association, integrity, "lecture", 11, audience=30)
    _activity(
        association,
        integrity,
        "lecture",
        1,
        starts_on=LAST_YEAR,
        audience=500,
        audience_group="undergraduate",
    )

    practice = "student_practice"
    _activity(association, practice, "competition", 4, events=2, participants=90)
    _activity(
        association,
        practice,
        "youth_science_camp",
        7,
        participants=12,
        secondary_students=60,
        mentors=5,
    )
    _activity(
        association,
        practice,
        "high_school_talent",
        8,
        status="reported",
        secondary_students=8,
        mentors=2,
    )
    _activity(association, practice, "competition", 11, status="planned", participants=300)


def _add_outcomes(association) -> None:
    def report(submitted_on: date, adopted: bool) -> ConsultingReport:
        return ConsultingReport(
            tenant_id=association.id,
            title="关于完善科研评价机制的建议",
            recipient="省科技厅",
            recipient_level="provincial",
            submitted_on=submitted_on,
            adopted=adopted,
            adopted_on=submitted_on if adopted else None,
        )

    def transfer(signed_on: date, contracts: int, value_yuan: int) -> TechTransfer:
        return TechTransfer(
            tenant_id=association.id,
            title="新型催化剂技术许可",
            partner="某化工有限公司",
            mode="licence",
            signed_on=signed_on,
            contracts=contracts,
            value_yuan=value_yuan,
        )

    db.session.add_all(
        [
            report(date(YEAR, 2, 1), adopted=True),
            report(date(YEAR, 5, 1), adopted=False),
            report(date(YEAR - 1, 6, 1), adopted=True),
            transfer(date(YEAR, 3, 1), 1, 1_234_500),
            transfer(date(YEAR, 8, 1), 2, 45_000),
            transfer(date(YEAR - 1, 8, 1), 1, 9_999_999),
        ]
    )


def _add_talent(association) -> None:
    def nomination(level: str, status: str, year: int = YEAR) -> Nomination:
        return Nomination(
            tenant_id=association.id,
            award="科学技术奖",
            level=level,
            year=year,
            nominee_name="张华",
            status=status,
            proposed_by="fixture",
        )

    def exemplar(status: str, year: int = YEAR) -> Exemplar:
        return Exemplar(
            tenant_id=association.id,
            kind="person",
            name="陈静",
            deeds="坚持科普进社区十年",
            year=year,
            status=status,
            proposed_by="fixture",
        )

    db.session.add_all(
        [
            nomination("provincial", "endorsed"),
            nomination("national", "awarded"),
            nomination("provincial", "proposed"),
            nomination("other", "awarded"),
            nomination("provincial", "declined"),
            nomination("national", "awarded", YEAR - 1),
            exemplar("recognised"),
            exemplar("proposed"),
            exemplar("declined"),
            exemplar("recognised", YEAR - 1),
        ]
    )


def _add_suggestions(association) -> None:
    for state, escalated, received_on in (
        ("answered", False, date(YEAR, 1, 10)),
        ("closed", True, date(YEAR, 1, 20)),
        ("received", False, date(YEAR, 2, 1)),
        ("answered", True, date(YEAR - 1, 12, 1)),
    ):
        factories.make_suggestion(
            association, state=state, escalated=escalated, received_on=received_on, flush=False
        )


def add_other_work(association) -> None:
    """Call in system_scope; another association's academic series of this year."""
    _activity(association, "academic", "cross_department", 3, events=4, participants=100, papers=3)
    factories.make_suggestion(association, flush=False)
    db.session.flush()


# The figures of world.a.first that moved more than 30% from its report of last year (the
# association was approved in 2019 and so does not move; its members are new this year, and
# every activity figure above is this year's: last year's were all 0).
MOVED = (
    "ORG02",
    "ORG03",
    "ORG031",
    "ORG032",
    "ORG035",
    "ORG036",
    "ORG072",
    *(i.code for i in indicators.ACTIVITY_CATALOGUE),
)
