"""EHCP multi-agency audit and quality assurance: the Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from qa_app.config import ConfigError, config_class, database_uri, demo_secret_key
from qa_app.extensions import csrf, db, limiter, login_manager, migrate


class QualityApp(Flask):
    """Flask with one commit point: the end of each view (see qa_app/transactions.py)."""

    def dispatch_request(self) -> Any:
        from qa_app import transactions

        response = self.make_response(super().dispatch_request())
        transactions.finish_request(response.status_code)
        return response


def create_app(config: dict[str, Any] | str | None = None) -> Flask:
    """Build the app. `config` is an environment name or a dict of overrides (tests)."""
    overrides = config if isinstance(config, dict) else {}
    env_name = config if isinstance(config, str) else overrides.get("ENV_NAME")
    instance_path = overrides.get("INSTANCE_PATH") or os.environ.get("EHCP_QA_INSTANCE_PATH")
    app = QualityApp(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_object(config_class(env_name))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        app.config.get("DATABASE_URL"), app.instance_path
    )
    if app.config.get("DEMO") and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = demo_secret_key(app.instance_path)

    from qa_app import transactions

    _init_requests(app)
    _init_extensions(app)
    transactions.init_app(app)  # after the database: teardowns run last-added first
    _init_templates(app)
    _init_features(app)
    _init_assets(app)
    _init_errors(app)

    from workers import celery_init_app

    celery_init_app(app)
    return app


def require_secret_key(app: Flask) -> None:
    """Serving without a real key would let anyone forge sessions: refuse to start."""
    if not app.config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or run `ehcp-qa demo` for a local demonstration."
        )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _init_requests(app: Flask) -> None:
    """Before any route is added: strict ids in URLs, and the trusted proxies' headers."""
    from qa_app import inputs
    from qa_app.auth.limits import TrustedProxies

    inputs.init_app(app)
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    from qa_app import models  # noqa: F401  (complete metadata)
    from qa_app.auth.access import enforce_access, install_scoping
    from qa_app.form_fields import clean_free_text_in_every_form
    from qa_app.security import init_security_headers

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    clean_free_text_in_every_form()
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    install_scoping()
    init_security_headers(app)
    app.before_request(enforce_access)


def _init_templates(app: Flask) -> None:
    from qa_app.navigation import navigation_for_request
    from qa_app.timeutil import format_datetime

    app.add_template_global(format_datetime, "local_time")

    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("qa_app"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "navigation": navigation_for_request(),
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
        }


FEATURES = (
    "qa_app.auth",
    "qa_app.main",
    "qa_app.register",
    "qa_app.standards",
    "qa_app.audits",
    "qa_app.history",
    "qa_app.reporting",
    "qa_app.letters",
    "qa_app.dashboard",
    "qa_app.api",
    "qa_app.jobs",
    "qa_app.agencies",
    "qa_app.mail",
    "qa_app.improvement",
    "qa_app.people",
    "qa_app.reminders",
    "qa_app.board",
    "qa_app.library",
    "qa_app.learning",
    "qa_app.reaudit",
    "qa_app.challenges",
    "qa_app.calibration",
    "qa_app.surveys",
    "qa_app.sections",
)
"""Every feature, in the order its pages are registered. Each is a package whose
`init_app(app)` adds its blueprints, `ehcp-qa` commands, navigation items and schedule
entries; its background tasks are its `tasks.py` (found by workers/__init__.py)."""


def _init_features(app: Flask) -> None:
    """A feature that cannot be imported, or has no init_app, stops the app being built."""
    from importlib import import_module

    for name in FEATURES:
        import_module(name).init_app(app)


def _init_assets(app: Flask) -> None:
    """Serve GOV.UK Frontend's compiled files from the npm package: no CDN at run time."""
    dist = Path(app.config["GOVUK_FRONTEND_DIST"])
    if not (dist / "govuk-frontend.min.css").exists():
        app.logger.warning(
            "GOV.UK Frontend not found at %s: run `npm ci` in the project folder", dist
        )

    def assets(filename: str) -> ResponseReturnValue:
        return send_from_directory(dist / "assets", filename, max_age=86400)

    def govuk_dist(filename: str) -> ResponseReturnValue:
        if filename not in {"govuk-frontend.min.css", "govuk-frontend.min.js"}:
            abort(404)
        return send_from_directory(dist, filename, max_age=3600)

    app.add_url_rule("/assets/<path:filename>", "assets", assets)
    app.add_url_rule("/govuk/<path:filename>", "govuk_dist", govuk_dist)


def _init_errors(app: Flask) -> None:
    def page(template: str, status: int) -> Callable[[Exception], ResponseReturnValue]:
        def handler(error: Exception) -> ResponseReturnValue:
            _without_database_if_down()
            if request.path.startswith("/api/"):
                name = getattr(error, "name", "error").lower().replace(" ", "_")
                message = getattr(error, "description", None) or "The request failed"
                return jsonify(error=name, message=message), status
            return render_template(template, error=error), status

        return handler

    app.register_error_handler(400, page("errors/400.html", 400))
    app.register_error_handler(404, page("errors/404.html", 404))
    app.register_error_handler(405, page("errors/404.html", 405))
    app.register_error_handler(413, page("errors/413.html", 413))
    app.register_error_handler(429, page("errors/429.html", 429))
    app.register_error_handler(CSRFError, page("errors/csrf.html", 400))
    app.register_error_handler(IntegrityError, _conflict(page("errors/conflict.html", 409)))
    app.register_error_handler(500, page("errors/500.html", 500))


def _without_database_if_down() -> None:
    """An error page must render when the database is down: if the session cannot be reset
    or the signed-in user cannot be read, show the page as to a signed-out visitor."""
    from contextlib import suppress

    from flask import g
    from flask_login import current_user

    try:
        db.session.rollback()
        current_user.is_authenticated  # noqa: B018  (loads the user now, not in the layout)
    except Exception:  # any database failure: the page must still render
        current_app.logger.warning("error page shown without the database", exc_info=True)
        with suppress(Exception):
            db.session.remove()
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        g.navigation = []


RACED_TABLES = frozenset({
    "final_grades", "final_criterion_grades", "samples", "sample_items", "panel_members",
    "audit_scores", "letters", "letter_responses", "improvement_actions",
    "board_reports", "board_commentary_requests",
    "grade_challenges",
    "learning_briefs",
})
"""Tables whose unique keys the code checks before writing, so that a refusal can only mean
another request wrote the same thing in the same moment (a double submit, two tabs)."""


def _conflict(
    render: Callable[[Exception], ResponseReturnValue],
) -> Callable[[IntegrityError], ResponseReturnValue]:
    """Two requests writing the same thing at once: the database refuses the second (a unique
    key), everything it sent is rolled back, and the person is told to reload and check."""

    def handler(error: IntegrityError) -> ResponseReturnValue:
        table = _unique_key_table(error)
        if table not in RACED_TABLES:
            raise error  # any other refusal is a fault: let it be a 500 with its traceback
        current_app.logger.warning("Write refused by a unique key of %s: %s %s",
                                   table, request.method, request.path)
        return render(error)

    return handler


def _unique_key_table(error: IntegrityError) -> str | None:
    """The table whose unique key refused a write; None if it was not a unique key."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "23505":
        return getattr(getattr(original, "diag", None), "table_name", None)
    text = str(original)
    if text.startswith("UNIQUE constraint failed:"):
        return text.removeprefix("UNIQUE constraint failed:").strip().split(".")[0]
    return None
