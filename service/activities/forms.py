"""Web forms: one activity form per task (its own figures), evidence, outcomes, talent."""

from __future__ import annotations

from datetime import date
from functools import cache

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from service.activities.models import (
    AUDIENCE_GROUP_LABELS,
    AWARD_LEVEL_LABELS,
    COUNT_FIELDS,
    EXEMPLAR_KIND_LABELS,
    FIGURE_LABELS,
    FIGURES,
    RECIPIENT_LEVEL_LABELS,
    SPEAKER_KIND_LABELS,
    STATUS_FILTER_LABELS,
    SUBTYPE_LABELS,
    SUBTYPES,
    TRANSFER_MODE_LABELS,
    VISIBILITY_LABELS,
    PartnerKind,
    Task,
)
from service.activities.services import MAX_FIGURE
from service.i18n import lazy_gettext as _l
from service.validation import ID_MAX, DateField, IntegerField
from service.web import bulk
from service.web.choices import options

# One text box per kind of co-organiser, one name a line.
CO_ORGANISER_FIELDS = {
    PartnerKind.UNIVERSITY: "co_universities",
    PartnerKind.INSTITUTE: "co_institutes",
    PartnerKind.ENTERPRISE: "co_enterprises",
    PartnerKind.OTHER: "co_others",
}


def _choices(labels: dict) -> list[SelectChoice]:
    return options((str(key), str(label)) for key, label in labels.items())


def _count(name: str) -> IntegerField:
    return IntegerField(
        FIGURE_LABELS[name],
        default=1 if name == "events" else 0,
        validators=[
            InputRequired(message=_l("Give a whole number, 0 or more.")),
            NumberRange(0, MAX_FIGURE, message=_l("Give a whole number, 0 or more.")),
        ],
    )


