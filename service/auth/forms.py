"""Web forms for login, password change, tokens and users."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from service.auth.services import MIN_PASSWORD_LENGTH
from service.i18n import lazy_gettext as _l
from service.validation import IntegerField


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class LinkTokenForm(FlaskForm):
    """The token of a one-time link, which the link carries after `#`: the page posts it,
    so the token never appears in a URL a server logs."""

    token = StringField(_l("Link code"), validators=[DataRequired(), Length(max=300)])


class SetPasswordForm(LinkTokenForm):
    """A password through a one-time link: no current password to give."""

    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])


class RecoveryForm(FlaskForm):
    """The platform operator resets the password of the account with this username."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name (what the token is for)"), validators=[DataRequired(), Length(max=100)]
    )
    days = IntegerField(
        _l("Valid for (days)"), default=90, validators=[DataRequired(), NumberRange(1, 730)]
    )
    writable = BooleanField(_l("May write (otherwise read-only)"))
    federations = SelectMultipleField(
        _l("Granted federations (national tokens)"), coerce=int, validators=[Optional()]
    )


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    federation = SelectField(_l("Federation"), coerce=int, validators=[Optional()])
    email = EmailField(
        _l("E-mail (where a forgotten password's link goes)"),
        validators=[Optional(), Email(), Length(max=120)],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )


class SecondFactorForm(FlaskForm):
    """A code from the authenticator app, or one of the recovery codes."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "autofocus": True},
    )


class SecondFactorResetForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
