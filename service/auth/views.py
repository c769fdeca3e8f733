"""Web pages for signing in and out, the password, API tokens and users."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user, logout_user

from service.audit.services import record, set_actor
from service.auth import (
    alerts,
    devices,
    password_links,
    recovery,
    second_factor,
    services,
    signing_in,
    throttle,
)
from service.auth.forms import (
    ForgotPasswordForm,
    LinkTokenForm,
    LoginForm,
    PasswordForm,
    RecoveryForm,
    SetPasswordForm,
    TokenForm,
    UserForm,
)
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import ROLES, Level, Permission, Role
from service.auth.signing_in import safe_next
from service.errors import DomainError
from service.extensions import limiter
from service.i18n import gettext as _
from service.mail import mail_configured
from service.sso import services as sso
from service.unit_of_work import keep_despite_refusal
from service.web.choices import options
from tenants.db import db

bp = Blueprint("auth", __name__)

# Other ways to sign in (a university's own accounts, service/sso) add their choices to the
# login page and their end of a session to signing out. The application factory wires them
# (`offer_other_sign_ins`): this package does not import their pages.
OTHER_SIGN_INS = "auth.other_sign_ins"


def offer_other_sign_ins(
    app: Flask,
    login_choices: Callable[[], dict],
    end_session_target: Callable[[], str | None],
) -> None:
    """Show `login_choices()` on the login page, and send a signing-out user on to
    `end_session_target()` when it names an address (the provider's end of the session)."""
    app.extensions[OTHER_SIGN_INS] = (login_choices, end_session_target)


def _other_login_choices() -> dict:
    choices = current_app.extensions.get(OTHER_SIGN_INS)
    return choices[0]() if choices else {}


def _other_sign_out() -> str | None:
    choices = current_app.extensions.get(OTHER_SIGN_INS)
    return choices[1]() if choices else None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _current_user() -> User:
    user = services.account_of(current_principal())
    if user is None:
        abort(401)
    return user


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return _login_page(form), 400 if form.errors else 200
    username, address = form.username.data, request.remote_addr or "-"
    known = devices.knows(services.find_user(username))
    wait = throttle.wait_before(username, address, known)
    if wait:
        form.password.errors.append(
            _("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait)
        )
        return _login_page(form), 429, {"Retry-After": str(wait)}
    user = services.authenticate(username, form.password.data)
    if user is not None and sso.password_refused(user):
        # The association signs its members in through the university only.
        form.password.errors.append(_("Sign in with your university's account."))
        return _login_page(form), 403
    if user is None:
        _count_failure(username, address)
        form.password.errors.append(_("Wrong username or password."))
        return _login_page(form), 401
    throttle.succeeded(username, address)
    target = safe_next(request.args.get("next"))
    if second_factor.asked_at_sign_in(user):
        enrol = not second_factor.is_enrolled(user)
        return signing_in.hold(user, form.remember.data, target, enrol)
    return signing_in.complete(user, form.remember.data, lambda: redirect(target))


def _login_page(form: LoginForm) -> str:
    # The universities whose members sign in with their own account (service/sso).
    return render_template("auth/login.html", form=form, **_other_login_choices())


def _count_failure(username: str, address: str) -> None:
    """Count the failure; at the username's ceiling, tell the account holder (once a window)."""
    reached = throttle.failed(username, address)
    user = services.find_user(username) if reached else None
    if user is not None:
        set_actor("system:sign-in-throttle")  # not the guesser: the service counted it
        alerts.record_failures(user, reached)
    keep_despite_refusal()  # the page answers 401; the count and the alert stand


@bp.post("/logout")
def logout():
    # Signed in through OIDC: end the session there too.
    farewell = _other_sign_out() if current_principal().kind == "user" else None
    if current_principal().kind == "user":
        services.end_sessions(_current_user())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(farewell or url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    if not current_principal().is_authenticated:
        abort(401)
    form = PasswordForm()
    if form.validate_on_submit():
        user = _current_user()
        try:
            services.change_password(user, form.current.data, form.new.data)
        except services.AuthError as exc:
            form.current.errors.append(str(exc))
        else:
            login_user(user)  # this session goes on with the new token; all others end
            flash(_("Your password is changed. Other sessions are signed out."), "success")
            return redirect(url_for("web.home"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/account/set-password", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def set_password():
    """Public, by the one-time link /account/set-password#<token>: the page posts the token
    from the fragment; the holder chooses a password, then signs in as usual."""
    opening = LinkTokenForm()
    if request.method == "GET" or not opening.validate_on_submit():
        status = 400 if opening.errors else 200
        return render_template("auth/set_password_open.html", form=opening), status
    token = opening.token.data.strip()
    try:
        link = password_links.open_link(token)
    except password_links.LinkRefused as refusal:
        return render_template("auth/set_password_open.html", refusal=str(refusal)), 404
    choosing = "new" in request.form
    form = SetPasswordForm() if choosing else SetPasswordForm(None, token=token)
    if choosing and form.validate():
        try:
            password_links.use(link, form.new.data)
        except services.AuthError as exc:
            form.new.errors.append(str(exc))
        else:
            set_actor(principal_for_user(link.user).audit_label)
            record(
                db.session, "set_password", "user_account", link.user.id, link.user.association_id
            )
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("auth/set_password.html", form=form, user=link.user), status


@bp.route("/account/forgot-password", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def forgot_password():
    """Public: the holder asks for a link at the address on file. The answer is the same
    whether or not the account exists or has an address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.forgotten(form.username.data)
        flash(
            _(
                "If this account has an e-mail address on file, a link to set a new password"
                " is on its way there."
            ),
            "info",
        )
        return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form, mail=mail_configured()), status


@bp.route("/account-recovery", methods=["GET", "POST"])
@require(Permission.RECOVER_ACCOUNTS)
def account_recovery():
    """The platform operator resets a holder's password: the holder is e-mailed the link
    (the operator sees it only where it cannot be e-mailed), and the log records it."""
    form = RecoveryForm()
    reset = None
    if form.validate_on_submit():
        user = recovery.user_by_username(form.username.data)
        if user is None:
            form.username.errors.append(_("No account has this username."))
        elif user.id == current_principal().id:
            form.username.errors.append(_("Change your own password on the password page."))
        else:
            reset = recovery.operator_reset(user)
    status = 400 if form.errors else 200
    return render_template("auth/recovery.html", form=form, reset=reset), status


# --- API tokens -----------------------------------------------------------------------


def _token_form() -> TokenForm:
    form = TokenForm()
    if current_principal().level is Level.PLATFORM:
        form.federations.choices = options((f.id, f.name) for f in services.federations())
    else:
        del form.federations
    return form


def _render_tokens(form: TokenForm, created: str | None = None, status: int = 200):
    tokens = services.tokens_of(current_principal())
    return (
        render_template("auth/tokens.html", form=form, tokens=tokens, created=created),
        status,
    )


@bp.get("/tokens")
@require(Permission.MANAGE_TOKENS)
def tokens():
    return _render_tokens(_token_form())


@bp.post("/tokens")
@require(Permission.MANAGE_TOKENS)
def create_token():
    principal = current_principal()
    form = _token_form()
    if not form.validate_on_submit():
        return _render_tokens(form, status=400)
    if principal.level is Level.PLATFORM:
        owner = {"level": "national", "federation_ids": form.federations.data}
    else:
        owner = services.token_request_for(principal)
    try:
        _token, plaintext = services.create_token(
            name=form.name.data,
            days=form.days.data,
            read_only=not form.writable.data,
            created_by=_current_user(),
            **owner,
        )
    except services.AuthError as exc:
        form.name.errors.append(str(exc))
        return _render_tokens(form, status=400)
    # Shown once on this page and never again: it is not stored, only its hash is.
    return _render_tokens(_token_form(), created=plaintext, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@require(Permission.MANAGE_TOKENS)
def revoke_token(token_id: int):
    token = services.access_token(current_principal(), token_id)
    if token is None:
        abort(404)
    services.revoke_token(token)
    flash(_("The token is revoked."), "success")
    return redirect(url_for(".tokens"))


# --- users ----------------------------------------------------------------------------


def _user_form() -> UserForm:
    principal = current_principal()
    form = UserForm()
    form.role.choices = options(
        (r.value, str(ROLES[r].label)) for r in services.assignable_roles(principal)
    )
    if principal.level is Level.PLATFORM:
        feds = services.federations()
        form.federation.choices = options([(0, "—"), *((f.id, f.name) for f in feds)])
    else:
        del form.federation
    return form


def _render_users(form: UserForm, status: int = 200):
    users = services.accounts_of(current_principal())
    return render_template("auth/users.html", form=form, users=users, roles=ROLES), status


@bp.get("/users")
@require(Permission.MANAGE_USERS)
def users():
    return _render_users(_user_form())


@bp.post("/users")
@require(Permission.MANAGE_USERS)
def create_user():
    form = _user_form()
    if not form.validate_on_submit():
        return _render_users(form, status=400)
    federation = form.federation.data if "federation" in form else None
    try:
        services.create_user(
            current_principal(),
            username=form.username.data,
            display_name=form.display_name.data,
            password=form.password.data,
            role=Role(form.role.data),
            federation_id=federation or None,
            email=form.email.data,
        )
    except DomainError as exc:  # AuthError, or a username taken since the check (Conflict)
        form.username.errors.append(str(exc))
        return _render_users(form, status=400)
    flash(_("The account is created."), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/active")
@require(Permission.MANAGE_USERS)
def set_active(user_id: int):
    principal = current_principal()
    user = services.access_user(principal, user_id)
    if user is None:
        abort(404)
    if user.id == principal.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for(".users"))
    services.set_user_active(user, request.form.get("active") == "1")
    flash(_("The account is updated."), "success")
    return redirect(url_for(".users"))
