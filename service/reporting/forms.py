"""Web forms of the reporting cycle. Per-figure fields (explanations, review comments) are
read by indicator code from the catalogue; the forms here carry the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import (
    URL,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from service.i18n import lazy_gettext as _l
from service.validation import DateField, IntegerField


class PeriodForm(FlaskForm):
    year = IntegerField(_l("Year reported"), validators=[DataRequired(), NumberRange(2000, 2100)])
    deadline = DateField(_l("Deadline"), validators=[DataRequired()])


class ExplanationForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(max=20)])
    text = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=1000)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for reopening"), validators=[DataRequired(), Length(max=1000)]
    )


class DeclineReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the request is declined"), validators=[DataRequired(), Length(max=1000)]
    )


class EndpointForm(FlaskForm):
    url = StringField(
        _l("National endpoint URL"),
        validators=[DataRequired(), URL(require_tld=False), Length(max=500)],
    )
    secret = StringField(
        _l("Bearer secret (leave empty to keep)"), validators=[Optional(), Length(max=200)]
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


def _one_line(form, field) -> None:
    if field.data and ("\n" in field.data or "\r" in field.data):
        raise ValidationError(_l("Write this on one line."))


def _text(label, length: int) -> StringField:
    return StringField(
        label,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=length), _one_line],
    )


class FormHeaderForm(FlaskForm):
    """The header block of one national form for one year; an empty field prints the
    default. The year is the form's: a validity that ends before it is refused."""

    form_number = _text(_l("Form number (表号)"), 50)
    issuer = _text(_l("Issued by (制定机关)"), 100)
    approval_number = _text(_l("Approval document number (批准文号)"), 100)
    valid_until = DateField(_l("Valid until (有效期至)"), validators=[Optional()])

    def __init__(self, year: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def validate_valid_until(self, field) -> None:
        if field.data and field.data.year < self.year:
            raise ValidationError(_l("The forms must still be valid in %(year)d.", year=self.year))
