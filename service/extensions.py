"""Extension objects, unbound; `create_app` binds each with `init_app`."""

from flask_babel import Babel
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


migrate = Migrate()
login_manager = LoginManager()
api = Api()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mailer = Mail()  # service/mail.py sends through it


__all__ = ["api", "babel", "csrf", "db", "limiter", "login_manager", "mailer", "migrate"]
