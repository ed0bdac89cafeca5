"""Route guards: log-in and role checks, applied before any view code runs."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from market.accounts.models import Role
from market.db import db
from market.extensions import login_manager


@login_manager.user_loader
def load_user(user_id: str):
    from market.accounts.models import User

    return db.session.get(User, int(user_id))


def roles_required(*roles: Role):
    """Require a logged-in user with one of ``roles`` (administrators pass every check)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


official_required = roles_required(Role.OFFICIAL)
