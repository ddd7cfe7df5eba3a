"""The application factory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, limiter, login_manager, migrate
from app.languages import N_
from app.private_files import create_private_file
from app.translation import gettext
from app.web.application import EurograntsFlask
from app.web.converters import IdConverter, id_schema
from app.web.errors import EurograntsApi, register_error_handlers
from config import Config, ProductionConfig, config_from_env

rest_api = EurograntsApi()


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app: extensions, blueprints, error handlers, template helpers and CLI commands."""
    config_class = config_class or config_from_env()
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = EurograntsFlask(__name__, template_folder="../templates", instance_relative_config=False)
    app.url_map.converters["int"] = IdConverter
    _configure(app, config_class)
    _init_extensions(app)
    _register_blueprints(app)
    _register_handlers_and_commands(app)
    return app


def _configure(app: Flask, config_class: type[Config]) -> None:
    """Load the configuration and fill in the places it leaves to the app: storage, erasure register, SQLite's
    folder."""
    app.config.from_object(config_class)
    if not app.config.get("STORAGE_DIR"):
        app.config["STORAGE_DIR"] = tempfile.mkdtemp(prefix="eurogrants-storage-")
    if not app.config.get("ERASURE_REGISTER"):
        app.config["ERASURE_REGISTER"] = str(Path(app.config["STORAGE_DIR"]) / "erasure-register.jsonl")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///").partition("?")[0]
        if database and database != ":memory:":
            # Created here, empty (a valid SQLite database) and 0600, before SQLite would create it readable by all;
            # SQLite gives its journal and WAL files the database file's mode.
            create_private_file(Path(database))
    trusted_proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if trusted_proxies > 0:
        # The client's address and scheme as the last `trusted_proxies` hops forwarded them (X-Forwarded-For,
        # X-Forwarded-Proto): what rate limits and lockouts count by. With 0, those headers are ignored, since
        # anybody can send them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    _init_login(app)
    from app.web.locale import init_languages

    init_languages(app)
    rest_api.init_app(app, spec_kwargs={
        "info": {"description": "Eurogrants: calls, proposals, evaluation and selection."},
    })
    rest_api.register_converter(IdConverter, id_schema)


def _register_blueprints(app: Flask) -> None:
    from app import models  # noqa: F401 - registers the models with the metadata
    from app.account import bp as account_bp
    from app.api import register_api
    from app.applicant import bp as applicant_bp
    from app.auth import bp as auth_bp
    from app.health import bp as health_bp
    from app.manage import bp as manage_bp
    from app.public import bp as public_bp
    from app.review import bp as review_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(applicant_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(account_bp)
    register_api(rest_api)


def _register_handlers_and_commands(app: Flask) -> None:
    """Error handlers, the job pool's shutdown with the process, response headers, input cleaning, template
    helpers and the CLI commands."""
    register_error_handlers(app)

    from app import jobs

    jobs.init_app(app)

    from app.web.headers import register_security_headers

    register_security_headers(app)

    from app.web.access import register_enrolment_gate

    register_enrolment_gate(app)

    from app.web.input_guard import register_input_guard

    register_input_guard(app)

    from app.web.templating import register_template_helpers

    register_template_helpers(app)

    from app.cli import register_cli

    register_cli(app)


def _init_login(app: Flask) -> None:
    from app.web.sessions import load_user_of_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # A cookie counts only while its server-side session lives (app/web/sessions.py).
    login_manager.user_loader(load_user_of_session)  # called, not stacked: Flask-Login's decorator is untyped
