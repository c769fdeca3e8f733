"""The Flask application factory: wiring only, no work at import time."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.exceptions import HTTPException, ServiceUnavailable, default_exceptions

from service import config as config_module
from service.extensions import api, babel, csrf, db, limiter, login_manager, mailer, migrate
from service.i18n import gettext as _

ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/"


class NoSessionOnTheApi(SecureCookieSessionInterface):
    """The signed session cookie for pages; none on the API, which authenticates by bearer
    token alone (`identify`) and is exempt from CSRF for that reason. An API request neither
    reads a cookie nor answers with one, nor `Vary: Cookie`: its answer is the token's. What
    reads the session there sees an empty one (the locale: the default, Chinese); writing to
    it is an error."""

    def open_session(self, app: Flask, request):
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


class Service(Flask):
    session_interface = NoSessionOnTheApi()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Service(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder="web/templates",
        static_folder="web/static",
    )
    app.config.update(config_module.from_environment(app.instance_path))
    app.config.update(config or {})
    _init_extensions(app)
    from service import observability

    # Before the identify hook, so every request (even a refused one) has its request id.
    observability.install(app)
    from service import security

    security.install(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_error_handlers(app)
    _register_templates(app)
    _register_audit_words()
    from service.cli import register as register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from service import unit_of_work
    from service.audit import services as audit
    from service.auth import token_cache
    from service.federation import rollups
    from service.reporting import amendments
    from tenants import filtering, rls, roundtrips
    from tenants.db import Session, configure_sqlite

    db.init_app(app)
    # On our Session base class, so that every sessionmaker's generated subclass has them.
    installs = (
        filtering.install,
        rls.install,
        audit.install,
        rollups.install,
        amendments.install,
        token_cache.install,
    )
    for install in installs:
        install(Session)
    unit_of_work.install(app, Session)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        roundtrips.configure(db.engine)
        rls.send_as_set_local(db.engine, app.config.get("RLS_SET_LOCAL", False))
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    limiter.init_app(app)
    _check_limits_only_where_set(app)
    babel.init_app(app, locale_selector=_locale)
    mailer.init_app(app)
    api.init_app(app)
    from service import jobs

    jobs.install(app)


def _check_limits_only_where_set(app: Flask) -> None:
    """Flask-Limiter's check before every request, skipped for an API request to which no
    limit could apply there: none for the whole application (application, default or meta
    limits, or in-memory fallback ones), none on its blueprint, none hinted for its endpoint.
    It found nothing to count for such a request, yet resolved that on every one. A limit
    decorated on an API view is checked by its decorator as before, whatever this skips."""
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.setdefault(None, [])
    if check not in hooks:
        return

    def has_limits(blueprint: str | None, endpoint: str | None) -> bool:
        manager = limiter.limit_manager
        return bool(
            manager.application_limits
            or manager.default_limits
            or limiter._meta_limits
            or limiter._in_memory_fallback
            or (blueprint and manager.blueprint_limits(app, blueprint))
            or manager.has_hints(endpoint or "")
        )

    def check_rate_limits() -> None:
        if is_api_request() and not has_limits(request.blueprint, request.endpoint):
            return
        check()

    hooks[hooks.index(check)] = check_rate_limits


def _register_audit_words() -> None:
    """Each package tells the audit log how its records and codes are called
    (`service.audit.words`): importing its `audit_words` registers them, once."""
    from service.activities import audit_words as _activities  # noqa: F401
    from service.associations import audit_words as _associations  # noqa: F401
    from service.auth import audit_words as _auth  # noqa: F401
    from service.federation import audit_words as _federation  # noqa: F401
    from service.files import audit_words as _files  # noqa: F401
    from service.governance import audit_words as _governance  # noqa: F401
    from service.imports import audit_words as _imports  # noqa: F401
    from service.members import audit_words as _members  # noqa: F401
    from service.reporting import audit_words as _reporting  # noqa: F401
    from service.sso import audit_words as _sso  # noqa: F401
    from service.suggestions import audit_words as _suggestions  # noqa: F401


def _locale() -> str:
    """The visitor's choice; Chinese by default, and in jobs (which have no visitor)."""
    if has_request_context():
        return session.get("lang", "zh_Hans_CN")
    return "zh_Hans_CN"


