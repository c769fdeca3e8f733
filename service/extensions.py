"""Extension objects, unbound; `create_app` binds each with `init_app`."""

from functools import cached_property
from types import SimpleNamespace

import flask_babel
from babel.support import NullTranslations, Translations
from flask import Flask, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest.pagination import PaginationMetadataSchema
from flask_wtf import CSRFProtect
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from tenants.db import db


class Api(SmorestApi):
    """flask-smorest's Api, with the X-Pagination header documented as what it is: a JSON
    text. The stock document calls it an object, which no HTTP header can be."""

    def _register_pagination_header(self) -> None:
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata, as JSON",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


class RequestDomain(flask_babel.Domain):
    """Flask-Babel's message domain, with the catalogue found once per request. Flask-Babel
    looks the locale and its catalogue up again for every string, 7 µs each, and a page of
    activities translates some 500 of them. The catalogue is kept where Flask-Babel's own
    `force_locale` clears and restores it (`babel_translations` of its request context), so
    a forced locale still gets its own."""

    def get_translations(self) -> Translations | NullTranslations:
        context = _babel_context()
        if context is None:
            return super().get_translations()
        translations = getattr(context, "babel_translations", None)
        if translations is None:
            translations = context.babel_translations = super().get_translations()
        return translations


def _babel_context() -> SimpleNamespace | None:
    """Flask-Babel's per-request namespace, as its `_get_current_context` finds it (and
    makes it), with one look-up of the app context's `g` where that takes three through the
    proxy: 4.7 µs of a string's 5 went to finding it. constraints.txt pins the version."""
    try:
        app_globals = g._get_current_object()
    except RuntimeError:  # outside an app context
        return None
    context = vars(app_globals).get("_flask_babel")
    if context is None:
        context = app_globals._flask_babel = SimpleNamespace()
    return context


class Babel(flask_babel.Babel):
    @cached_property
    def domain_instance(self) -> RequestDomain:
        return RequestDomain(domain=self.domain)

    def init_app(self, app: Flask, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)

        # A template's `_()` and `gettext()` (a {% trans %} block's too) straight from the
        # request's catalogue, in one call where Jinja's newstyle aliases make three through
        # the template context (5 of a string's 6.6 µs); what they return is the same.
        @pass_eval_context
        def gettext(eval_context: EvalContext, string: str, **variables) -> str:
            text = self.domain_instance.get_translations().ugettext(string)
            if eval_context.autoescape:
                text = Markup(text)  # noqa: S704 - the catalogue's own text, as Jinja marks it
            return text % variables  # always, as Jinja's newstyle gettext does

        app.jinja_env.globals.update(_=gettext, gettext=gettext)


migrate = Migrate()
login_manager = LoginManager()
api = Api()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mailer = Mail()  # service/mail.py sends through it


__all__ = ["api", "babel", "csrf", "db", "limiter", "login_manager", "mailer", "migrate"]
