"""Forms of the federation's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from service.federation.comments import MAX_LENGTH as COMMENT_LENGTH
from service.federation.dashboards import SCORED
from service.federation.models import AUDIENCE_LABELS, PROBLEM_STATE_LABELS
from service.i18n import lazy_gettext as _l
from service.validation import IntegerField
from service.web.choices import options


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (the table's column choice)."""


class CategoryChangeForm(FlaskForm):
    category = SelectField(_l("New category"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])

    def __init__(self, *args, categories: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = options(categories.items())


class CategoryForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


class UniversityForm(FlaskForm):
    name = StringField(_l("University"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("University category"), validators=[DataRequired()])

    def __init__(self, *args, categories: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = options(categories.items())


class CommentForm(FlaskForm):
    # The one limit of a supervisor's comment, wherever it is written (`comments.add`).
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=COMMENT_LENGTH)])


def weights_form(current: dict[str, int]) -> FlaskForm:
    """A form with one weight (0–10) per scored metric."""

    class WeightsForm(FlaskForm):
        pass

    for metric in SCORED:
        setattr(
            WeightsForm,
            metric.code,
            IntegerField(
                metric.label,
                default=current.get(metric.code, 0),
                validators=[Optional(), NumberRange(min=0, max=10)],
            ),
        )
    return WeightsForm()


class GuidanceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)])
    audience = SelectField(
        _l("Sent to"),
        choices=options((k.value, v) for k, v in AUDIENCE_LABELS.items()),
        validators=[DataRequired()],
    )
    categories = SelectMultipleField(_l("Categories"), validate_choice=True)
    associations = SelectMultipleField(_l("Associations"), coerce=int, validate_choice=True)
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    response_required = BooleanField(_l("A written response is required"))
    attachments = MultipleFileField(_l("Attachments (PDF or image)"))

    def __init__(self, *args, categories: dict[str, str], associations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = options(categories.items())
        self.associations.choices = options((a.id, a.name) for a in associations)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.audience.data == "categories" and not self.categories.data:
            self.categories.errors.append(_l("Choose at least one category."))
            return False
        if self.audience.data == "associations" and not self.associations.data:
            self.associations.errors.append(_l("Choose at least one association."))
            return False
        return True


class ResponseForm(FlaskForm):
    response = TextAreaField(_l("Your response"), validators=[DataRequired(), Length(max=20000)])
    attachment = FileField(_l("Attachment (PDF or image, optional)"))


class ProblemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=4000)])
    association_id = SelectField(_l("Association"), coerce=int, validators=[Optional()])
    category = SelectField(_l("Or a whole category"), validators=[Optional()])
    assignee_id = SelectField(_l("Assigned to"), coerce=int, validators=[Optional()])

    def __init__(self, *args, categories: dict[str, str], associations: list, users: list, **kw):
        super().__init__(*args, **kw)
        self.association_id.choices = options([(0, "—"), *((a.id, a.name) for a in associations)])
        self.category.choices = options([("", "—"), *categories.items()])
        self.assignee_id.choices = options([(0, "—"), *((u.id, u.display_name) for u in users)])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if bool(self.association_id.data) == bool(self.category.data):
            self.category.errors.append(_l("Choose either one association or one category."))
            return False
        return True


class ProblemUpdateForm(FlaskForm):
    state = SelectField(
        _l("State"), choices=options((k.value, v) for k, v in PROBLEM_STATE_LABELS.items())
    )
    assignee_id = SelectField(_l("Assigned to"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args, users: list, **kw):
        super().__init__(*args, **kw)
        self.assignee_id.choices = options([(0, "—"), *((u.id, u.display_name) for u in users)])


class ProblemFindingForm(FlaskForm):
    """Link a compliance finding to a problem: its id, from the list of open findings."""

    finding_id = IntegerField(_l("Compliance finding"), validators=[DataRequired()])


class ExemplarPageForm(FlaskForm):
    """Publish the federation's page of exemplars, or take it down."""

    publish = SelectField(
        _l("Public page"),
        choices=options([("1", _l("Publish the page")), ("0", _l("Take the page down"))]),
        validators=[DataRequired()],
    )


class FederationForm(FlaskForm):
    """A new provincial federation, made by the platform operator."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(min=2, max=16),
            Regexp(
                r"^[A-Za-z][A-Za-z0-9-]*$",
                message=_l("Letters, digits and - only, starting with a letter."),
            ),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=50)])
