"""Web forms for suggestions."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from service.i18n import lazy_gettext as _l
from service.suggestions.models import KIND_LABELS, THEME_LABELS
from service.web.choices import options


def _choices(labels: dict) -> list[SelectChoice]:
    return options((str(key), str(label)) for key, label in labels.items())


class SuggestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    theme = SelectField(_l("Theme"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Your suggestion"), validators=[DataRequired(), Length(max=10000)])
    anonymous = BooleanField(
        _l("Submit anonymously: nobody, the administrators included, can see it was me")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(KIND_LABELS)
        self.theme.choices = _choices(THEME_LABELS)


class ReceiptForm(FlaskForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=40)])


class HandleForm(FlaskForm):
    action = SelectField(
        _l("Action"),
        choices=options(
            [
                ("start", _l("Take in hand")),
                ("answer", _l("Answer")),
                ("close", _l("Close")),
            ]
        ),
        validators=[DataRequired()],
    )
    answer = TextAreaField(
        _l("Answer (the submitter sees it)"), validators=[Optional(), Length(max=10000)]
    )


class EscalateForm(FlaskForm):
    note = TextAreaField(_l("Note to the federation"), validators=[Optional(), Length(max=1000)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        _l("The federation's reply"), validators=[DataRequired(), Length(max=10000)]
    )
