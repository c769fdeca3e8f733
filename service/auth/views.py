"""Web pages for signing in and out, the password, API tokens and users."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from service.audit.services import record, set_actor
from service.auth import password_links, services
from service.auth.forms import LoginForm, PasswordForm, SetPasswordForm, TokenForm, UserForm
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import ROLES, Level, Permission, Role
from service.extensions import form_username, limiter
from service.web.choices import options
from tenants.db import db
from tenants.models import Federation

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, //host) goes home."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("web.home")


def _current_user() -> User:
    user = db.session.scalar(sa.select(User).where(User.id == current_principal().id))
    if user is None:
        abort(401)
    return user


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=form_username)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user, remember=form.remember.data)
            set_actor(principal_for_user(user).audit_label)
            record(db.session, "login", "user_account", user.id, tenant_id=user.association_id)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    if current_principal().kind == "user":
        services.end_sessions(_current_user())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


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
            db.session.commit()
            login_user(user)  # this session goes on with the new token; all others end
            flash(_("Your password is changed. Other sessions are signed out."), "success")
            return redirect(url_for("web.home"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def set_password(token: str):
    """Public, by the one-time link: a new account (an association's first administrator)
    chooses its password, then signs in as usual."""
    user = password_links.user_for_token(token)
    if user is None:
        return render_template("auth/set_password.html", form=None), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            password_links.set_password(user, form.new.data)
        except services.AuthError as exc:
            form.new.errors.append(str(exc))
        else:
            set_actor(principal_for_user(user).audit_label)
            record(db.session, "set_password", "user_account", user.id, user.association_id)
            db.session.commit()
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("auth/set_password.html", form=form, user=user), status


# --- API tokens -----------------------------------------------------------------------


def _token_form() -> TokenForm:
    form = TokenForm()
    if current_principal().level is Level.PLATFORM:
        feds = db.session.scalars(sa.select(Federation).order_by(Federation.code))
        form.federations.choices = options((f.id, f.name) for f in feds)
    else:
        del form.federations
    return form


def _render_tokens(form: TokenForm, created: str | None = None, status: int = 200):
    tokens = db.session.scalars(services.tokens_visible_to(current_principal())).all()
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
    db.session.commit()
    # Shown once on this page and never again: it is not stored, only its hash is.
    return _render_tokens(_token_form(), created=plaintext, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@require(Permission.MANAGE_TOKENS)
def revoke_token(token_id: int):
    token = services.access_token(current_principal(), token_id)
    if token is None:
        abort(404)
    services.revoke_token(token)
    db.session.commit()
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
        feds = db.session.scalars(sa.select(Federation).order_by(Federation.code))
        form.federation.choices = options([(0, "—"), *((f.id, f.name) for f in feds)])
    else:
        del form.federation
    return form


def _render_users(form: UserForm, status: int = 200):
    users = db.session.scalars(services.users_visible_to(current_principal())).all()
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
        )
    except services.AuthError as exc:
        form.username.errors.append(str(exc))
        return _render_users(form, status=400)
    db.session.commit()
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
    db.session.commit()
    flash(_("The account is updated."), "success")
    return redirect(url_for(".users"))
