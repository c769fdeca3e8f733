"""Web forms of the reporting cycle. Per-figure fields (explanations, review comments) are
read by indicator code from the catalogue; the forms here carry the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

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
