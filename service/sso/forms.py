"""The consent to link a university account to a member record."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from service.web.choices import options


class ConsentForm(FlaskForm):
    consent = BooleanField(
        _l("Link my university account to this member record."),
        validators=[DataRequired(_l("Tick the box to link the accounts."))],
    )


class CasSettingsForm(FlaskForm):
    """The association's CAS server, and how a university account finds its member record."""

    name = StringField(
        _l("Name shown on the login page"), validators=[DataRequired(), Length(max=100)]
    )
    server_url = StringField(
        _l("CAS server address (e.g. https://cas.example.edu.cn/cas)"),
        validators=[DataRequired(), Length(max=300)],
    )
    version = SelectField(_l("CAS protocol version"))
    match_field = SelectField(_l("Match member records by"))
    match_attribute = StringField(
        _l("The attribute that carries it"), validators=[DataRequired(), Length(max=64)]
    )
    members_without_password = BooleanField(
        _l("Members sign in with the university's account only (no local password)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.version.choices = options([("3", "CAS 3.0"), ("2", "CAS 2.0")])
        self.match_field.choices = options(
            [("email", _l("E-mail address")), ("phone", _l("Phone"))]
        )
