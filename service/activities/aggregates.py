"""The figures of the association's work, per association and per year.

Each function takes the associations (their ids, or None for every association the current
scope sees) and a year, runs one grouped SQL query, and returns
`{association id: {figure: whole number}}`. With ids given, every one of them is in the
result, with zeros where nothing was recorded. The federation dashboards and the annual
report call these, so an activity recorded once is counted everywhere the same way.

What is counted:
- activities that took place (held or reported), by the year they started; a planned
  activity is a promise, not a figure; visibility does not matter (it hides details, not
  numbers);
- consulting reports by the year submitted; technology transfers by the year signed;
- nominations and exemplars by their year; suggestions by the year received.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from service.activities.models import (
    COUNTED_STATUSES,
    NOMINATED_STATUSES,
    PROVINCIAL_OR_HIGHER,
    Activity,
    AudienceGroup,
    ConsultingReport,
    Exemplar,
    ExemplarStatus,
    Nomination,
    NominationStatus,
    SpeakerKind,
    Task,
    TechTransfer,
)
from service.i18n import lazy_gettext as _l
from tenants.db import db

Figures = dict[int, dict[str, int]]
AssociationIds = Collection[int] | None


def _year(column, year: int):
    return column.between(date(year, 1, 1), date(year, 12, 31))


# Constants written into the SQL, not bound: a statement of every aggregate would otherwise
# carry a hundred parameters, each converted and sent on every run.
_ZERO = sa.literal_column("0", sa.Integer)
_ONE = sa.literal_column("1", sa.Integer)


def _sum(expression) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(expression), _ZERO)


def _sum_if(condition, expression=None) -> sa.ColumnElement:
    """The sum of `expression` (or the number of rows) where `condition` holds."""
    return _sum(sa.case((condition, _ONE if expression is None else expression), else_=_ZERO))


@dataclass(frozen=True)
class Grouped:
    """One aggregate as a query not yet run: its table, its figures, what it counts.
    `run` runs it alone; `service.activities.statistics` runs several as one statement."""

    model: type
    columns: dict[str, sa.ColumnElement]
    where: tuple

    def select(self, associations: AssociationIds) -> sa.Select:
        query = (
            sa.select(
                self.model.tenant_id, *(expr.label(name) for name, expr in self.columns.items())
            )
            .where(*self.where)
            .group_by(self.model.tenant_id)
        )
        if associations is not None:
            query = query.where(self.model.tenant_id.in_(sorted({int(a) for a in associations})))
        return query

    def run(self, associations: AssociationIds) -> Figures:
        result: Figures = {}
        if associations is not None:
            ids = sorted({int(a) for a in associations})
            if not ids:
                return {}
            result = {a: dict.fromkeys(self.columns, 0) for a in ids}
        for row in db.session.execute(self.select(associations)).mappings():
            result[row["tenant_id"]] = {name: int(row[name] or 0) for name in self.columns}
        return result


def _grouped(model, columns: dict[str, sa.ColumnElement], where: list) -> Grouped:
    return Grouped(model, columns, tuple(where))


def _activities(task: Task, columns: dict, year: int) -> Grouped:
    where = [
        Activity.task == task.value,
        Activity.status.in_(COUNTED_STATUSES),
        _year(Activity.starts_on, year),
    ]
    return _grouped(Activity, columns, where)


A = Activity


def academic_query(year: int) -> Grouped:
    """Academic exchange: events, participants, papers, international exchange."""
    international = A.subtype == "international"
    return _activities(
        Task.ACADEMIC,
        {
            "academic_events": _sum(A.events),
            "academic_participants": _sum(A.participants),
            "academic_papers": _sum(A.papers),
            "inter_university_events": _sum_if(A.subtype == "inter_university", A.events),
            "institute_enterprise_events": _sum_if(A.subtype == "institute_enterprise", A.events),
            "international_events": _sum_if(international, A.events),
            "international_participants": _sum_if(international, A.participants),
            "foreign_participants": _sum(A.foreign_participants),
        },
        year,
    )


def consulting_query(year: int) -> Grouped:
    """Decision-consulting reports submitted in the year, and how many were adopted."""
    R = ConsultingReport
    return _grouped(
        R,
        {
            "consulting_reports_submitted": sa.func.count(),
            "consulting_reports_adopted": _sum_if(R.adopted.is_(True)),
        },
        [_year(R.submitted_on, year)],
    )


def tech_transfer_query(year: int) -> Grouped:
    """Technology-transfer contracts signed in the year and their value in yuan."""
    T = TechTransfer
    return _grouped(
        T,
        {
            "tech_transfer_contracts": _sum(T.contracts),
            "tech_transfer_value_yuan": _sum(T.value_yuan),
        },
        [_year(T.signed_on, year)],
    )


def popularisation_query(year: int) -> Grouped:
    """Science popularisation: events (Science Week and Popularisation Day among them),
    audience, volunteers and their hours, venues opened and their visitors."""
    return _activities(
        Task.POPULARISATION,
        {
            "popularisation_events": _sum(A.events),
            "science_week_events": _sum_if(A.subtype == "science_week", A.events),
            "popularisation_day_events": _sum_if(A.subtype == "popularisation_day", A.events),
            "volunteer_service_events": _sum_if(A.subtype.like("volunteer_%"), A.events),
            "popularisation_audience": _sum(A.audience),
            "volunteers": _sum(A.volunteers),
            "volunteer_hours": _sum(A.volunteer_hours),
            "venues_opened": _sum(A.venues_opened),
            "venue_visitors": _sum(A.venue_visitors),
        },
        year,
    )


def talent_query(year: int) -> Grouped:
    """Talent work: mentoring, young-talent selection, CAST Member Day."""
    member_day = A.subtype == "member_day"
    return _activities(
        Task.TALENT,
        {
            "talent_events": _sum(A.events),
            "mentoring_programmes": _sum_if(A.subtype == "mentoring", A.events),
            "mentors": _sum(A.mentors),
            "mentees": _sum(A.mentees),
            "young_talents_selected": _sum(A.talents_selected),
            "member_day_events": _sum_if(member_day, A.events),
            "member_day_participants": _sum_if(member_day, A.participants),
        },
        year,
    )


def nominations_query(year: int) -> Grouped:
    """Award nominations that went forward at provincial level or higher, and awards won."""
    N = Nomination
    forward = N.status.in_(NOMINATED_STATUSES)
    high = N.level.in_(PROVINCIAL_OR_HIGHER)
    awarded = N.status == NominationStatus.AWARDED.value
    return _grouped(
        N,
        {
            "nominations_proposed": sa.func.count(),
            "nominations_provincial_or_higher": _sum_if(sa.and_(forward, high)),
            "nominations_national": _sum_if(sa.and_(forward, N.level == "national")),
            "awards_won": _sum_if(awarded),
            "awards_won_provincial_or_higher": _sum_if(sa.and_(awarded, high)),
        },
        [N.year == year],
    )


def exemplars_query(year: int) -> Grouped:
    """Exemplars proposed by the associations and recognised by the federation."""
    E = Exemplar
    return _grouped(
        E,
        {
            "exemplars_proposed": sa.func.count(),
            "exemplars_recognised": _sum_if(E.status == ExemplarStatus.RECOGNISED.value),
            "exemplars_published": _sum_if(E.published.is_(True)),
        },
        [E.year == year],
    )


def integrity_query(year: int) -> Grouped:
    """Research integrity education: lectures, their speakers, the audience by group."""
    columns = {
        "integrity_lectures": _sum(A.events),
        "integrity_lectures_by_academicians": _sum_if(
            A.speaker_kind == SpeakerKind.ACADEMICIAN.value, A.events
        ),
        "integrity_lectures_by_professors": _sum_if(
            A.speaker_kind == SpeakerKind.PROFESSOR.value, A.events
        ),
        "integrity_audience": _sum(A.audience),
    }
    for group in AudienceGroup:
        columns[f"integrity_audience_{group.value}"] = _sum_if(
            A.audience_group == group.value, A.audience
        )
    return _activities(Task.INTEGRITY, columns, year)


def student_practice_query(year: int) -> Grouped:
    """Student S&T practice, with the Youth Science Camp and the High-school Talent
    Programme's secondary-school students and mentors."""
    camp = A.subtype == "youth_science_camp"
    high_school = A.subtype == "high_school_talent"
    return _activities(
        Task.STUDENT_PRACTICE,
        {
            "student_activities": _sum(A.events),
            "student_participants": _sum(A.participants),
            "student_projects": _sum(A.projects),
            "student_competitions": _sum_if(A.subtype == "competition", A.events),
            "students_in_research": _sum_if(A.subtype == "research_participation", A.participants),
            "youth_science_camp_students": _sum_if(camp, A.secondary_students),
            "high_school_talent_students": _sum_if(high_school, A.secondary_students),
            "secondary_school_mentors": _sum_if(sa.or_(camp, high_school), A.mentors),
        },
        year,
    )


