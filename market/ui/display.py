"""How the reader chose to see the site: care mode (关怀模式, for older readers) — larger text, stronger
contrast, bigger targets and a shorter menu. The choice lives in a cookie of its own, set by a plain
link (no JavaScript, no account needed) and kept for a year so it holds from one visit to the next."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, has_request_context, request

CARE_COOKIE = "care"
CARE_COOKIE_AGE = timedelta(days=365)


def care_mode() -> bool:
    """Whether the reader switched care mode on."""
    return has_request_context() and request.cookies.get(CARE_COOKIE) == "1"


def remember_care_mode(response: Response, on: bool) -> Response:
    """Set or clear the care-mode cookie on ``response``."""
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if on:
        response.set_cookie(CARE_COOKIE, "1", max_age=CARE_COOKIE_AGE, httponly=True, samesite="Lax", secure=secure)
    else:
        response.delete_cookie(CARE_COOKIE, httponly=True, samesite="Lax", secure=secure)
    return response
