"""Activities of the five tasks, their evidence, and the outcomes and people around them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.files.models import StoredFile
from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import TenantOwned, tenant_fk, utcnow

PERSONAL = {"personal": True}


class Task(StrEnum):
    """The five main tasks (主要任务) of the document."""

    ACADEMIC = "academic"
    POPULARISATION = "popularisation"
    TALENT = "talent"
    INTEGRITY = "integrity"
    STUDENT_PRACTICE = "student_practice"


TASK_LABELS = {
    Task.ACADEMIC: _l("Academic exchange"),
    Task.POPULARISATION: _l("Science popularisation"),
    Task.TALENT: _l("Talent"),
    Task.INTEGRITY: _l("Research integrity education"),
    Task.STUDENT_PRACTICE: _l("Student S&T practice"),
}

# The controlled list of subtypes per task; a subtype belongs to exactly one task.
SUBTYPES: dict[Task, dict[str, object]] = {
    Task.ACADEMIC: {
        "cross_department": _l("Cross-department exchange"),
        "cross_discipline": _l("Cross-discipline exchange"),
        "inter_university": _l("Inter-university exchange"),
        "institute_enterprise": _l("Exchange with institutes or enterprises"),
        "international": _l("International event"),
    },
    Task.POPULARISATION: {
        "science_week": _l("Science and Technology Week event"),
        "popularisation_day": _l("National Science Popularisation Day event"),
        "open_lab": _l("Open laboratory"),
        "museum_base": _l("Museum, specimen room or demonstration base"),
        "talk": _l("Popular science talk"),
        "exhibition": _l("Exhibition"),
        "essays_works": _l("Essays and creative works"),
        "volunteer_community": _l("Volunteer service in communities"),
        "volunteer_village": _l("Volunteer service in villages"),
        "volunteer_enterprise": _l("Volunteer service in enterprises"),
        "volunteer_school": _l("Volunteer service in schools"),
    },
    Task.TALENT: {
        "mentoring": _l("Mentoring programme"),
        "young_talent": _l("Young-talent selection"),
        "member_day": _l("CAST Member Day event"),
        "society_support": _l("Support for societies hosted at the university"),
    },
    Task.INTEGRITY: {
        "lecture": _l("Integrity lecture"),
        "seminar": _l("Integrity seminar or training"),
    },
    Task.STUDENT_PRACTICE: {
        "association_guidance": _l("Guidance to the student and graduate associations"),
        "extracurricular_project": _l("Extracurricular S&T project"),
        "competition": _l("S&T competition"),
        "research_participation": _l("Students taking part in research"),
        "youth_science_camp": _l("Youth Science Camp"),
        "high_school_talent": _l("High-school Talent Programme"),
    },
}
SUBTYPE_LABELS = {key: label for subtypes in SUBTYPES.values() for key, label in subtypes.items()}
TASK_OF_SUBTYPE = {key: task for task, subtypes in SUBTYPES.items() for key in subtypes}

# Whole-number figures: every one is 0 or more, checked by the form, the API and the database.
COUNT_FIELDS = (
    "events",
    "participants",
    "speakers",
    "papers",
    "foreign_participants",
    "audience",
    "volunteers",
    "volunteer_hours",
    "venues_opened",
    "venue_visitors",
    "mentors",
    "mentees",
    "talents_selected",
    "projects",
    "secondary_students",
)
# The figures each task asks for, in the order its form shows them.
FIGURES: dict[Task, tuple[str, ...]] = {
    Task.ACADEMIC: (
        "events",
        "participants",
        "speakers",
        "papers",
        "foreign_participants",
        "countries",
    ),
    Task.POPULARISATION: (
        "events",
        "audience",
        "speakers",
        "volunteers",
        "volunteer_hours",
        "venues_opened",
        "venue_visitors",
    ),
    Task.TALENT: ("events", "participants", "speakers", "mentors", "mentees", "talents_selected"),
    Task.INTEGRITY: (
        "events",
        "audience",
        "speakers",
        "speaker_kind",
        "speaker_name",
        "audience_group",
    ),
    Task.STUDENT_PRACTICE: ("events", "participants", "mentors", "projects", "secondary_students"),
}
# Who was there, per task: it can never be fewer than the speakers.
HEADCOUNT = {
    Task.ACADEMIC: "participants",
    Task.POPULARISATION: "audience",
    Task.TALENT: "participants",
    Task.INTEGRITY: "audience",
    Task.STUDENT_PRACTICE: "participants",
}
FIGURE_LABELS = {
    "events": _l("Events"),
    "participants": _l("Participants"),
    "speakers": _l("Speakers"),
    "papers": _l("Papers and reports presented"),
    "foreign_participants": _l("Foreign participants"),
    "countries": _l("Countries and regions of the foreign participants"),
    "audience": _l("Audience reached"),
    "volunteers": _l("Volunteers"),
    "volunteer_hours": _l("Volunteer hours"),
    "venues_opened": _l("Venues opened"),
    "venue_visitors": _l("Visitors to the venues"),
    "mentors": _l("Mentors"),
    "mentees": _l("Mentees"),
    "talents_selected": _l("Young talents selected"),
    "projects": _l("Projects"),
    "secondary_students": _l("Secondary-school students hosted"),
    "speaker_kind": _l("Speaker"),
    "speaker_name": _l("Speaker's name"),
    "audience_group": _l("Audience group"),
}


class SpeakerKind(StrEnum):
    ACADEMICIAN = "academician"
    PROFESSOR = "professor"
    OTHER = "other"


SPEAKER_KIND_LABELS = {
    SpeakerKind.ACADEMICIAN: _l("Academician"),
    SpeakerKind.PROFESSOR: _l("Professor"),
    SpeakerKind.OTHER: _l("Other speaker"),
}


class AudienceGroup(StrEnum):
    UNDERGRADUATE = "undergraduate"
    GRADUATE = "graduate"
    YOUNG_TEACHER = "young_teacher"


AUDIENCE_GROUP_LABELS = {
    AudienceGroup.UNDERGRADUATE: _l("Undergraduates"),
    AudienceGroup.GRADUATE: _l("Graduate students"),
    AudienceGroup.YOUNG_TEACHER: _l("Young teachers"),
}


class Visibility(StrEnum):
    PRIVATE = "private"  # the association only
    FEDERATION = "federation"  # also its federation's officers and supervisors
    PUBLIC = "public"  # also the federation's public calendar


VISIBILITY_LABELS = {
    Visibility.PRIVATE: _l("Only our association"),
    Visibility.FEDERATION: _l("Our association and the federation"),
    Visibility.PUBLIC: _l("Public"),
}


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    REPORTED = "reported"


ACTIVITY_STATUS_LABELS = {
    ActivityStatus.PLANNED: _l("Planned"),
    ActivityStatus.HELD: _l("Held"),
    ActivityStatus.REPORTED: _l("Reported"),
}
NEXT_STATUS = {
    ActivityStatus.PLANNED: ActivityStatus.HELD,
    ActivityStatus.HELD: ActivityStatus.REPORTED,
}
# What the figures count: activities that took place. A planned one is a promise.
COUNTED_STATUSES = (ActivityStatus.HELD.value, ActivityStatus.REPORTED.value)
# The list's status filter also takes "counted": the activities every statistic counts,
# so a figure's "records behind it" link lists exactly what the figure counts.
COUNTED = "counted"
STATUS_FILTER_LABELS = {
    **ACTIVITY_STATUS_LABELS,
    COUNTED: _l("Counted in the statistics (held or reported)"),
}


class PartnerKind(StrEnum):
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    ENTERPRISE = "enterprise"
    OTHER = "other"


PARTNER_KIND_LABELS = {
    PartnerKind.UNIVERSITY: _l("University"),
    PartnerKind.INSTITUTE: _l("Research institute"),
    PartnerKind.ENTERPRISE: _l("Enterprise"),
    PartnerKind.OTHER: _l("Other organisation"),
}


def _non_negative(*columns: str) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in columns]


class Activity(TenantOwned, db.Model):
    """One activity (or a series counted together) of one of the five tasks."""

    __tablename__ = "activity"
    __tenant_table_args__ = (
        tenant_fk("organiser_group_id", "group_member"),
        sa.Index("ix_activity_tenant_task_starts", "tenant_id", "task", "starts_on"),
        sa.Index("ix_activity_tenant_starts", "tenant_id", "starts_on"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        *_non_negative(*COUNT_FIELDS),
    )

    task: Mapped[str] = mapped_column(sa.String(30))
    subtype: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    place: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The association itself when empty, else one of its group members.
    organiser_group_id: Mapped[int | None]
    # [{"name": ..., "kind": PartnerKind}]
    co_organisers: Mapped[list | None] = mapped_column(sa.JSON)
    visibility: Mapped[str] = mapped_column(sa.String(20), default=Visibility.PRIVATE.value)
    status: Mapped[str] = mapped_column(sa.String(20), default=ActivityStatus.PLANNED.value)

    events: Mapped[int] = mapped_column(default=1)
    participants: Mapped[int] = mapped_column(default=0)
    speakers: Mapped[int] = mapped_column(default=0)
    papers: Mapped[int] = mapped_column(default=0)
    foreign_participants: Mapped[int] = mapped_column(default=0)
    countries: Mapped[list | None] = mapped_column(sa.JSON)
    audience: Mapped[int] = mapped_column(default=0)
    volunteers: Mapped[int] = mapped_column(default=0)
    volunteer_hours: Mapped[int] = mapped_column(default=0)
    venues_opened: Mapped[int] = mapped_column(default=0)
    venue_visitors: Mapped[int] = mapped_column(default=0)
    mentors: Mapped[int] = mapped_column(default=0)
    mentees: Mapped[int] = mapped_column(default=0)
    talents_selected: Mapped[int] = mapped_column(default=0)
    projects: Mapped[int] = mapped_column(default=0)
    secondary_students: Mapped[int] = mapped_column(default=0)
    speaker_kind: Mapped[str | None] = mapped_column(sa.String(20))
    speaker_name: Mapped[str | None] = mapped_column(sa.String(50))
    audience_group: Mapped[str | None] = mapped_column(sa.String(20))

    held_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def task_label(self) -> str:
        return str(TASK_LABELS[Task(self.task)])

    @property
    def subtype_label(self) -> str:
        return str(SUBTYPE_LABELS.get(self.subtype, self.subtype))

    @property
    def status_label(self) -> str:
        return str(ACTIVITY_STATUS_LABELS[ActivityStatus(self.status)])

    @property
    def visibility_label(self) -> str:
        return str(VISIBILITY_LABELS[Visibility(self.visibility)])

    @property
    def headcount(self) -> int:
        return getattr(self, HEADCOUNT[Task(self.task)])


class ActivityEvidence(TenantOwned, db.Model):
    """A file or photo that shows an activity took place: one of the association's stored
    files (checked, kept per tenant), linked to the activity."""

    __tablename__ = "activity_evidence"
    __tenant_table_args__ = (
        tenant_fk("activity_id", "activity", ondelete="CASCADE"),
        tenant_fk("file_id", "stored_file"),
        sa.Index("ix_activity_evidence_tenant_activity", "tenant_id", "activity_id"),
    )

    activity_id: Mapped[int]
    file_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[StoredFile] = db.relationship(
        primaryjoin="and_(foreign(ActivityEvidence.tenant_id) == StoredFile.tenant_id,"
        " foreign(ActivityEvidence.file_id) == StoredFile.id)",
        viewonly=True,
        lazy="joined",
    )


# --- outcomes of academic exchange ---------------------------------------------------------


class RecipientLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    LOCAL = "local"
    OTHER = "other"


RECIPIENT_LEVEL_LABELS = {
    RecipientLevel.NATIONAL: _l("National"),
    RecipientLevel.PROVINCIAL: _l("Provincial"),
    RecipientLevel.LOCAL: _l("City or county"),
    RecipientLevel.OTHER: _l("Other"),
}


class ConsultingReport(TenantOwned, db.Model):
    """A decision-consulting report (决策咨询报告): to whom it went, and whether it was adopted."""

    __tablename__ = "consulting_report"
    __tenant_table_args__ = (
        sa.Index("ix_consulting_report_tenant_submitted", "tenant_id", "submitted_on"),
        sa.CheckConstraint(
            "adopted_on IS NULL OR adopted_on >= submitted_on", name="adopted_after_submitted"
        ),
    )

    title: Mapped[str] = mapped_column(sa.String(200))
    authors: Mapped[str | None] = mapped_column(sa.String(200))
    recipient: Mapped[str] = mapped_column(sa.String(200))
    recipient_level: Mapped[str] = mapped_column(sa.String(20))
    submitted_on: Mapped[date]
    adopted: Mapped[bool] = mapped_column(default=False)
    adopted_on: Mapped[date | None]
    adoption_note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TransferMode(StrEnum):
    TRANSFER = "transfer"
    LICENCE = "licence"
    JOINT_DEVELOPMENT = "joint_development"
    TECHNICAL_SERVICE = "technical_service"


TRANSFER_MODE_LABELS = {
    TransferMode.TRANSFER: _l("Transfer of rights"),
    TransferMode.LICENCE: _l("Licence"),
    TransferMode.JOINT_DEVELOPMENT: _l("Joint development"),
    TransferMode.TECHNICAL_SERVICE: _l("Technical service"),
}


class TechTransfer(TenantOwned, db.Model):
    """A technology-transfer outcome (科技成果转化): contracts signed and their value."""

    __tablename__ = "tech_transfer"
    __tenant_table_args__ = (
        sa.Index("ix_tech_transfer_tenant_signed", "tenant_id", "signed_on"),
        *_non_negative("contracts", "value_yuan"),
    )

    title: Mapped[str] = mapped_column(sa.String(200))
    partner: Mapped[str] = mapped_column(sa.String(200))
    mode: Mapped[str] = mapped_column(sa.String(30))
    signed_on: Mapped[date]
    contracts: Mapped[int] = mapped_column(default=1)
    # Whole yuan; shown in 万元.
    value_yuan: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- talent: nominations and exemplars ------------------------------------------------------


class AwardLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    OTHER = "other"


AWARD_LEVEL_LABELS = {
    AwardLevel.NATIONAL: _l("National"),
    AwardLevel.PROVINCIAL: _l("Provincial"),
    AwardLevel.OTHER: _l("Other"),
}
PROVINCIAL_OR_HIGHER = (AwardLevel.NATIONAL.value, AwardLevel.PROVINCIAL.value)


class NominationStatus(StrEnum):
    PROPOSED = "proposed"  # by the association, awaiting the federation
    ENDORSED = "endorsed"  # the federation recommends the nominee upward
    DECLINED = "declined"  # the federation does not, with its reason
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


NOMINATION_STATUS_LABELS = {
    NominationStatus.PROPOSED: _l("Proposed"),
    NominationStatus.ENDORSED: _l("Endorsed by the federation"),
    NominationStatus.DECLINED: _l("Declined by the federation"),
    NominationStatus.AWARDED: _l("Awarded"),
    NominationStatus.NOT_AWARDED: _l("Not awarded"),
}
# Nominations that went forward to the award (what the reports count as nominated).
NOMINATED_STATUSES = (
    NominationStatus.ENDORSED.value,
    NominationStatus.AWARDED.value,
    NominationStatus.NOT_AWARDED.value,
)


class Nomination(TenantOwned, db.Model):
    """A nominee for an S&T award (人才举荐). The name is shown publicly only with consent."""

    __tablename__ = "nomination"
    __tenant_table_args__ = (
        tenant_fk("nominee_member_id", "member"),
        sa.Index("ix_nomination_tenant_year", "tenant_id", "year"),
        sa.CheckConstraint(
            "NOT consent_given OR consent_recorded_at IS NOT NULL", name="consent_recorded"
        ),
    )

    award: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[str] = mapped_column(sa.String(20))
    year: Mapped[int]
    nominee_name: Mapped[str] = mapped_column(sa.String(50), info=PERSONAL)
    nominee_unit: Mapped[str | None] = mapped_column(sa.String(200))
    nominee_member_id: Mapped[int | None]
    citation: Mapped[str | None] = mapped_column(sa.Text)
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_recorded_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=NominationStatus.PROPOSED.value)
    proposed_by: Mapped[str] = mapped_column(sa.String(120), default="")
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))
    outcome_recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def level_label(self) -> str:
        return str(AWARD_LEVEL_LABELS[AwardLevel(self.level)])

    @property
    def status_label(self) -> str:
        return str(NOMINATION_STATUS_LABELS[NominationStatus(self.status)])


class ExemplarKind(StrEnum):
    PERSON = "person"
    TEAM = "team"


EXEMPLAR_KIND_LABELS = {ExemplarKind.PERSON: _l("Person"), ExemplarKind.TEAM: _l("Team")}


class ExemplarStatus(StrEnum):
    PROPOSED = "proposed"
    RECOGNISED = "recognised"
    DECLINED = "declined"


EXEMPLAR_STATUS_LABELS = {
    ExemplarStatus.PROPOSED: _l("Proposed"),
    ExemplarStatus.RECOGNISED: _l("Recognised by the federation"),
    ExemplarStatus.DECLINED: _l("Declined by the federation"),
}


class Exemplar(TenantOwned, db.Model):
    """An exemplar (先进典型): proposed by the association, recognised by the federation,
    and published on the federation's page only when recognised and consented to."""

    __tablename__ = "exemplar"
    __tenant_table_args__ = (
        sa.Index("ix_exemplar_tenant_year", "tenant_id", "year"),
        sa.CheckConstraint(
            "NOT published OR (status = 'recognised' AND consent_to_publish)",
            name="published_only_recognised_with_consent",
        ),
    )

    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100), info=PERSONAL)
    unit: Mapped[str | None] = mapped_column(sa.String(200))
    deeds: Mapped[str] = mapped_column(sa.Text)
    year: Mapped[int]
    consent_to_publish: Mapped[bool] = mapped_column(default=False)
    consent_recorded_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=ExemplarStatus.PROPOSED.value)
    proposed_by: Mapped[str] = mapped_column(sa.String(120), default="")
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return str(EXEMPLAR_KIND_LABELS[ExemplarKind(self.kind)])

    @property
    def status_label(self) -> str:
        return str(EXEMPLAR_STATUS_LABELS[ExemplarStatus(self.status)])