def _run(query: Callable[[int], Grouped]) -> Callable[[AssociationIds, int], Figures]:
    def aggregate(associations: AssociationIds, year: int) -> Figures:
        return query(year).run(associations)

    aggregate.__name__ = query.__name__.removesuffix("_query")
    aggregate.__doc__ = query.__doc__
    return aggregate


# The aggregates, one grouped query each: `{association id: {figure: whole number}}`.
academic = _run(academic_query)
consulting = _run(consulting_query)
tech_transfer = _run(tech_transfer_query)
popularisation = _run(popularisation_query)
talent = _run(talent_query)
nominations = _run(nominations_query)
exemplars = _run(exemplars_query)
integrity = _run(integrity_query)
student_practice = _run(student_practice_query)
# What `service.activities.statistics` reads in one statement (suggestions are another
# package's, and answer with their own).
QUERIES: tuple[Callable[[int], Grouped], ...] = (
    academic_query,
    consulting_query,
    tech_transfer_query,
    popularisation_query,
    talent_query,
    nominations_query,
    exemplars_query,
    integrity_query,
    student_practice_query,
)


def suggestions(associations: AssociationIds, year: int) -> Figures:
    """Suggestions, opinions and demands received in the year, answered, escalated."""
    from service.suggestions import services as suggestion_services

    return suggestion_services.figures(associations, year)


