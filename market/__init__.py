"""Social Resource Exchange: the Flask application."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, make_response, render_template
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError

from market.config import Config
from market.core.db import init_replica as init_replica_engine
from market.core.errors import DomainError
from market.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
from market.ui.guard import domain_error_response, wants_json

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Any = None) -> Flask:
    """Build the application. ``config`` is a Config instance (default: read the environment)."""
    config = config or Config()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "market" / "static"),
        instance_path=config.INSTANCE_PATH,
    )
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    import market.models  # noqa: F401  (register every table)

    db.init_app(app)
    init_replica_engine(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "warning"
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "market" / "translations"))

    from market.core import audit
    from market.notifications import delivery
    from market.ui.replica import init_replica
    from market.ui.security import init_security

    audit.init_app(app)
    delivery.init_app(app)
    init_security(app)
    init_replica(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_cli(app)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return app


def _register_blueprints(app: Flask) -> None:
    from market.accounts.routes import bp as accounts_bp
    from market.api.routes import bp as api_bp
    from market.audit.routes import bp as audit_bp
    from market.bids.routes import bp as bids_bp
    from market.contracts.routes import bp as contracts_bp
    from market.funding.routes import bp as funding_bp
    from market.funds.routes import bp as funds_bp
    from market.micro.routes import bp as micro_bp
    from market.notifications.routes import bp as notifications_bp
    from market.orgs.routes import bp as orgs_bp
    from market.panels.routes import bp as panels_bp
    from market.payments.routes import bp as payments_bp
    from market.payments.routes import stripe_webhook
    from market.projects.routes import bp as projects_bp
    from market.review.routes import bp as review_bp
    from market.stats.routes import bp as stats_bp
    from market.web.routes import bp as web_bp
    from market.web.search import bp as search_bp

    for blueprint in (web_bp, accounts_bp, projects_bp, orgs_bp, funds_bp, search_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(bids_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(micro_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(funding_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(panels_bp)
    csrf.exempt(stripe_webhook)  # the webhook is authenticated by Stripe's signature instead
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    from market.opendata.routes import bp as opendata_bp

    app.register_blueprint(opendata_bp, url_prefix="/api/v1")
    csrf.exempt(opendata_bp)


def _register_error_handlers(app: Flask) -> None:
    from flask_babel import gettext as _

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return domain_error_response(error)

    def _http_error(status: int, code: str, message: str):
        if wants_json():
            body = jsonify({"error": {"code": code, "message": message, "fields": {}}})
        else:
            body = render_template("errors/error.html", status=status, message=message)
        return make_response(body, status)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def number_out_of_range(error):
        # A number too large for the database slipped past a form: refuse it rather than fail.
        db.session.rollback()
        return _http_error(400, "out_of_range", _("A number in the request is out of range."))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _http_error(400, "csrf", _("Your form expired or was not sent from this site. Please try again."))

    @app.errorhandler(400)
    def bad_request(error):
        return _http_error(400, "bad_request", _("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(error):
        return _http_error(403, "forbidden", _("You are not allowed to do that."))

    @app.errorhandler(404)
    def not_found(error):
        return _http_error(404, "not_found", _("Not found."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _http_error(405, "method_not_allowed", _("Method not allowed."))

    @app.errorhandler(413)
    def too_large(error):
        limit = max(1, (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
        return _http_error(413, "too_large", _("What you sent is larger than %(mb)d MB in all, so nothing was saved. "
                                               "Go back and send fewer or smaller files.", mb=limit))

    @app.errorhandler(429)
    def too_many(error):
        return _http_error(429, "rate_limited", _("Too many attempts. Please wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _http_error(500, "server_error", _("Something went wrong on our side."))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # The database is down or restarting: say so, ask to retry, keep the process alive.
        app.logger.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
        try:
            db.session.rollback()
        except OperationalError:
            pass  # the connection is gone; the pool replaces it on the next request
        message = _("The service is briefly unavailable. Nothing you sent was lost; please try again in a minute.")
        if wants_json():
            body = jsonify({"error": {"code": "unavailable", "message": message, "fields": {}}})
        else:
            body = render_template("errors/unavailable.html", message=message)
        response = make_response(body, 503)
        response.headers["Retry-After"] = "30"
        return response


def _register_template_helpers(app: Flask) -> None:
    from market.ui import formatting
    from market.ui.display import care_mode

    app.jinja_env.filters.update(money=formatting.money, date=formatting.date_label, datetime=formatting.datetime_label,
                                 localized=formatting.localized, as_written=formatting.as_written)
    app.jinja_env.globals.update(enum_label=formatting.enum_label, page_url=formatting.page_url,
                                working_days_note=formatting.working_days_note)

    @app.context_processor
    def inject_locale():
        return {"locale": str(get_locale() or "zh"), "care_mode": care_mode()}


def _register_cli(app: Flask) -> None:
    from market.audit.cli import audit_cli
    from market.demo.cli import demo_cli
    from market.micro.cli import micro_cli
    from market.notifications.cli import notifications_cli
    from market.ops.cli import backup_cli, ledger_cli
    from market.review.cli import review_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(review_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(micro_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(ledger_cli)
