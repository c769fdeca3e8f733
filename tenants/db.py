"""The one SQLAlchemy object, unbound; the app factory binds it."""

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, which also honours an explicit `bind`.

    Tests bind the session to one connection whose outer transaction they roll back.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