def _register_blueprints(app: Flask) -> None:
    from service.activities import api as activities_api
    from service.activities import talent_views
    from service.activities import views as activities_views
    from service.associations import api as associations_api
    from service.associations import views as associations_views
    from service.audit import views as audit_views
    from service.auth import api as auth_api
    from service.auth import second_factor_views
    from service.auth import views as auth_views
    from service.federation import api as federation_api
    from service.federation import guidance_views, problem_views
    from service.federation import public as federation_public
    from service.federation import views as federation_views
    from service.files import services as _files  # noqa: F401  (the table the domains share)
    from service.governance import api as governance_api
    from service.governance import establishment_api, establishment_views
    from service.governance import views as governance_views
    from service.members import api as members_api
    from service.members import import_api as member_imports_api
    from service.members import public as members_public
    from service.members import self_service as members_self_service
    from service.members import views as members_views
    from service.reporting import api as reporting_api
    from service.reporting import form_views as reporting_form_views
    from service.reporting import views as reporting_views
    from service.sso import federation_views as sso_federation_views
    from service.sso import views as sso_views
    from service.suggestions import api as suggestions_api
    from service.suggestions import views as suggestions_views
    from service.web import views as web_views

    for bp in (
        web_views.bp,
        auth_views.bp,
        second_factor_views.bp,
        sso_views.bp,
        sso_federation_views.bp,
        associations_views.bp,
        audit_views.bp,
        governance_views.bp,
        establishment_views.bp,
        members_views.bp,
        members_self_service.bp,
        members_public.bp,
        activities_views.bp,
        talent_views.bp,
        suggestions_views.bp,
        federation_views.bp,
        guidance_views.bp,
        guidance_views.inbox_bp,
        problem_views.bp,
        federation_public.bp,
        reporting_views.bp,
        reporting_form_views.bp,
    ):
        app.register_blueprint(bp)
    for blp in (
        associations_api.blp,
        auth_api.blp,
        governance_api.blp,
        governance_api.compliance_blp,
        establishment_api.blp,
        members_api.blp,
        member_imports_api.blp,
        activities_api.blp,
        suggestions_api.blp,
        federation_api.blp,
        reporting_api.blp,
        reporting_api.national_blp,
    ):
        api.register_blueprint(blp)
        csrf.exempt(blp)  # bearer tokens only; the API never reads the session cookie
    # The universities' own sign-ins on the login page, and their end of a session.
    auth_views.offer_other_sign_ins(app, sso_views.login_choices, sso_views.end_session_target)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _register_request_hooks(app: Flask) -> None:
    from service.audit.services import reset_actor, set_actor
    from service.auth import services as auth
    from service.auth.principal import ANONYMOUS, principal_for_user
    from tenants.scope import reset_scope, set_scope

    @login_manager.user_loader
    def load_user(session_token: str):
        return auth.signed_in(session_token)

    @app.before_request
    def identify() -> None:
        if is_api_request():
            principal = auth.principal_for_header(request.headers.get("Authorization"))
            principal = principal or ANONYMOUS
        elif current_user.is_authenticated:
            principal = principal_for_user(current_user)
        else:
            principal = ANONYMOUS
        g.principal = principal
        g.scope_token = set_scope(principal.scope)
        g.actor_token = set_actor(principal.audit_label)

    @app.teardown_request
    def forget(_exc) -> None:
        if "scope_token" in g:
            reset_scope(g.pop("scope_token"))
            reset_actor(g.pop("actor_token"))


