"""Configuration from the environment. Production refuses to start on unsafe settings."""

from __future__ import annotations

import base64
import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the environment the service runs in."""


def _instance_sqlite(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'kexie.sqlite3'}"


def _postgres_driver(url: str) -> str:
    # Accept the usual postgres:// and postgresql:// forms; the driver is psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except ValueError:
        return False


def from_environment(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    mode = env.get("APP_ENV", "development")
    if mode not in ("development", "production", "testing"):
        raise ConfigError(f"APP_ENV must be development, production or testing, not {mode!r}")
    production = mode == "production"
    secret = env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY is not set: refusing to start in production without it")
        # Development and tests only; production refused above.
        secret = "dev-only-not-secret"  # noqa: S105
    database_url = _postgres_driver(env.get("DATABASE_URL") or _instance_sqlite(instance_path))
    if production and database_url.startswith("sqlite") and env.get("ALLOW_SQLITE") != "1":
        raise ConfigError("DATABASE_URL is SQLite in production; set ALLOW_SQLITE=1 to insist")
    if production and env.get("FLASK_DEBUG") == "1":
        raise ConfigError("FLASK_DEBUG is on in production")
    redis_url = env.get("REDIS_URL") or None
    secrets_key = env.get("SECRETS_KEY") or None
    if secrets_key and not _is_fernet_key(secrets_key):
        raise ConfigError("SECRETS_KEY is not a Fernet key (32 url-safe base64-encoded bytes)")
    second_factor = env.get("SECOND_FACTOR_REQUIRED", "1" if production else "0")
    return {
        "APP_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No ping before every checkout (a round trip per request): a connection the server
        # dropped is replaced when its transaction's first statement fails, and that
        # statement sent again (tenants/roundtrips.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        # None: migrate through the service's own connection (SQLite, development).
        # Row-level security settings as SET LOCAL statements, which Citus propagates to its
        # workers, rather than set_config() calls (tenants/rls.py, deploy/SCALE.md).
        "RLS_SET_LOCAL": env.get("RLS_SET_LOCAL") == "1",
        "MIGRATION_DATABASE_URL": _postgres_driver(env.get("MIGRATION_DATABASE_URL") or "") or None,
        "REDIS_URL": redis_url,
        # How long a worker trusts a verified API token without the database: a revoked
        # token stops working within this on every worker (at once with Redis).
        "API_TOKEN_CACHE_SECONDS": float(env.get("API_TOKEN_CACHE_SECONDS", "5")),
        # With no Redis, a thread of the serving process runs periodic jobs and delayed
        # retries (service.jobs.EmbeddedScheduler); seconds between its looks at the clock.
        "EMBEDDED_SCHEDULER": redis_url is None and env.get("EMBEDDED_SCHEDULER") != "0",
        "EMBEDDED_SCHEDULER_TICK": float(env.get("EMBEDDED_SCHEDULER_TICK", "15")),
        # With Redis, how long a refresh waits before a worker may take it: the writes of
        # that while share it (service.jobs._push).
        "REFRESH_DELAY_SECONDS": float(env.get("REFRESH_DELAY_SECONDS", "2")),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: limit per process in memory, and never fail a request over a limit.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Sign-in tries per address, whatever the username (against spraying).
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Failures per username (all addresses) before it is paced, and the pace (seconds
        # between tries from unknown devices); see service/auth/throttle.py.
        "LOGIN_USERNAME_CEILING": env.get("LOGIN_USERNAME_CEILING", "10 per 15 minutes"),
        "LOGIN_SLOW_PACE": int(env.get("LOGIN_SLOW_PACE", "30")),
        # Seals what the service must read back (TOTP keys); derived from SECRET_KEY when
        # unset (service/auth/sealed.py).
        "SECRETS_KEY": secrets_key,
        # Privileged accounts may not finish a password sign-in without their second factor
        # (they enrol on the way in); on by default in production.
        "SECOND_FACTOR_REQUIRED": second_factor == "1",
        "APPLICATION_RATE_LIMIT": env.get("APPLICATION_RATE_LIMIT", "5 per minute"),
        "SESSION_COOKIE_SECURE": mode != "development" and env.get("INSECURE_COOKIES") != "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": mode != "development" and env.get("INSECURE_COOKIES") != "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "API_TITLE": "University S&T Associations API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "OPENAPI_REDOC_PATH": "redoc",
        "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        "PAGE_SIZE_MAX": 100,
        "MAX_UPLOAD_BYTES": int(env.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "IMPORT_MAX_BYTES": int(env.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024))),
        "IMPORT_MAX_ROWS": int(env.get("IMPORT_MAX_ROWS", "20000")),
        # Flask-Mailman's settings, from the SMTP_* names the deployment sets. Mail goes out
        # only where a relay is named (service/mail.py); what it says is shown in-app always.
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": env.get("SMTP_HOST") or None,
        "MAIL_PORT": int(env.get("SMTP_PORT", "25")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_FROM", "noreply@kexie.example.cn"),
        "MAIL_TIMEOUT": 10,  # seconds; a relay that hangs must not hold a request for long
        "DEMO_PASSWORD": env.get("DEMO_PASSWORD", "kexie-demo-2026"),
        # How many proxies in front set X-Forwarded-*: 1 behind nginx, 0 when reached directly.
        "PROXY_FIX": int(env.get("PROXY_FIX", "0")),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }
