"""Settings read from the environment, one class per way of running the app."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PROBLEMS: list[str] = []
"""Malformed settings found while this module was read; config_class() reports them, so a
command fails with one clear line rather than a traceback at import."""


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        PROBLEMS.append(f"{name}={value!r} is not a whole number of 0 or more")
        return default
    return int(value)


def _env_json_object(name: str) -> dict[str, str]:
    """A JSON object of strings from the environment, e.g. NOTIFY_TEMPLATE_IDS."""
    import json

    value = os.environ.get(name, "").strip()
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        PROBLEMS.append(f'{name} is not a JSON object of names to ids, e.g. '
                        '{"invitation": "..."}')
        return {}
    return parsed


class BaseConfig:
    SERVICE_NAME = "EHCP quality assurance"
    PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Example SEND Partnership")
    PARTNERSHIP_ADDRESS = os.environ.get(
        "PARTNERSHIP_ADDRESS", "Civic Centre|Example Street|Exampletown EX1 1AA"
    )
    PARTNERSHIP_LOGO = os.environ.get("PARTNERSHIP_LOGO")
    SERVICE_URL = os.environ.get("SERVICE_URL", "http://127.0.0.1:5000")
    DATABASE_URL = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SECRET_KEY = os.environ.get("SECRET_KEY")
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    """Redis down: count sign-in attempts per process in memory (logged) rather than fail."""
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    JOB_STALL_SECONDS = env_int("JOB_STALL_SECONDS", 300)
    """A job sent and not started, or running with no heartbeat, this long is stalled."""
    JOB_CHECK_SECONDS = env_int("JOB_CHECK_SECONDS", 60)
    """How often the scheduled check for stalled jobs runs (on celery beat)."""
    JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
    """How many times in all a stalled job is sent to a worker before it is failed."""
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    """Failed sign-ins allowed for one email address, from wherever they come."""
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute")
    """Failed sign-ins allowed from one network address, whatever the email."""
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    """Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host to believe."""
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    """Largest request body, in bytes; only the import upload (IMPORT_MAX_BYTES) is larger."""
    IMPORT_XLSX_MAX_UNPACKED_BYTES = env_int("IMPORT_XLSX_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
    """An XLSX upload whose parts unpack to more than this is refused before it is parsed."""
    IMPORT_XLSX_MAX_RATIO = env_int("IMPORT_XLSX_MAX_RATIO", 100)
    """An XLSX part (over 1 MB) unpacking to more than this many times its packed size too."""
    IMPORT_JOB_ROWS = env_int("IMPORT_JOB_ROWS", 5000)
    """An upload with more rows than this is imported as a background job, with progress."""
    IMPORT_LOCK_WAIT = env_int("IMPORT_LOCK_WAIT", 30)
    """Seconds an import waits for another of its kind to finish before it is refused."""
    RUBRICS_DIR = Path(os.environ.get("RUBRICS_DIR", PROJECT_ROOT / "rubrics"))
    GOVUK_FRONTEND_DIST = Path(
        os.environ.get(
            "GOVUK_FRONTEND_DIST",
            PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk",
        )
    )
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 120)
    PREFERRED_URL_SCHEME = "https"
    DEMO = False
    TESTING = False
    RECALCULATE_ON_CHANGE = _env_flag("RECALCULATE_ON_CHANGE", True)
    """Start a recalculation of the affected periods after every change to their data."""
    API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
    """How long a new API token works before it must be replaced."""
    SECOND_FACTOR_REQUIRED = _env_flag("SECOND_FACTOR_REQUIRED", False)
    """Admins, QI managers and panel chairs must set up an authenticator app after signing
    in (off by default, so the demo signs in with a password alone)."""
    SECOND_FACTOR_RATE_LIMIT = os.environ.get("SECOND_FACTOR_RATE_LIMIT", "5 per 10 minutes")
    """Wrong codes allowed per account at the sign-in code step."""
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    """An SMTP server to send email through; with neither it nor NOTIFY_API_KEY set, every
    message is kept in the outbox (the admin's Emails page) and not sent."""
    MAIL_PORT = env_int("MAIL_PORT", 587)
    MAIL_USE_TLS = _env_flag("MAIL_USE_TLS", True)
    """Ask the SMTP server for STARTTLS before signing in to it."""
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "ehcp-qa@localhost")
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 5)
    """How many times the worker tries to hand one message over before marking it failed."""
    MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
    """The first wait before trying again; each later wait is twice the one before."""
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY") or None
    """A GOV.UK Notify API key: send through Notify instead of SMTP."""
    NOTIFY_BASE_URL = os.environ.get(
        "NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
    )
    NOTIFY_TEMPLATE_IDS = _env_json_object("NOTIFY_TEMPLATE_IDS")
    """Which Notify template sends each kind of email, as JSON: {"invitation": "<id>", ...}."""
    INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
    """How long an invitation link works."""
    RESET_HOURS = env_int("RESET_HOURS", 1)
    """How long a password reset link works."""
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")
    """Password reset requests allowed for one email address, and (times six) from one
    network address."""
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"
    """The Argon2id parameters for new password hashes (argon2.profiles): RFC 9106's
    recommendation for machines with little memory, the library's default."""
    REAUDIT_BELOW_STANDARD = _env_flag("REAUDIT_BELOW_STANDARD", False)
    """Mark every final grade below good "amend and re-audit" as soon as it is finalised."""
    SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "60 per minute")
    """Requests to the public survey pages allowed from one network address."""
    REMINDER_AUDITS_DUE_DAYS = env_int("REMINDER_AUDITS_DUE_DAYS", 7)
    """How many days before the panel meets the "audits due soon" reminder goes."""


class ProductionConfig(BaseConfig):
    """The default: refuses to serve without a real secret key."""


class DevelopmentConfig(BaseConfig):
    SESSION_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"


class DemoConfig(DevelopmentConfig):
    """`ehcp-qa demo`: local, plain HTTP on 127.0.0.1, key kept in the instance folder."""

    DEMO = True
    # The demo's people are made up: its emails stay in the outbox (the Emails page).
    MAIL_SERVER = None
    NOTIFY_API_KEY = None


class TestConfig(DevelopmentConfig):
    TESTING = True
    SECRET_KEY = "test-only-secret-key"
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests of other features aggregate when they choose; tests of the automatic
    # recalculation switch it on (tests/test_recalculation.py).
    RECALCULATE_ON_CHANGE = False
    # Email stays in the outbox unless a test points it at its own server (tests/mail_server.py).
    MAIL_SERVER = None
    NOTIFY_API_KEY = None
    MAIL_RETRY_SECONDS = 0
    # Still Argon2id, with the smallest parameters: a sign-in costs milliseconds, not 0.1 s
    # (about a tenth of the suite's time). Not read from the environment.
    PASSWORD_HASH_PROFILE = "CHEAPEST"


CONFIGS: dict[str, type[BaseConfig]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "demo": DemoConfig,
    "test": TestConfig,
}


def config_class(name: str | None = None) -> type[BaseConfig]:
    if PROBLEMS:
        raise ConfigError("; ".join(PROBLEMS))
    name = (name or os.environ.get("EHCP_QA_ENV") or "production").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        known = ", ".join(sorted(CONFIGS))
        raise ConfigError(f"EHCP_QA_ENV={name!r} is not one of: {known}") from None


def database_uri(url: str | None, instance_path: str) -> str:
    """Validate DATABASE_URL early so a typo is one clear line, not a traceback later."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url:
        return f"sqlite:///{Path(instance_path) / 'ehcp_qa.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL (expected e.g. "
            "postgresql://user@host/dbname or sqlite:///path/to/file.sqlite3)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL uses {backend!r}; supported: postgresql, sqlite")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def demo_secret_key(instance_path: str) -> str:
    """Create once and keep the demo's secret so restarts keep people signed in."""
    import secrets

    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