def events_by_subtype(associations: AssociationIds, year: int) -> dict[int, dict[str, int]]:
    """Events per subtype (every task), for reports that break a task down."""
    query = (
        sa.select(A.tenant_id, A.subtype, _sum(A.events))
        .where(A.status.in_(COUNTED_STATUSES), _year(A.starts_on, year))
        .group_by(A.tenant_id, A.subtype)
    )
    if associations is not None:
        query = query.where(A.tenant_id.in_(list(associations)))
    result: dict[int, dict[str, int]] = {int(a): {} for a in associations or ()}
    for tenant_id, subtype, events in db.session.execute(query):
        result.setdefault(tenant_id, {})[subtype] = int(events)
    return result


# Every aggregate, in the order reports list them.
AGGREGATES: tuple[Callable[[AssociationIds, int], Figures], ...] = (
    academic,
    consulting,
    tech_transfer,
    popularisation,
    talent,
    nominations,
    exemplars,
    integrity,
    student_practice,
    suggestions,
)


def all_figures(associations: AssociationIds, year: int) -> Figures:
    """Every figure of every aggregate, per association."""
    merged: Figures = {int(a): {} for a in associations or ()}
    for aggregate in AGGREGATES:
        for association, figures in aggregate(associations, year).items():
            merged.setdefault(association, {}).update(figures)
    keys = FIGURE_KEYS
    return {a: {k: figures.get(k, 0) for k in keys} for a, figures in merged.items()}


def totals(figures: Figures) -> dict[str, int]:
    """The sum over associations of each figure."""
    out: dict[str, int] = {}
    for per_association in figures.values():
        for key, value in per_association.items():
            out[key] = out.get(key, 0) + value
    return out


