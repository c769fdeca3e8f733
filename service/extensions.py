"""Extension objects, unbound; `create_app` binds each with `init_app`."""

from functools import cached_property

import flask_babel
from babel.support import NullTranslations, Translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest.pagination import PaginationMetadataSchema
from flask_wtf import CSRFProtect

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
        # Flask-Babel's own per-request namespace; constraints.txt pins the version.
        context = flask_babel._get_current_context()
        if context is None:
            return super().get_translations()
        translations = getattr(context, "babel_translations", None)
        if translations is None:
            translations = context.babel_translations = super().get_translations()
        return translations


class Babel(flask_babel.Babel):
    @cached_property
    def domain_instance(self) -> RequestDomain:
        return RequestDomain(domain=self.domain)


migrate = Migrate()
login_manager = LoginManager()
api = Api()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mailer = Mail()  # service/mail.py sends through it


__all__ = ["api", "babel", "csrf", "db", "limiter", "login_manager", "mailer", "migrate"]
