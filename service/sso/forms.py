"""The consent to link a university account to a member record."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from service.i18n import lazy_gettext as _l
from service.web.choices import options


class ConsentForm(FlaskForm):
    consent = BooleanField(
        _l("Link my university account to this member record."),
        validators=[DataRequired(_l("Tick the box to link the accounts."))],
    )


class UnlinkForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, unlink my account from this sign-in."),
        validators=[DataRequired(_l("Tick the box to unlink the accounts."))],
    )


class _ProviderForm(FlaskForm):
    """What every identity provider is configured with: CAS (server, version) or OpenID
    Connect (discovery, client), and when its second factor counts as ours. Subclasses give
    `kind` and `mfa_counts` their labels and say how an account is found."""

    kind = SelectField(default="cas")
    name = StringField(
        _l("Name shown on the login page"), validators=[DataRequired(), Length(max=100)]
    )
    server_url = StringField(
        _l("CAS server address (e.g. https://cas.example.edu.cn/cas)"),
        validators=[Optional(), Length(max=300)],
    )
    version = SelectField(_l("CAS protocol version"), default="3")
    discovery_url = StringField(
        _l("OIDC discovery address (https://…/.well-known/openid-configuration)"),
        validators=[Optional(), Length(max=300)],
    )
    client_id = StringField(_l("Client ID"), validators=[Optional(), Length(max=200)])
    client_secret = PasswordField(
        _l("Client secret (leave blank to keep the one saved)"),
        validators=[Optional(), Length(max=300)],
    )
    mfa_counts = BooleanField()
    mfa_acr_values = StringField(
        _l("acr values that mean a second factor was asked (space-separated)"),
        validators=[Optional(), Length(max=300)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options([("cas", "CAS"), ("oidc", "OpenID Connect")])
        self.version.choices = options([("3", "CAS 3.0"), ("2", "CAS 2.0")])

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) and _addresses_given(self)


def _addresses_given(form) -> bool:
    """The CAS server's address, or the OIDC discovery address and client id."""
    needed = [form.server_url] if form.kind.data == "cas" else [form.discovery_url, form.client_id]
    for field in needed:
        if not (field.data or "").strip():
            field.errors.append(_l("This field is required."))
    return not any(field.errors for field in needed)


class ProviderSettingsForm(_ProviderForm):
    """The association's identity provider, and how a university account finds its member
    record."""

    kind = SelectField(_l("The university's sign-in speaks"), default="cas")
    mfa_counts = BooleanField(
        _l("A sign-in where the university asked for a second factor counts as ours")
    )
    match_field = SelectField(_l("Match member records by"))
    match_attribute = StringField(
        _l("The attribute that carries it"), validators=[DataRequired(), Length(max=64)]
    )
    members_without_password = BooleanField(
        _l("Members sign in with the university's account only (no local password)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.match_field.choices = options(
            [
                ("staff_number", _l("Staff number")),
                ("email", _l("E-mail address")),
                ("phone", _l("Phone")),
            ]
        )


class FederationConfirmForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, this is my account: link it to this sign-in."),
        validators=[DataRequired(_l("Tick the box to link the accounts."))],
    )


class FederationProviderForm(_ProviderForm):
    """The federation's own identity provider, for its officers and supervisors: the same
    protocols as an association's, matched to existing accounts by e-mail address only."""

    kind = SelectField(_l("The federation's sign-in speaks"), default="cas")
    mfa_counts = BooleanField(
        _l("A sign-in where the provider asked for a second factor counts as ours")
    )
    match_attribute = StringField(
        _l("The attribute that carries the e-mail address"),
        default="email",
        validators=[DataRequired(), Length(max=64)],
    )