FIGURE_LABELS = {
    "academic_events": _l("Academic exchange events"),
    "academic_participants": _l("Academic exchange participants"),
    "academic_papers": _l("Papers and reports presented"),
    "inter_university_events": _l("Inter-university events"),
    "institute_enterprise_events": _l("Events with institutes or enterprises"),
    "international_events": _l("International events"),
    "international_participants": _l("Participants in international events"),
    "foreign_participants": _l("Foreign participants"),
    "consulting_reports_submitted": _l("Consulting reports submitted"),
    "consulting_reports_adopted": _l("Consulting reports adopted"),
    "tech_transfer_contracts": _l("Technology-transfer contracts"),
    "tech_transfer_value_yuan": _l("Technology-transfer value (yuan)"),
    "popularisation_events": _l("Popularisation events"),
    "science_week_events": _l("Science and Technology Week events"),
    "popularisation_day_events": _l("Science Popularisation Day events"),
    "volunteer_service_events": _l("Volunteer service events"),
    "popularisation_audience": _l("Popularisation audience"),
    "volunteers": _l("Volunteers"),
    "volunteer_hours": _l("Volunteer hours"),
    "venues_opened": _l("Venues opened"),
    "venue_visitors": _l("Visitors to the venues"),
    "talent_events": _l("Talent events"),
    "mentoring_programmes": _l("Mentoring programmes"),
    "mentors": _l("Mentors"),
    "mentees": _l("Mentees"),
    "young_talents_selected": _l("Young talents selected"),
    "member_day_events": _l("CAST Member Day events"),
    "member_day_participants": _l("CAST Member Day participants"),
    "nominations_proposed": _l("Nominations proposed"),
    "nominations_provincial_or_higher": _l("Nominations for provincial or higher awards"),
    "nominations_national": _l("Nominations for national awards"),
    "awards_won": _l("Awards won"),
    "awards_won_provincial_or_higher": _l("Provincial or higher awards won"),
    "exemplars_proposed": _l("Exemplars proposed"),
    "exemplars_recognised": _l("Exemplars recognised"),
    "exemplars_published": _l("Exemplars published"),
    "integrity_lectures": _l("Integrity lectures"),
    "integrity_lectures_by_academicians": _l("Integrity lectures by academicians"),
    "integrity_lectures_by_professors": _l("Integrity lectures by professors"),
    "integrity_audience": _l("Integrity audience"),
    "integrity_audience_undergraduate": _l("Integrity audience: undergraduates"),
    "integrity_audience_graduate": _l("Integrity audience: graduate students"),
    "integrity_audience_young_teacher": _l("Integrity audience: young teachers"),
    "student_activities": _l("Student practice activities"),
    "student_participants": _l("Student participants"),
    "student_projects": _l("Student projects"),
    "student_competitions": _l("Student competitions"),
    "students_in_research": _l("Students taking part in research"),
    "youth_science_camp_students": _l("Youth Science Camp students hosted"),
    "high_school_talent_students": _l("High-school Talent Programme students hosted"),
    "secondary_school_mentors": _l("Mentors of secondary-school students"),
    "suggestions_received": _l("Suggestions received"),
    "suggestions_answered": _l("Suggestions answered"),
    "suggestions_escalated": _l("Suggestions escalated to the federation"),
}
FIGURE_KEYS = tuple(FIGURE_LABELS)


def _keys(first: str, last: str) -> tuple[str, ...]:
    return FIGURE_KEYS[FIGURE_KEYS.index(first) : FIGURE_KEYS.index(last) + 1]


# Which figures belong to which task, for pages that show one task at a time.
FIGURES_BY_TASK = {
    Task.ACADEMIC: _keys("academic_events", "tech_transfer_value_yuan"),
    Task.POPULARISATION: _keys("popularisation_events", "venue_visitors"),
    Task.TALENT: _keys("talent_events", "exemplars_published"),
    Task.INTEGRITY: _keys("integrity_lectures", "integrity_audience_young_teacher"),
    Task.STUDENT_PRACTICE: _keys("student_activities", "secondary_school_mentors"),
}
SUGGESTION_FIGURES = _keys("suggestions_received", "suggestions_escalated")