def _register_error_handlers(app: Flask) -> None:
    from service.errors import DomainError, NotFound
    from service.jobs import JobsUnavailable
    from service.rest import refusal
    from service.unit_of_work import discard

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        """A refusal no view answered itself. Nothing of the request is kept. On the API,
        its JSON status; on the web, a missing record is the 404 page, and a broken rule or
        a conflict is flashed on the page the user came from (the error page without one)."""
        discard()
        if is_api_request():
            return refusal(error)
        back = _same_site_referrer()
        if isinstance(error, NotFound) or back is None:
            page_error = default_exceptions[error.status]()
            if not isinstance(error, NotFound):
                page_error.data = {"message": str(error)}
            return _error_page(page_error), error.status
        flash(str(error), "error")
        return redirect(back)

    @app.errorhandler(JobsUnavailable)
    def jobs_unavailable(_error: JobsUnavailable):
        # Redis is down: a clear "try again later", not a 500. Nothing was queued.
        unavailable = ServiceUnavailable()
        unavailable.data = {
            "message": _error_message(unavailable),
            "headers": {"Retry-After": "60"},
        }
        return http_error(unavailable)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 500:
            # The failed request's transaction may be broken (PostgreSQL refuses every
            # later statement in it): end it, so the error page can load the layout.
            with suppress(Exception):
                discard()
        if is_api_request():
            return _api_error(error)
        if error.code == 401:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return _error_page(error), error.code


def _api_error(error: HTTPException):
    """The API's error shape (code, status, message and, for bad input, errors), as JSON for
    every status, those raised outside our views and a 500 included."""
    payload, code, headers = api.handle_http_exception(error)
    # Errors raised outside our views (a body over the size limit, an id out of range, a
    # validation error) carry no message of their own: give them the page's.
    payload.setdefault("message", _error_message(error))
    if code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return payload, code, headers


def _error_page(error: HTTPException) -> str:
    """The error in the site's layout, with the request id to quote and a way back."""
    from service.observability import request_id

    context = {
        "error": error,
        "title": _error_title(error),
        "message": _own_message(error) or _error_message(error),
        "request_id": request_id(),
        "back": _same_site_referrer(),
    }
    try:
        return render_template("error.html", **context)
    except Exception:  # the layout needs the database; a broken one must not hide the error
        current_app.logger.exception("error page could not be rendered in the layout")
        # Without context processors: they are what needs the database.
        bare = current_app.jinja_env.get_template("error_bare.html")
        return bare.render(**context, lang=_locale())


def _own_message(error: HTTPException) -> str | None:
    """The message a view gave with abort(code, message=...), when it gave one."""
    message = (getattr(error, "data", None) or {}).get("message")
    return message if isinstance(message, str) else None


def _same_site_referrer() -> str | None:
    """The page the visitor came from, only if it is one of ours (never another site)."""
    from urllib.parse import urlsplit

    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or referrer.path == request.path:
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def _error_title(error: HTTPException) -> str:
    titles = {
        400: _("Bad request"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Action not possible"),
        413: _("Too large"),
        429: _("Too many attempts"),
        503: _("Temporarily unavailable"),
    }
    if error.code >= 500:
        return titles.get(error.code, _("System error"))
    return titles.get(error.code, _("Request refused"))


def _error_message(error: HTTPException) -> str:
    messages = {
        400: _("The request could not be understood. Check the form and try again."),
        403: _("Your role may not do this."),
        404: _("There is no such page, or it is not yours to see."),
        405: _("That action is not possible on this page."),
        409: _("This conflicts with a record that already exists."),
        413: _("The upload is too large."),
        415: _("This kind of content is not accepted here."),
        422: _("Some of the values are not valid. Correct them and try again."),
        429: _("Too many attempts. Wait a minute and try again."),
        503: _("Unavailable for a moment. Nothing was changed; try again in a few minutes."),
    }
    if error.code in messages:
        return messages[error.code]
    # Only a fault of ours is a "system error": a refusal of the request never says so.
    if error.code >= 500:
        return _("Something went wrong. Try again later.")
    return messages[400]


def _register_templates(app: Flask) -> None:
    from service.associations import services as associations
    from service.audit import presentation
    from service.auth.principal import current_principal
    from service.auth.roles import ROLES
    from service.federation import categories
    from service.web import filters
    from service.web.navigation import navigation_for

    filters.register(app)
    app.jinja_env.filters["display_name"] = presentation.display_name
    app.jinja_env.filters["field_label"] = associations.field_label
    app.jinja_env.filters["category_label"] = categories.label_of_profile

    @app.context_processor
    def layout_context() -> dict:
        principal = current_principal()
        return {
            "principal": principal,
            "navigation": navigation_for(principal),
            "role_label": ROLES[principal.role].label if principal.role else None,
            "lang": _locale(),
        }