class ActivityForm(FlaskForm):
    """The fields every task has; `activity_form(task)` adds that task's figures."""

    subtype = SelectField(_l("Type"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    organiser_group_id = SelectField(_l("Organised by"), validators=[Optional()])
    co_universities = TextAreaField(
        _l("Co-organising universities (one a line)"), validators=[Optional(), Length(max=4000)]
    )
    co_institutes = TextAreaField(
        _l("Co-organising research institutes (one a line)"),
        validators=[Optional(), Length(max=4000)],
    )
    co_enterprises = TextAreaField(
        _l("Co-organising enterprises (one a line)"), validators=[Optional(), Length(max=4000)]
    )
    co_others = TextAreaField(
        _l("Other co-organisers (one a line)"), validators=[Optional(), Length(max=4000)]
    )
    visibility = SelectField(_l("Who may see it"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])

    task: Task = Task.ACADEMIC
    figure_names: tuple[str, ...] = ()

    def __init__(self, *args, organisers: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subtype.choices = _choices(SUBTYPES[self.task])
        self.visibility.choices = _choices(VISIBILITY_LABELS)
        self.organiser_group_id.choices = options(
            [
                ("", str(_l("The association itself"))),
                *((str(i), name) for i, name in (organisers or {}).items()),
            ]
        )
        if hasattr(self, "speaker_kind"):
            self.speaker_kind.choices = _choices(SPEAKER_KIND_LABELS)
            self.audience_group.choices = _choices(AUDIENCE_GROUP_LABELS)

    def base_fields(self) -> list:
        names = ("subtype", "title", "starts_on", "ends_on", "place", "organiser_group_id")
        return [self[n] for n in names]

    def partner_fields(self) -> list:
        return [self[n] for n in CO_ORGANISER_FIELDS.values()]

    def figure_fields(self) -> list:
        return [self[n] for n in self.figure_names]

    def fill_from(self, activity) -> None:
        """Put a stored activity's co-organisers and countries into the text boxes."""
        for kind, name in CO_ORGANISER_FIELDS.items():
            names = [p["name"] for p in activity.co_organisers or [] if p.get("kind") == kind]
            self[name].data = "\n".join(names)
        if "countries" in self:
            self["countries"].data = "、".join(activity.countries or [])
        self.organiser_group_id.data = str(activity.organiser_group_id or "")

    def activity_data(self) -> dict:
        """The form's answers as the service takes them."""
        data = {
            "task": self.task.value,
            "subtype": self.subtype.data,
            "title": self.title.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "place": self.place.data,
            "description": self.description.data,
            "visibility": self.visibility.data,
            "organiser_group_id": self.organiser_group_id.data or None,
            "co_organisers": [
                {"name": line.strip(), "kind": kind.value}
                for kind, name in CO_ORGANISER_FIELDS.items()
                for line in (self[name].data or "").splitlines()
                if line.strip()
            ],
        }
        for name in self.figure_names:
            data[name] = self[name].data
        return data


@cache
def activity_form(task: Task) -> type[ActivityForm]:
    """The form class of one task: the common fields and the figures that task asks for."""
    fields: dict = {"task": task, "figure_names": FIGURES[task]}
    for name in FIGURES[task]:
        if name in COUNT_FIELDS:
            fields[name] = _count(name)
        elif name == "countries":
            fields[name] = StringField(
                _l("Countries and regions of the foreign participants (separated by 、)"),
                validators=[Optional(), Length(max=2000)],
            )
        elif name == "speaker_name":
            fields[name] = StringField(FIGURE_LABELS[name], validators=[Optional(), Length(max=50)])
        else:  # speaker_kind, audience_group
            fields[name] = SelectField(FIGURE_LABELS[name], validators=[DataRequired()])
    return type(f"{task.value.title()}ActivityForm", (ActivityForm,), fields)


@cache
def new_activity_form(task: Task) -> type[ActivityForm]:
    """A new activity may be recorded as planned, or after the fact as held."""
    status = SelectField(
        _l("Status"),
        choices=options([("planned", _l("Planned")), ("held", _l("Held"))]),
        validators=[DataRequired()],
    )
    return type(f"New{task.value.title()}ActivityForm", (activity_form(task),), {"status": status})


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class EvidenceForm(FlaskForm):
    file = FileField(_l("Evidence file or photo"), validators=[FileRequired()])


class ConsultingReportForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    authors = StringField(_l("Authors"), validators=[Optional(), Length(max=200)])
    recipient = StringField(_l("Submitted to"), validators=[DataRequired(), Length(max=200)])
    recipient_level = SelectField(_l("Level of the recipient"), validators=[DataRequired()])
    submitted_on = DateField(_l("Submitted on"), validators=[DataRequired()])
    adopted = BooleanField(_l("Adopted"))
    adopted_on = DateField(_l("Adopted on"), validators=[Optional()])
    adoption_note = StringField(
        _l("How it was adopted (instruction, policy document…)"),
        validators=[Optional(), Length(max=500)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipient_level.choices = _choices(RECIPIENT_LEVEL_LABELS)


class TechTransferForm(FlaskForm):
    title = StringField(_l("Outcome transferred"), validators=[DataRequired(), Length(max=200)])
    partner = StringField(_l("Partner enterprise"), validators=[DataRequired(), Length(max=200)])
    mode = SelectField(_l("How"), validators=[DataRequired()])
    signed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    contracts = IntegerField(
        _l("Contracts"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)]
    )
    value_yuan = IntegerField(
        _l("Contract value (yuan)"),
        default=0,
        validators=[InputRequired(), NumberRange(0, 10**12)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = _choices(TRANSFER_MODE_LABELS)


class NominationForm(FlaskForm):
    award = StringField(_l("Award"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"), validators=[DataRequired()])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    nominee_name = StringField(_l("Nominee"), validators=[DataRequired(), Length(max=50)])
    nominee_unit = StringField(_l("Department or unit"), validators=[Optional(), Length(max=200)])
    citation = TextAreaField(_l("Achievements"), validators=[Optional(), Length(max=5000)])
    consent_given = BooleanField(_l("The nominee has agreed to be named"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = _choices(AWARD_LEVEL_LABELS)


class ConsentForm(FlaskForm):
    consent = BooleanField(_l("Consent on record"))


class OutcomeForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=options([("awarded", _l("Awarded")), ("not_awarded", _l("Not awarded"))]),
        validators=[DataRequired()],
    )


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=options([("approve", _l("Approve")), ("decline", _l("Decline"))]),
        validators=[DataRequired()],
    )
    reason = StringField(
        _l("Reason (required to decline)"), validators=[Optional(), Length(max=500)]
    )


class ExemplarForm(FlaskForm):
    kind = SelectField(_l("Person or team"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    unit = StringField(_l("Department or unit"), validators=[Optional(), Length(max=200)])
    deeds = TextAreaField(_l("What they did"), validators=[DataRequired(), Length(max=5000)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    consent_to_publish = BooleanField(_l("They agree to be published on the federation's page"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(EXEMPLAR_KIND_LABELS)


class PublishForm(FlaskForm):
    publish = SelectField(
        _l("Publication"),
        choices=options([("1", _l("Publish")), ("0", _l("Take off the page"))]),
        validators=[DataRequired()],
    )


# --- the list's filters and a choice of many ------------------------------------------------


def parse_int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def list_filters(args: MultiDict) -> dict:
    """The activity list's filters from a query string; anything malformed is ignored."""
    task = args.get("task") if args.get("task") in {t.value for t in Task} else None
    subtype = args.get("subtype") if args.get("subtype") in SUBTYPE_LABELS else None
    if task and subtype and subtype not in SUBTYPES[Task(task)]:
        subtype = None
    organiser = args.get("organiser") or None
    if organiser and organiser != "association" and parse_int(organiser, 1, ID_MAX) is None:
        organiser = None
    status = args.get("status") if args.get("status") in STATUS_FILTER_LABELS else None
    return {
        "task": task,
        "subtype": subtype,
        "year": parse_int(args.get("year"), 2000, 2100),
        "starts_from": _date(args.get("from")),
        "ends_by": _date(args.get("to")),
        "organiser": organiser,
        "status": status,
        "association_id": parse_int(args.get("association_id"), 1, ID_MAX),
    }


def bulk_choice(form: MultiDict, args: MultiDict) -> tuple[list[int], dict | None]:
    """(ticked ids, None), or ([], the filter) when the clerk chose every activity matching
    the list's current filter (carried in the query string). A malformed id is a 400."""
    if bulk.all_matching(form):
        return [], list_filters(args)
    return bulk.chosen_ids(form, "activity_id"), None
