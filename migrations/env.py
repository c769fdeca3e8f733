"""Alembic environment. Migrations run as the owner role (MIGRATION_DATABASE_URL), which
may differ from the app's role; on SQLite, ALTERs go through batch mode."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_db = current_app.extensions["migrate"].db


def _url() -> str:
    return current_app.config.get("MIGRATION_DATABASE_URL") or str(target_db.engine.url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = (
        target_db.engine
        if url == target_db.engine.url.render_as_string(hide_password=False)
        else sa.create_engine(url, poolclass=sa.pool.NullPool)
    )
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    with engine.connect() as connection:
        conf_args["render_as_batch"] = connection.dialect.name == "sqlite"
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
