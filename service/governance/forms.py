"""Web forms for governance records."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize, MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from service.associations import services as associations
from service.governance.models import (
    BODY_LABELS,
    ELIGIBILITY_LABELS,
    POST_LABELS,
    Body,
)
from service.governance.services import NewMember
from service.i18n import lazy_gettext as _l
from service.validation import DateField, IntegerField
from service.web.choices import options

# A line of the member list: "name, unit", with "常委" (or "standing") as a third column for a
# standing-committee member. Clerks paste these from the congress's election notice.
STANDING_MARKS = {"常委", "standing", "常务委员"}


def parse_members(text: str) -> list[NewMember]:
    members = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not parts[0]:
            continue
        if len(parts) > 3 or len(parts[0]) > 50 or (len(parts) > 1 and len(parts[1]) > 100):
            raise ValidationError(str(_l("Line %(n)d is not “name, unit[, 常委]”.", n=number)))
        standing = len(parts) == 3 and parts[2] in STANDING_MARKS
        if len(parts) == 3 and not standing:
            message = _l("Line %(n)d: the third column may only be 常委.", n=number)
            raise ValidationError(str(message))
        members.append(NewMember(parts[0], (parts[1] if len(parts) > 1 else "") or None, standing))
    return members


class CongressForm(FlaskForm):
    held_on = DateField(_l("Held on"), validators=[DataRequired()])
    delegates = IntegerField(
        _l("Delegates present"), validators=[DataRequired(), NumberRange(min=1, max=100000)]
    )
    members = TextAreaField(
        _l("Committee elected (one per line: name, unit[, 常委])"),
        validators=[Optional(), Length(max=20000)],
    )
    term_ends_on = DateField(_l("Committee term ends on"), validators=[Optional()])
    standing_committee_formed_on = DateField(
        _l("Standing committee formed on"), validators=[Optional()]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def validate_members(self, field) -> None:
        parse_members(field.data or "")

    def elected_members(self) -> list[NewMember]:
        return parse_members(self.members.data or "")


class MeetingForm(FlaskForm):
    body = SelectField(_l("Body"), validators=[DataRequired()])
    held_on = DateField(_l("Held on"), validators=[DataRequired()])
    attendance = IntegerField(
        _l("Attendance"), validators=[DataRequired(), NumberRange(min=1, max=10000)]
    )
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=20000)])
    minutes_file = FileField(_l("Minutes as a file (PDF or image)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body.choices = options(
            (b.value, str(BODY_LABELS[b])) for b in (Body.COMMITTEE, Body.STANDING_COMMITTEE)
        )


class OfficerForm(FlaskForm):
    post = SelectField(_l("Post"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    starts_on = DateField(_l("Term starts on"), validators=[DataRequired()])
    eligibility = SelectField(_l("Eligible as (chair and vice-chairs)"), validators=[Optional()])
    eligibility_basis = StringField(
        _l("Basis (post held, or standing as an expert)"), validators=[Optional(), Length(max=200)]
    )
    nominated_on = DateField(
        _l("Nominated by the chair on (secretary-general)"), validators=[Optional()]
    )
    approving_meeting_id = SelectField(
        _l("Approved at the meeting (secretary-general)"), validators=[Optional()], coerce=str
    )

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.post.choices = options((p.value, str(label)) for p, label in POST_LABELS.items())
        self.eligibility.choices = options(
            [("", "—"), *((e.value, str(label)) for e, label in ELIGIBILITY_LABELS.items())]
        )
        self.approving_meeting_id.choices = options(
            [("", "—"), *((str(m.id), f"{m.held_on.isoformat()} {m.body_label}") for m in meetings)]
        )


class EndTermForm(FlaskForm):
    ends_on = DateField(_l("Term ends on"), validators=[DataRequired()])


class SecretariatForm(FlaskForm):
    host_office = StringField(
        _l("Host office of the secretariat"), validators=[DataRequired(), Length(max=100)]
    )


class TrackingKeyForm(FlaskForm):
    """The applicant's key, which their link carries after `#`: the page posts it, so the
    key never appears in a URL a server logs."""

    key = StringField(_l("Tracking key"), validators=[DataRequired(), Length(max=100)])


class ApplicationForm(FlaskForm):
    """What a university states when it applies to found an association."""

    federation_id = SelectField(_l("Provincial federation"), validators=[DataRequired()])
    university_name = StringField(_l("University"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("University category"), validators=[DataRequired()])
    charter_accepted = BooleanField(
        _l("We accept the Charter of the China Association for Science and Technology")
    )
    st_workers = IntegerField(
        _l("Number of S&T workers"), validators=[DataRequired(), NumberRange(min=1, max=1000000)]
    )
    host_office = StringField(
        _l("Host office of the secretariat"), validators=[DataRequired(), Length(max=100)]
    )
    proposed_chair = StringField(_l("Proposed chair"), validators=[DataRequired(), Length(max=50)])
    proposed_chair_basis = StringField(
        _l("Basis (post held, or standing as an expert)"),
        validators=[DataRequired(), Length(max=200)],
    )
    proposed_vice_chairs = TextAreaField(
        _l("Proposed vice-chairs (one per line, with the basis)"),
        validators=[DataRequired(), Length(max=2000)],
    )
    proposed_secretary_general = StringField(
        _l("Proposed secretary-general"), validators=[DataRequired(), Length(max=50)]
    )
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=50)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[DataRequired(), Email(), Length(max=120)]
    )
    documents = MultipleFileField(
        _l("Supporting documents (PDF or image; several may be chosen)"),
    )

    def __init__(self, *args, federations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.federation_id.choices = options((str(f.id), f.name) for f in federations)
        self.category.choices = options(
            (code, str(label)) for code, label in associations.default_category_labels().items()
        )


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=options(
            [
                ("approve", _l("Approve")),
                ("return", _l("Return for revision")),
                ("reject", _l("Reject")),
            ]
        ),
        validators=[DataRequired()],
    )
    document_number = StringField(
        _l("Approval document number"), validators=[Optional(), Length(max=50)]
    )
    comment = TextAreaField(
        _l("Comments for revision, or the reason for rejection"),
        validators=[Optional(), Length(max=5000)],
    )


class LifecycleForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ThresholdsForm(FlaskForm):
    """One field per threshold; a province may only tighten the document's values."""

    congress_max_years = IntegerField(validators=[DataRequired()])
    congress_due_soon_years = IntegerField(validators=[DataRequired()])
    committee_meetings_per_year = IntegerField(validators=[DataRequired()])
    standing_meetings_per_year = IntegerField(validators=[DataRequired()])
    standing_meetings_max_per_year = IntegerField(validators=[DataRequired()])
    meeting_due_soon_days = IntegerField(validators=[DataRequired()])

    def __init__(self, *args, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in (labels or {}).items():
            getattr(self, key).label.text = str(label)


class ProvisionForm(FlaskForm):
    workbook = FileField(
        _l("Spreadsheet (.xlsx)"),
        validators=[
            FileRequired(),
            FileAllowed(["xlsx"], _l("Upload an Excel workbook (.xlsx).")),
            FileSize(max_size=5 * 1024 * 1024, message=_l("The file is larger than 5 MB.")),
        ],
    )


class ExplanationForm(FlaskForm):
    """The federation's explanation of a finding: why a period was missed, and what follows."""

    explanation = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=4000)])
