"""Security headers, cookie flags, and a clear 503 when the database is away."""
from __future__ import annotations

import pytest

from market.accounts.models import Role


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_tls(client):
    response = client.get("/", base_url="https://market.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("url", ["/", "/projects/", "/organizations/", "/funds/", "/login", "/register"])
def test_pages_carry_no_inline_scripts_or_styles(client, url):
    page = client.get(url).get_data(as_text=True)
    assert "<script>" not in page and "<script " not in page.replace('<script src="', "")
    assert 'style="' not in page and "<style" not in page


def test_session_cookie_is_httponly_and_samesite(browser, make_user):
    response = browser.post("/login", {"email": make_user(Role.RESIDENT).email, "password": "correct-horse-9"})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_database_down_gives_a_clear_503(tmp_path):
    from market import create_app
    from market.config import TestConfig

    # Port 1 on loopback refuses at once: a database that is not there.
    app = create_app(TestConfig("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
                                instance_path=str(tmp_path)))
    client = app.test_client()
    page = client.get("/projects/")
    assert page.status_code == 503
    assert "briefly unavailable" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "30"
    api = client.get("/api/v1/projects")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "unavailable"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "unavailable"}


def test_login_rate_limit_survives_redis_being_away(tmp_path, monkeypatch):
    """With REDIS_URL pointing at nothing, log-in still works and is still limited (in memory)."""
    from market import create_app
    from market.config import TestConfig

    config = TestConfig(f"sqlite:///{tmp_path / 'db.sqlite'}", instance_path=str(tmp_path))
    config.REDIS_URL = config.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"
    config.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    app = create_app(config)
    with app.app_context():
        from market.db import db

        db.create_all()
    client = app.test_client()
    statuses = []
    for n in range(12):
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        statuses.append(client.post("/login", data={"email": f"x{n}@example.org", "password": "nope",
                                                    "csrf_token": token}).status_code)
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429
