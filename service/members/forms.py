"""Web forms for members, group members, the joining policy and imports."""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from service.i18n import lazy_gettext as _l
from service.members.models import (
    KIND_LABELS,
    STATUS_LABELS,
    TITLE_LABELS,
    JoiningProcedure,
)
from service.validation import PHONE_PATTERN, DateField, IntegerField
from service.web import bulk
from service.web.choices import options

PHONE_MESSAGE = _l("Enter a mobile number or a landline such as 010-12345678.")


def _choices(labels: dict) -> list[SelectChoice]:
    return options((key.value, str(label)) for key, label in labels.items())


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    staff_number = StringField(_l("Staff number"), validators=[Optional(), Length(max=30)])
    phone = StringField(
        _l("Mobile phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)]
    )
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    gender = SelectField(_l("Gender"), validators=[Optional()])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional(), NumberRange(1930, 2010)])
    department = StringField(_l("Department"), validators=[Optional(), Length(max=100)])
    discipline = StringField(_l("Discipline"), validators=[Optional(), Length(max=100)])
    title = SelectField(_l("Professional title"), validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=100)])
    societies = StringField(_l("Societies"), validators=[Optional(), Length(max=500)])
    in_cast_society = BooleanField(_l("Member of a CAST-affiliated society"))
    exception_reason = StringField(
        _l("Reason for an exception (if neither of the above)"),
        validators=[Optional(), Length(max=500)],
    )
    joined_on = DateField(_l("Joined on"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title.choices = _choices(TITLE_LABELS)
        self.gender.choices = options(
            [("", "—"), ("female", str(_l("Female"))), ("male", str(_l("Male")))]
        )


class SelfServiceForm(FlaskForm):
    """What a member may correct themself."""

    phone = MemberForm.phone
    email = MemberForm.email
    department = MemberForm.department
    discipline = MemberForm.discipline
    position = MemberForm.position


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), validators=[DataRequired()])
    on = DateField(_l("Since"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _choices(STATUS_LABELS)


class BulkStatusForm(StatusForm):
    """The status (and the day it holds from) for every member chosen on the list."""

    def chosen(self, args: MultiDict) -> tuple[list[int], dict | None]:
        """(ticked ids, None), or ([], the list's filter) for every member of the filter."""
        if bulk.all_matching(request.form):
            return [], list_filters(args)
        return bulk.chosen_ids(request.form, "member_id"), None


def list_filters(args: MultiDict) -> dict:
    """The member list's filters from a query string (unknown values are ignored): the
    page, its exports and its bulk form read the same ones."""
    return {
        "search": args.get("q", "").strip()[:50] or None,
        "status": args.get("status") if args.get("status") in STATUS_LABELS else None,
        "title": args.get("title") if args.get("title") in TITLE_LABELS else None,
    }


class GroupMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    kind_name = StringField(
        _l("Own kind name (for “Other”)"), validators=[Optional(), Length(max=100)]
    )
    leader_name = StringField(_l("Leader"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(
        _l("Contact phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)]
    )
    member_count = IntegerField(
        _l("Number of members"), default=0, validators=[NumberRange(0, 10**6)]
    )
    joined_on = DateField(_l("Joined on"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[DataRequired()])
    reason = StringField(_l("Reason for a status change"), validators=[Optional(), Length(max=500)])
    # The day a status change takes effect (today when left empty).
    status_on = DateField(_l("Since"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(KIND_LABELS)
        self.status.choices = options(
            [
                ("active", str(_l("Active"))),
                ("inactive", str(_l("Inactive"))),
                ("dissolved", str(_l("Dissolved"))),
            ]
        )

    def validate_kind_name(self, field) -> None:
        if self.kind.data == "other" and not (field.data or "").strip():
            raise ValueError(str(_l("Name the kind.")))


class PolicyForm(FlaskForm):
    procedure = SelectField(_l("Joining procedure"), validators=[DataRequired()])
    rights_and_duties = TextAreaField(
        _l("Members' rights and duties"), validators=[DataRequired(), Length(max=20000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure.choices = options(
            [
                (JoiningProcedure.OPEN_WITH_APPROVAL.value, str(_l("Open, with approval"))),
                (JoiningProcedure.INVITATION_ONLY.value, str(_l("Invitation only"))),
            ]
        )


class ImportForm(FlaskForm):
    file = FileField(_l("Member file (.xlsx or .csv)"), validators=[FileRequired()])


class ImportReviewForm(FlaskForm):
    """The choices on an import's review page; the mapping, fixed cells and excluded rows
    are the page's own fields (one per column, cell and row), read by the view."""

    mode = SelectField(
        _l("If some rows have problems"),
        choices=options(
            [
                ("all", _l("Import nothing until every row is right")),
                ("valid", _l("Import the valid rows; download the others to fix")),
            ]
        ),
    )
    on_match = SelectField(
        _l("Rows of existing members"),
        choices=options(
            [
                ("skip", _l("Leave the existing members as they are")),
                ("update", _l("Update them with the changes shown")),
            ]
        ),
    )


class TitleWordForm(FlaskForm):
    word = StringField(
        _l("Job title as your files write it"), validators=[DataRequired(), Length(max=50)]
    )
    level = SelectField(_l("Title level"), choices=_choices(TITLE_LABELS))


class ApplicationForm(FlaskForm):
    """The public form: what the applicant tells about themself, and their consent."""

    name = MemberForm.name
    phone = MemberForm.phone
    email = MemberForm.email
    department = MemberForm.department
    title = SelectField(_l("Professional title"), validators=[DataRequired()])
    societies = MemberForm.societies
    in_cast_society = MemberForm.in_cast_society
    statement = TextAreaField(
        _l("Why you wish to join (needed if neither condition above applies)"),
        validators=[Optional(), Length(max=1000)],
    )
    consent = BooleanField(
        _l("I accept the members' rights and duties and the use of my data as stated."),
        validators=[DataRequired(message=_l("Membership needs your consent."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title.choices = _choices(TITLE_LABELS)


class DecisionForm(FlaskForm):
    reason = StringField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=500)]
    )


class MergeForm(FlaskForm):
    """The decision on the side-by-side page: merge into the member shown, create a new
    member, or reject. The name is chosen only when the two names differ."""

    decision = RadioField(
        _l("Decision"),
        choices=options(
            [
                ("merge", _l("Merge into the existing member")),
                ("new", _l("Create a new member")),
                ("reject", _l("Reject the application")),
            ]
        ),
        validators=[DataRequired()],
    )
    keep_name = RadioField(_l("The name the member keeps"), choices=[], validators=[Optional()])
    reason = StringField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=500)]
    )

    def __init__(self, member_name: str, applicant_name: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_name.choices = options(
            [
                ("member", _l("%(name)s (the member's)", name=member_name)),
                ("application", _l("%(name)s (the application's)", name=applicant_name)),
            ]
        )
