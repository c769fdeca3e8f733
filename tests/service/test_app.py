"""The application shell: configuration, health, API documentation, languages, errors,
and migrations that match the models."""

import json
import re
import subprocess
import sys
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale, gettext

from service.config import ConfigError, from_environment
from tenants import citus
from tenants.db import db

ROOT = Path(__file__).resolve().parents[2]


# --- configuration --------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment(
            str(tmp_path), {"APP_ENV": "production", "DATABASE_URL": "postgresql://x/y"}
        )


def test_production_refuses_sqlite_unless_allowed(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": "s" * 32}
    with pytest.raises(ConfigError, match="SQLite"):
        from_environment(str(tmp_path), env)
    config = from_environment(str(tmp_path), {**env, "ALLOW_SQLITE": "1"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_production_refuses_debug(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql://x/y"}
    with pytest.raises(ConfigError, match="DEBUG"):
        from_environment(str(tmp_path), {**env, "FLASK_DEBUG": "1"})


def test_production_cookies_are_secure_and_the_driver_is_psycopg(tmp_path):
    config = from_environment(
        str(tmp_path),
        {"APP_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": "postgres://u@h/db"},
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_wsgi_import_in_production_without_a_secret_fails_with_a_clear_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={"APP_ENV": "production", "DATABASE_URL": "postgresql://x/y", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


# --- health ---------------------------------------------------------------------------


def test_health_and_readiness(client, db_session):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"] == "ok"


# --- API documentation ----------------------------------------------------------------


def test_the_openapi_document_describes_the_api(client, db_session):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/associations/{association_id}" in spec["paths"]
    patch = spec["paths"]["/api/v1/associations/{association_id}"]["patch"]
    assert {"401", "403", "422"} <= set(patch["responses"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("page", "asset"),
    [
        ("/api/v1/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
        ("/api/v1/redoc", "/static/vendor/redoc/redoc.standalone.js"),
    ],
)
def test_api_docs_load_only_vendored_files(client, db_session, page, asset):
    html = client.get(page).get_data(as_text=True)
    assert asset in html
    assert "https://" not in html.replace("https://validator", "")
    assert client.get(asset).status_code == 200


def test_swagger_ui_does_not_call_the_outside_validator(client, db_session):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert '"validatorUrl": null' in html


def test_no_template_loads_anything_from_the_internet():
    for template in (ROOT / "service/web/templates").rglob("*.html"):
        text = template.read_text()
        assert 'src="http' not in text and 'href="http' not in text, template


# --- errors ---------------------------------------------------------------------------


def test_api_errors_are_json_and_web_errors_are_pages(client, db_session):
    api = client.get("/api/v1/associations/999999")
    assert api.status_code == 401 and api.is_json
    web = client.get("/no-such-page")
    assert web.status_code == 404 and "text/html" in web.content_type
    assert "页面不存在" in web.get_data(as_text=True)


def test_anonymous_web_visitors_are_sent_to_the_login_page(client, db_session):
    response = client.get("/associations/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- languages ------------------------------------------------------------------------


def test_the_ui_is_chinese_by_default_and_english_on_request(client, db_session):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.get("/language/en?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "登录" not in page.replace('lang="zh-CN">中文', "")
    client.get("/language/zh")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_a_forced_locale_speaks_its_own_language_and_the_request_keeps_its_own(app):
    # The request's catalogue is kept for the request (service/extensions.py); mail to a
    # recipient and an import's report in the uploader's language force another one.
    with app.test_request_context("/"):
        assert gettext("Members") == "个人会员"
        with force_locale("en"):
            assert gettext("Members") == "Members"
            assert render_template_string("{{ _('Members') }}") == "Members"
        assert gettext("Members") == render_template_string("{{ _('Members') }}") == "个人会员"


def test_a_request_finds_its_catalogue_once(app, monkeypatch):
    lookups = []
    find = flask_babel.Domain.get_translations
    monkeypatch.setattr(
        flask_babel.Domain, "get_translations", lambda self: lookups.append(1) or find(self)
    )
    for _request in range(2):  # a new request finds it again: a language switch takes effect
        with app.test_request_context("/"):
            for _string in range(3):
                gettext("Members")
            render_template_string("{{ _('Members') }} {{ _('Activities') }}")
    assert len(lookups) == 2


def test_the_language_switch_does_not_redirect_off_site(client, db_session):
    response = client.get("/language/en?next=//evil.example.com/")
    assert response.headers["Location"] == "/"


def test_every_message_has_a_chinese_translation(tmp_path):
    """Extract the messages afresh; each must be in the Chinese catalog with a msgstr."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    po_path = ROOT / "service/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    with po_path.open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(str(m) for m in wanted if not catalog.get(m))
    assert missing == [], f"untranslated: {missing}"


# --- migrations -----------------------------------------------------------------------


def test_the_migrations_match_the_models(app, db_session):
    collated = _collated_indexes()
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, db.metadata)
            if not (d[0] in ("add_index", "remove_index") and d[1].name in collated)
        ]
        defined = {name: _index_columns(connection, name) for name in collated}
    assert diff == [], json.dumps([str(d) for d in diff], ensure_ascii=False)
    assert defined == {"ix_member_tenant_pinyin": ["tenant_id", "name COLLATE pinyin", "id"]}


def _collated_indexes() -> set[str]:
    """The models' indexes with a column in a collation (`name COLLATE pinyin`). Alembic
    reflects such a column as the bare column, so its comparison reads the index as removed
    and added; the database's own definition of it is checked instead."""
    return {
        index.name
        for table in db.metadata.tables.values()
        for index in table.indexes
        if any(" COLLATE " in str(e) for e in index.expressions)
    }


def _index_columns(connection: sa.Connection, name: str) -> list[str]:
    """The columns of index `name` as the database defines it."""
    if connection.dialect.name == "postgresql":
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    definition = connection.execute(sa.text(sql), {"name": name}).scalar_one()
    columns = re.search(r"\((.*?)\)(?: WHERE|$)", definition).group(1)
    return [c.strip().replace('"', "") for c in columns.split(",")]


def test_the_primary_keys_are_the_models_but_on_postgresql_hold_the_tenant(app, db_session):
    """Alembic's comparison leaves primary keys out; this is it. The one intended
    difference: on PostgreSQL a table whose `tenant_id` is never NULL has the key
    `(tenant_id, id)` (migration 0030, for Citus; or `(column, id)` for a table distributed
    by another column), where the models (and SQLite, whose `INTEGER PRIMARY KEY` is the
    rowid) keep `id` as the identity."""
    with app.app_context(), db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        on_postgresql = connection.dialect.name == "postgresql"
        for table in db.metadata.sorted_tables:
            expected = [c.name for c in table.primary_key.columns]
            tenant = table.c.get(citus.DISTRIBUTED_BY.get(table.name, "tenant_id"))
            if on_postgresql and tenant is not None and not tenant.nullable:
                expected = [tenant.name, *expected]
            found = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert found == expected, table.name


def test_python_code_translates_as_flask_babels_own_functions(app):
    """service.i18n's `gettext` and `lazy_gettext` give what Flask-Babel's give: in the
    request's language, a forced one, with variables, and untranslated with no app."""
    from service import i18n

    cases = [("Members", {}), ("%(n)d activities are held but not yet reported.", {"n": 3})]

    def both(string, variables):
        ours = (i18n.gettext(string, **variables), str(i18n.lazy_gettext(string, **variables)))
        theirs = (
            flask_babel.gettext(string, **variables),
            str(flask_babel.lazy_gettext(string, **variables)),
        )
        return ours, theirs

    with app.test_request_context("/"):
        for string, variables in cases:
            ours, theirs = both(string, variables)
            assert ours == theirs
        assert i18n.gettext("Members") == "个人会员"
        with force_locale("en"):
            assert both("Members", {})[0] == both("Members", {})[1] == ("Members", "Members")
        label = i18n.lazy_gettext("Members")
        assert label.__html__() == "个人会员" and f"{label}" == "个人会员"
    assert i18n.gettext("Members") == flask_babel.gettext("Members") == "Members"
