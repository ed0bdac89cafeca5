"""Read-heavy public pages may read from the database's read replica (``DATABASE_REPLICA_URL``).

A client that has just written reads from the primary for a while (a short-lived cookie), so that it
always sees its own changes; the session itself moves to the primary after any write (see
:class:`market.core.db.RoutingSession`).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, request
from flask_login import current_user

from market.core.db import REPLICA, db

FRESH_COOKIE = "sre_fresh"
READS = ("GET", "HEAD")


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let this page's plain reads go to the replica, unless the client wrote a moment ago."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method in READS and FRESH_COOKIE not in request.cookies:
            # Who is asking (a disabled account, a session ended elsewhere) is read from the primary first.
            current_user._get_current_object()
            db.session.info["replica"] = True
        return view(*args, **kwargs)
    return wrapper


def init_replica(app: Flask) -> None:
    """After a successful write, the client reads from the primary for ``REPLICA_FRESH_SECONDS``."""
    @app.after_request
    def _remember_the_write(response: Response) -> Response:
        if REPLICA in app.extensions and request.method not in (*READS, "OPTIONS") \
                and response.status_code < 400:
            response.set_cookie(FRESH_COOKIE, "1", max_age=app.config.get("REPLICA_FRESH_SECONDS", 10),
                                httponly=True, samesite="Lax", secure=app.config.get("SESSION_COOKIE_SECURE", False))
        return response
