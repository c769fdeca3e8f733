"""The consent to link a university account to a member record."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class ConsentForm(FlaskForm):
    consent = BooleanField(
        _l("Link my university account to this member record."),
        validators=[DataRequired(_l("Tick the box to link the accounts."))],
    )
