"""Small request-safety helpers."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_REDIRECT_LENGTH = 2000


def safe_next_url(target: str | None) -> str | None:
    """Accept only local paths as redirect targets: no open redirects, and nothing that could split
    the Location header (control characters, a backslash some browsers read as a slash).

    >>> safe_next_url("/projects/?page=2"), safe_next_url("//evil.example"), safe_next_url("/\\r\\nSet-Cookie:x=1")
    ('/projects/?page=2', None, None)
    """
    if not target or len(target) > MAX_REDIRECT_LENGTH:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
