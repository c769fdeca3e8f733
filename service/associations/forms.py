"""The profile form (web)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from service.i18n import lazy_gettext as _l
from service.validation import PHONE_PATTERN as PHONE
from service.validation import DateField
from service.web.choices import options


class ProfileForm(FlaskForm):
    name = StringField(_l("Association name"), validators=[DataRequired(), Length(max=200)])
    university_name = StringField(_l("University"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("University category"), validators=[DataRequired()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[
            Optional(),
            Regexp(PHONE, message=_l("Enter a mobile number or a landline such as 010-12345678.")),
        ],
    )
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=120)]
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=200)])
    founded_on = DateField(_l("Founded on"), validators=[Optional()])

    def __init__(self, *args, categories: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = options(categories.items())
