"""The five tasks recorded as activities, and the figures that come back from them per
association and per year. Every aggregate is checked with a second association beside it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service.activities import aggregates, talent
from service.activities import services as activities
from service.activities.models import Activity
from service.activities.services import ActivityError
from service.auth.roles import Role
from service.errors import NotFound
from service.federation import exemplars as exemplar_page
from service.suggestions import services as suggestions
from tenants.db import db
from tenants.scope import Scope, use_scope

TODAY = date(2026, 6, 1)


def scope_of(tenant):
    return use_scope(Scope.association(tenant.association.id))


def record(tenant, *, status="held", **fields) -> Activity:
    """One activity of `tenant`, recorded through the service as a clerk would."""
    values = {"title": "活动", "visibility": "private", **fields}
    values.setdefault("ends_on", values["starts_on"])
    with scope_of(tenant):
        first = "held" if status == "reported" else status
        activity = activities.create_activity(values, "test", status=first, today=TODAY)
        db.session.flush()
        if status == "reported":
            activities.advance(activity, TODAY)
        db.session.flush()
        return activity


def ids(world) -> tuple[int, int, int]:
    return (
        world.a.first.association.id,
        world.a.second.association.id,
        world.b.first.association.id,
    )


def figures(function, world, year):
    first, second, _other = ids(world)
    with use_scope(Scope.federation(world.a.federation.id)):
        return function([first, second], year)


# --- 1. academic exchange ---------------------------------------------------------------


def test_academic_exchange_is_summed_per_association_and_year(world):
    a1, a2 = world.a.first, world.a.second
    common = {"task": "academic", "participants": 100, "speakers": 5}
    record(a1, subtype="cross_department", starts_on=date(2025, 3, 1), papers=12, **common)
    record(
        a1,
        subtype="international",
        starts_on=date(2025, 10, 20),
        ends_on=date(2025, 10, 22),
        task="academic",
        events=2,
        participants=300,
        speakers=40,
        papers=60,
        foreign_participants=45,
        countries=["美国", "德国", "日本"],
        status="reported",
    )
    record(a1, subtype="inter_university", starts_on=date(2024, 5, 1), **common)
    record(a1, subtype="cross_discipline", starts_on=date(2025, 12, 30), status="planned", **common)
    record(a2, subtype="institute_enterprise", starts_on=date(2025, 6, 1), papers=3, **common)

    got = figures(aggregates.academic, world, 2025)
    assert got[a1.association.id] == {
        "academic_events": 3,
        "academic_participants": 400,
        "academic_papers": 72,
        "inter_university_events": 0,
        "institute_enterprise_events": 0,
        "international_events": 2,
        "international_participants": 300,
        "foreign_participants": 45,
    }
    assert got[a2.association.id]["academic_events"] == 1
    assert got[a2.association.id]["institute_enterprise_events"] == 1
    earlier = figures(aggregates.academic, world, 2024)
    assert earlier[a1.association.id]["inter_university_events"] == 1
    assert earlier[a2.association.id]["academic_events"] == 0
    # The factory's 2026 forum of each association is there too, and nothing of 2025.
    assert figures(aggregates.academic, world, 2026)[a1.association.id]["academic_events"] == 2


def test_consulting_reports_and_technology_transfers(world):
    a1, a2 = world.a.first, world.a.second
    with scope_of(a1):
        for adopted in (True, False, True):
            activities.save_consulting_report(
                None,
                {
                    "title": "关于优化区域创新布局的建议",
                    "recipient": "省发展改革委",
                    "recipient_level": "provincial",
                    "submitted_on": date(2025, 4, 1),
                    "adopted": adopted,
                    "adopted_on": date(2025, 6, 1) if adopted else None,
                },
            )
        activities.save_tech_transfer(
            None,
            {
                "title": "智能传感器专利许可",
                "partner": "某仪器有限公司",
                "mode": "licence",
                "signed_on": date(2025, 9, 9),
                "contracts": 3,
                "value_yuan": 1_500_000,
            },
        )
        db.session.flush()
    assert figures(aggregates.consulting, world, 2025)[a1.association.id] == {
        "consulting_reports_submitted": 3,
        "consulting_reports_adopted": 2,
    }
    assert figures(aggregates.tech_transfer, world, 2025) == {
        a1.association.id: {"tech_transfer_contracts": 3, "tech_transfer_value_yuan": 1_500_000},
        a2.association.id: {"tech_transfer_contracts": 0, "tech_transfer_value_yuan": 0},
    }
    # The factory's 2026 transfer of each association.
    in_2026 = figures(aggregates.tech_transfer, world, 2026)
    assert in_2026[a2.association.id]["tech_transfer_value_yuan"] == 2_000_000


def test_a_report_is_adopted_after_it_is_submitted(world):
    with scope_of(world.a.first), pytest.raises(ActivityError) as refused:
        activities.save_consulting_report(
            None,
            {
                "title": "建议",
                "recipient": "省政府",
                "recipient_level": "provincial",
                "submitted_on": date(2025, 4, 1),
                "adopted": True,
                "adopted_on": date(2025, 3, 1),
            },
        )
    assert "adopted_on" in refused.value.errors


# --- 2. science popularisation -----------------------------------------------------------


def test_popularisation_counts_science_week_day_volunteers_and_venues(world):
    a1, a2 = world.a.first, world.a.second
    base = {"task": "popularisation", "starts_on": date(2025, 5, 20)}
    record(a1, subtype="science_week", events=6, audience=3000, speakers=6, **base)
    record(
        a1, subtype="popularisation_day", audience=1200, **{**base, "starts_on": date(2025, 9, 16)}
    )
    record(
        a1, subtype="volunteer_village", volunteers=30, volunteer_hours=240, audience=500, **base
    )
    record(a1, subtype="open_lab", venues_opened=4, venue_visitors=800, **base)
    record(a2, subtype="talk", audience=150, speakers=1, **base)
    got = figures(aggregates.popularisation, world, 2025)
    assert got[a1.association.id] == {
        "popularisation_events": 9,
        "science_week_events": 6,
        "popularisation_day_events": 1,
        "volunteer_service_events": 1,
        "popularisation_audience": 4700,
        "volunteers": 30,
        "volunteer_hours": 240,
        "venues_opened": 4,
        "venue_visitors": 800,
    }
    assert got[a2.association.id]["popularisation_audience"] == 150
    assert figures(aggregates.popularisation, world, 2024)[a1.association.id] == dict.fromkeys(
        got[a1.association.id], 0
    )


# --- 3. talent: activities, nominations, exemplars ----------------------------------------


def test_talent_activities(world):
    a1, a2 = world.a.first, world.a.second
    base = {"task": "talent", "starts_on": date(2025, 5, 30)}
    record(a1, subtype="mentoring", mentors=12, mentees=30, participants=42, **base)
    record(a1, subtype="young_talent", talents_selected=8, participants=40, **base)
    record(a1, subtype="member_day", participants=260, speakers=3, **base)
    record(a2, subtype="member_day", participants=90, **base)
    got = figures(aggregates.talent, world, 2025)
    assert got[a1.association.id] == {
        "talent_events": 3,
        "mentoring_programmes": 1,
        "mentors": 12,
        "mentees": 30,
        "young_talents_selected": 8,
        "member_day_events": 1,
        "member_day_participants": 260,
    }
    assert got[a2.association.id]["member_day_participants"] == 90


def _nomination(tenant, level="provincial", consent=True, year=2025):
    with scope_of(tenant):
        found = talent.propose_nomination(
            {
                "award": "省自然科学奖",
                "level": level,
                "year": year,
                "nominee_name": "陈晨",
                "nominee_unit": "物理学院",
                "consent_given": consent,
            },
            "admin",
        )
        db.session.flush()
        return found.id


def test_nominations_go_through_the_federation(world):
    a1 = world.a.first

    def federation():
        return use_scope(Scope.federation(world.a.federation.id))

    endorsed = _nomination(a1)
    declined = _nomination(a1)
    no_consent = _nomination(a1, consent=False)
    local = _nomination(a1, level="other", consent=False)
    with federation():
        talent.endorse_nomination(talent.access_nomination(endorsed), "officer")
        with pytest.raises(talent.TalentError, match="同意"):
            talent.endorse_nomination(talent.access_nomination(no_consent), "officer")
        with pytest.raises(talent.TalentError, match="理由"):
            talent.decline_nomination(talent.access_nomination(declined), "officer", " ")
        talent.decline_nomination(talent.access_nomination(declined), "officer", "材料不全")
        db.session.flush()
    with scope_of(a1):
        with pytest.raises(talent.TalentError):
            talent.record_outcome(talent.access_nomination(no_consent), True)
        talent.record_outcome(talent.access_nomination(endorsed), True)
        talent.record_outcome(talent.access_nomination(local), True)  # no federation step
        with pytest.raises(talent.TalentError):
            talent.endorse_nomination(talent.access_nomination(declined), "admin")
        # Consent given later: the nomination may then go forward.
        talent.set_nomination_consent(talent.access_nomination(no_consent), True)
        db.session.flush()
        assert talent.public_nominee_name(talent.access_nomination(local)) is None
    with federation():
        talent.endorse_nomination(talent.access_nomination(no_consent), "officer")
        db.session.flush()
        awards = [n.id for n, _name in talent.public_awards()]
    assert endorsed in awards and local not in awards
    got = figures(aggregates.nominations, world, 2025)[a1.association.id]
    assert got == {
        "nominations_proposed": 4,
        "nominations_provincial_or_higher": 2,  # the endorsed two; declined is not counted
        "nominations_national": 0,
        "awards_won": 2,
        "awards_won_provincial_or_higher": 1,
    }


def test_exemplars_are_recognised_then_published_with_consent(world):
    a1 = world.a.first
    with scope_of(a1):
        ids_ = []
        for name, consent in (("张伟团队", True), ("刘洋", False), ("马丽", True)):
            ids_.append(
                talent.propose_exemplar(
                    {
                        "kind": "team" if "团队" in name else "person",
                        "name": name,
                        "deeds": "在科普志愿服务中表现突出",
                        "year": 2025,
                        "consent_to_publish": consent,
                    },
                    "admin",
                )
            )
        db.session.flush()
        team, person, other = (e.id for e in ids_)
        with pytest.raises(talent.TalentError):  # only the federation's recognition counts
            talent.publish_exemplar(talent.access_exemplar(team), True)
    with use_scope(Scope.federation(world.a.federation.id)):
        talent.recognise_exemplar(talent.access_exemplar(team), "officer")
        talent.recognise_exemplar(talent.access_exemplar(person), "officer")
        talent.decline_exemplar(talent.access_exemplar(other), "officer", "事迹材料不足")
        talent.publish_exemplar(talent.access_exemplar(team), True)
        with pytest.raises(talent.TalentError, match="同意"):
            talent.publish_exemplar(talent.access_exemplar(person), True)
        db.session.flush()
        published = [e.name for e in public_page(world.a.federation.id)]
    assert published == ["张伟团队"]
    with use_scope(Scope.federation(world.b.federation.id)):
        assert public_page(world.b.federation.id) == []
    assert figures(aggregates.exemplars, world, 2025)[a1.association.id] == {
        "exemplars_proposed": 3,
        "exemplars_recognised": 2,
        "exemplars_published": 1,
    }
    with scope_of(a1):  # consent withdrawn: off the page at once
        talent.set_exemplar_consent(talent.access_exemplar(team), False)
        db.session.flush()
    with use_scope(Scope.federation(world.a.federation.id)):
        assert public_page(world.a.federation.id) == []


def public_page(federation_id: int) -> list:
    return exemplar_page.recognised(federation_id, public_only=True)


# --- 4. research integrity -------------------------------------------------------------


def test_integrity_lectures_by_speaker_and_audience_group(world):
    a1, a2 = world.a.first, world.a.second
    base = {"task": "integrity", "subtype": "lecture", "starts_on": date(2025, 9, 10)}
    record(
        a1,
        speaker_kind="academician",
        audience_group="graduate",
        audience=600,
        speakers=1,
        speaker_name="周院士",
        **base,
    )
    record(
        a1, speaker_kind="professor", audience_group="undergraduate", audience=900, events=3, **base
    )
    record(a1, speaker_kind="other", audience_group="young_teacher", audience=80, **base)
    record(a2, speaker_kind="professor", audience_group="graduate", audience=200, **base)
    got = figures(aggregates.integrity, world, 2025)
    assert got[a1.association.id] == {
        "integrity_lectures": 5,
        "integrity_lectures_by_academicians": 1,
        "integrity_lectures_by_professors": 3,
        "integrity_audience": 1580,
        "integrity_audience_undergraduate": 900,
        "integrity_audience_graduate": 600,
        "integrity_audience_young_teacher": 80,
    }
    assert got[a2.association.id]["integrity_audience_graduate"] == 200


def test_an_integrity_lecture_names_its_audience_group(world):
    with pytest.raises(ActivityError) as refused:
        record(world.a.first, task="integrity", subtype="lecture", starts_on=date(2025, 1, 5))
    assert {"speaker_kind", "audience_group"} <= set(refused.value.errors)


# --- 5. student S&T practice ---------------------------------------------------------------


def test_student_practice_with_camp_and_high_school_programme(world):
    a1, a2 = world.a.first, world.a.second
    base = {"task": "student_practice", "starts_on": date(2025, 7, 15)}
    record(
        a1, subtype="youth_science_camp", secondary_students=60, mentors=10, participants=20, **base
    )
    record(a1, subtype="high_school_talent", secondary_students=8, mentors=4, **base)
    record(a1, subtype="competition", participants=500, projects=120, events=2, **base)
    record(a1, subtype="research_participation", participants=75, projects=30, **base)
    record(a2, subtype="extracurricular_project", participants=40, projects=12, **base)
    got = figures(aggregates.student_practice, world, 2025)
    assert got[a1.association.id] == {
        "student_activities": 5,
        "student_participants": 595,
        "student_projects": 150,
        "student_competitions": 2,
        "students_in_research": 75,
        "youth_science_camp_students": 60,
        "high_school_talent_students": 8,
        "secondary_school_mentors": 14,
    }
    assert got[a2.association.id]["student_projects"] == 12


# --- suggestions' figures, and all of them together -----------------------------------------


def test_suggestion_figures_and_every_figure_at_once(world):
    a1 = world.a.first
    with scope_of(a1):
        first, _ = suggestions.submit(
            {"kind": "demand", "theme": "talent", "title": "t", "body": "b"},
            a1.users[Role.MEMBER].id,
        )
        suggestions.submit(
            {"kind": "opinion", "theme": "other", "title": "t", "body": "b", "anonymous": True},
            None,
        )
        suggestions.answer(first, "已答复", "staff")
        db.session.flush()
    this_year = date.today().year
    got = figures(aggregates.suggestions, world, this_year)[a1.association.id]
    # The factory's two (one escalated) were received today as well.
    assert got == {
        "suggestions_received": 4,
        "suggestions_answered": 1,
        "suggestions_escalated": 1,
    }
    everything = figures(aggregates.all_figures, world, this_year)
    assert set(everything[a1.association.id]) == set(aggregates.FIGURE_KEYS)
    assert everything[a1.association.id]["suggestions_received"] == 4
    assert aggregates.totals(everything)["suggestions_received"] == 6


def test_each_aggregate_is_one_query_over_every_association(world, app):
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.session.get_bind()
    with use_scope(Scope.federation(world.a.federation.id)):
        db.session.execute(sa.select(1))  # the transaction (and its RLS settings) begins here
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            for aggregate in aggregates.AGGREGATES:
                statements.clear()
                aggregate(None, 2026)
                assert len(statements) == 1, aggregate.__name__
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)


def test_a_scope_sees_the_figures_of_its_own_associations_only(world):
    a_ids = {world.a.first.association.id, world.a.second.association.id}
    with use_scope(Scope.federation(world.a.federation.id)):
        assert set(aggregates.all_figures(None, 2026)) == a_ids
        # Naming another province's association gives it zeros, never its figures.
        other = world.b.first.association.id
        assert aggregates.academic([other], 2026) == {
            other: dict.fromkeys(aggregates.FIGURES_BY_TASK["academic"][:8], 0)
        }
    with scope_of(world.a.first):
        assert set(aggregates.all_figures(None, 2026)) == {world.a.first.association.id}


# --- the rules every activity meets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"participants": -1}, "participants"),
        ({"participants": 3, "speakers": 5}, "participants"),
        ({"participants": 10.5}, "participants"),
        ({"papers": True}, "papers"),
        ({"ends_on": date(2025, 2, 28)}, "ends_on"),
        ({"audience": 50}, "audience"),  # not a figure of academic exchange
        (
            {"participants": 10, "foreign_participants": 11, "countries": ["英国"]},
            "foreign_participants",
        ),
        ({"participants": 10, "foreign_participants": 2}, "countries"),
        ({"subtype": "science_week"}, "subtype"),
        ({"visibility": "everyone"}, "visibility"),
        ({"title": "  "}, "title"),
    ],
)
def test_figures_and_dates_are_checked(world, fields, field):
    values = {
        "task": "academic",
        "subtype": "cross_discipline",
        "starts_on": date(2025, 3, 1),
        **fields,
    }
    with pytest.raises(ActivityError) as refused:
        record(world.a.first, **values)
    assert field in refused.value.errors


def test_activities_go_planned_held_reported(world):
    a1 = world.a.first
    planned = record(
        a1,
        task="academic",
        subtype="cross_discipline",
        starts_on=date(2026, 9, 1),
        status="planned",
    )
    with scope_of(a1):
        activity = activities.access_activity(planned.id)
        with pytest.raises(ActivityError, match="尚未开始"):
            activities.advance(activity, TODAY)
        assert activities.advance(activity, date(2026, 9, 2)) == "held"
        with pytest.raises(ActivityError):
            activities.set_status(activity, "planned")
        assert activities.advance(activity, date(2026, 9, 2)) == "reported"
        with pytest.raises(ActivityError, match="不能再修改"):
            activities.update_activity(activity, {"participants": 10})
        with pytest.raises(ActivityError):
            activities.advance(activity)


def test_the_federation_sees_shared_activities_only(world):
    a1 = world.a.first
    shared, private = (a.id for a in a1.activities)
    with use_scope(Scope.federation(world.a.federation.id)):
        assert activities.access_activity(shared).id == shared
        with pytest.raises(NotFound):
            activities.access_activity(private)
        seen = db.session.scalars(activities.activities_query()).all()
        assert private not in {a.id for a in seen}
    with scope_of(a1):
        assert activities.access_activity(private).id == private


def test_the_organiser_is_the_association_or_one_of_its_group_members(world):
    a1, a2 = world.a.first, world.a.second
    own = record(
        a1,
        task="student_practice",
        subtype="association_guidance",
        starts_on=date(2025, 4, 1),
        organiser_group_id=a1.groups[0].id,
        participants=30,
    )
    assert own.organiser_group_id == a1.groups[0].id
    with pytest.raises(ActivityError) as refused:
        record(
            a1,
            task="student_practice",
            subtype="association_guidance",
            starts_on=date(2025, 4, 1),
            organiser_group_id=a2.groups[0].id,
        )
    assert "organiser_group_id" in refused.value.errors


def test_calendar_month_places_multi_day_activities_on_each_day(world):
    a1 = world.a.first
    record(
        a1,
        task="popularisation",
        subtype="science_week",
        starts_on=date(2025, 5, 30),
        ends_on=date(2025, 6, 2),
        audience=100,
        visibility="public",
    )
    with scope_of(a1):
        days = activities.calendar_month(2025, 6, public_only=False)
    assert len(days) == 30
    assert [len(days[date(2025, 6, d)]) for d in (1, 2, 3)] == [1, 1, 0]
    with use_scope(Scope.federation(world.a.federation.id)):
        may = activities.calendar_month(2025, 5, public_only=True)
    assert len(may[date(2025, 5, 31)]) == 1
    # The factory's forums are shared with the federation but not public: not on its calendar.
    with use_scope(Scope.federation(world.a.federation.id)):
        assert not any(activities.calendar_month(2026, 5, public_only=True).values())


# --- the demo's work ---------------------------------------------------------------------


def test_the_demo_work_meets_every_rule_and_differs_by_category():
    import random

    from service.activities import demo
    from service.activities.models import SUBTYPES, Task
    from service.associations.models import Category

    share = {}
    for category in Category:
        rows = demo._activity_rows(
            random.Random(7), 1, "示范大学", category, {"graduate": 5}, date(2026, 11, 28)
        )
        assert {r["starts_on"].year for r in rows} == {2025, 2026}
        for row in rows:
            errors: dict = {}
            activities._check_figures(Task(row["task"]), dict(row), errors)
            assert not errors, (row["title"], errors)
            assert row["subtype"] in SUBTYPES[Task(row["task"])]
            assert row["ends_on"] >= row["starts_on"]
            assert (row["status"] == "planned") == (row["starts_on"] > date(2026, 11, 28))
        share[category] = (
            sum(r["subtype"] == "international" for r in rows),
            sum(r["task"] == "popularisation" for r in rows) / len(rows),
        )
    research, vocational = share[Category.RESEARCH], share[Category.VOCATIONAL]
    assert research[0] > 5 * max(vocational[0], 1)
    assert vocational[1] > research[1]
