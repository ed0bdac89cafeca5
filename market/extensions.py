"""Flask extensions, created unbound and initialised in ``create_app``."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from market.core.db import db

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """The language chosen with the switch, else the best Accept-Language match."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, background jobs, the demo loader
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


babel = Babel()

__all__ = ["db", "migrate", "csrf", "login_manager", "limiter", "babel", "select_locale"]
