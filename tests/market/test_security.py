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


REDIS_AWAY_SCRIPT = """
import sys
from market import create_app
from market.config import TestConfig
from market.core.db import db

config = TestConfig("sqlite:///" + sys.argv[1], instance_path=sys.argv[2])
config.REDIS_URL = config.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"
config.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
app = create_app(config)
with app.app_context():
    db.create_all()
client = app.test_client()
statuses = []
for n in range(12):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    statuses.append(client.post("/login", data={"email": f"x{n}@example.org", "password": "nope",
                                                "csrf_token": token}).status_code)
import json
print(json.dumps(statuses))
"""


def test_login_rate_limit_survives_redis_being_away(tmp_path):
    """With REDIS_URL pointing at nothing, log-in still works and is still limited (in memory).

    Run in its own process: the limiter is one object per process, and this app would take it over.
    """
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", REDIS_AWAY_SCRIPT, str(tmp_path / "db.sqlite"), str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429


def test_no_secrets_in_logs(browser, make_user, caplog, app):
    """Passwords, session keys and payment secrets never reach the log, whatever happens."""
    import logging

    caplog.set_level(logging.DEBUG)
    user = make_user(Role.RESIDENT, password="very-secret-pass-42")
    browser.post("/login", {"email": user.email, "password": "wrong-secret-pass-43"})
    browser.post("/login", {"email": user.email, "password": "very-secret-pass-42"})
    browser.post("/register", {"display_name": "x", "email": "bad", "role": "resident",
                               "password": "another-secret-44", "confirm": "another-secret-44"})
    browser.client.post("/payments/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=forged"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("very-secret-pass-42", "wrong-secret-pass-43", "another-secret-44", app.config["SECRET_KEY"],
                   user.password_hash):
        assert secret not in logged


def test_an_oversize_request_gets_a_clear_413(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    page = browser.post("/login", {"email": "a@example.org", "password": "y" * (2 * 1024 * 1024)})
    assert page.status_code == 413
    assert "larger than 1 MB in all, so nothing was saved" in page.get_data(as_text=True)
    assert browser.get("/login").status_code == 200  # the form is there to try again


def test_file_fields_tell_the_browser_their_limits(browser, make_user, geo):
    """The browser refuses too many or too large files before sending (market/static/js/upload-limits.js)."""
    from market.core.db import db, utcnow
    from market.micro.models import MicroRound, RoundPhase

    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    round_ = MicroRound(title="岗厦社区民生微实事", year=2027, street_id=geo.streets[0].id,
                        community_id=geo.communities[0].id, official_id=official.id, phase=RoundPhase.COLLECTION,
                        budget_cents=100_000_000, ballot_salt="salt")
    db.session.add(round_)
    db.session.commit()
    browser.login(make_user(Role.RESIDENT, verified_at=utcnow()))
    page = browser.get(f"/micro/rounds/{round_.id}/proposals/new").get_data(as_text=True)
    assert 'data-max-bytes="5242880"' in page and 'data-max-files="6"' in page
    assert "is larger than 5 MB" in page and "upload-limits.js" in page


# ---------------------------------------------------------------- absurd input never makes a 500

@pytest.mark.parametrize("logged_in", [False, True])
def test_header_splitting_in_the_language_switch_is_refused(browser, make_user, logged_in):
    """Attack: /lang/en?next=/%0D%0ASet-Cookie:x=1 used to crash the redirect (500)."""
    if logged_in:
        browser.login(make_user(Role.RESIDENT))
    response = browser.get("/lang/en?next=/%0D%0ASet-Cookie:x=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_an_absurd_page_number_is_a_400(browser, make_user):
    """Attack: /audit/?page=99999999999999999999 used to overflow the database offset (500)."""
    browser.login(make_user(Role.OFFICIAL))
    assert browser.get("/audit/?page=99999999999999999999").status_code == 400
    assert browser.get("/audit/?page=-1").status_code == 400
    assert browser.get("/audit/?page=2").status_code == 200


@pytest.mark.parametrize("typed, problem", [
    ("Infinity", "Type an amount"), ("NaN", "Type an amount"), ("sNaN", "Type an amount"),
    ("1e5", "Type an amount"), ("1_000", "Type an amount"), ("10.005", "two decimal places"),
    ("-1", "Cannot be negative"), ("99999999999999999999", "Too large"), ("1,000", "Type an amount"),
    ("١٢٠٠", "Type an amount"), ("١٢٠٠.٥", "Type an amount"), ("1" * 5000, "Too large"),
    ("1000000000000.01", "Too large"),
])
def test_the_one_amount_parser_refuses_what_is_not_an_amount(app, typed, problem):
    from market.core.money import AmountError, parse_yuan

    with app.test_request_context(), pytest.raises(AmountError) as refused:
        parse_yuan(typed)
    assert problem in str(refused.value)


@pytest.mark.parametrize("typed, cents", [("1000000000000", 10**14), ("1200", 120000), ("1200.5", 120050), ("0.01", 1), (" ３００ ", 30000),
                                          ("12.50", 1250), ("12.500", 1250)])
def test_the_one_amount_parser_reads_amounts(typed, cents):
    from market.core.money import parse_yuan

    assert parse_yuan(typed) == cents


@pytest.mark.parametrize("budget", ["Infinity", "NaN", "1e9", "99999999999999999999", "10.005"])
def test_absurd_budgets_rerender_the_project_form(browser, make_user, budget):
    official = make_user(Role.OFFICIAL)
    browser.login(official)
    response = browser.post("/projects/new", {"kind": "government_service", "title": "长者助餐", "description": "为长者送餐",
                                              "category_id": 1, "project_type": "service", "budget": budget})
    assert response.status_code == 400
    assert "长者助餐" in response.get_data(as_text=True)


def test_no_single_movement_of_money_is_larger_than_any_form_accepts(app, make_pool):
    """Attack: the forms accepted amounts up to the limit of the 64-bit column, so two confirmed top-ups
    made a pool's balance overflow it. The ledger refuses any one movement above the largest amount a
    form accepts (10^12 yuan), so sums of many stay far inside 64 bits."""
    from market.core import ledger
    from market.core.db import db
    from market.core.money import MAX_AMOUNT_CENTS

    pool = make_pool(total_cents=1_000_000)
    with pytest.raises(ValueError):
        ledger.move(ledger.Movement.TOP_UP, MAX_AMOUNT_CENTS + 1, source=ledger.OUTSIDE, target=ledger.pool(pool.id),
                    actor=None, reference=pool, key="absurd-top-up")
    db.session.rollback()
    assert ledger.balance(ledger.pool(pool.id)) == 1_000_000
    assert MAX_AMOUNT_CENTS * 10_000 < 2 ** 63


def test_errors_on_pages_machines_read_are_json(browser, make_user, client, make_browser):
    """Attack: a missing run's ``status.json`` (asked for logged in, or not: a redirect to the log-in page),
    a webhook posted as a form and a JSON body without a CSRF token were answered with HTML, which scripts
    and Stripe cannot read. Every such answer is JSON with a code and a reason."""
    anonymous = make_browser().get("/review/runs/1/status.json")
    assert anonymous.status_code == 404 and anonymous.is_json and anonymous.get_json()["error"]["code"]
    browser.login(make_user(Role.OFFICIAL))
    missing = browser.get("/review/runs/999999/status.json")
    assert missing.status_code == 404 and missing.is_json and missing.get_json()["error"]["code"]
    webhook = client.post("/payments/stripe/webhook", data={"type": "checkout.session.completed"})
    assert webhook.status_code == 400 and webhook.is_json and webhook.get_json()["error"]["message"]
    forged = browser.client.post("/projects/new", json={"kind": "government_service", "title": "x"})
    assert forged.status_code == 400 and forged.is_json and forged.get_json()["error"]["code"] == "csrf"
    page = browser.client.post("/projects/new", data={"title": "x"})  # a browser's form: still a page
    assert page.status_code == 400 and not page.is_json and "<html" in page.get_data(as_text=True).lower()


def test_numbers_too_large_for_the_database_are_a_400_not_a_500(app, browser, make_user, geo):
    browser.login(make_user(Role.ADMIN))
    page = browser.get(f"/bids/districts/{geo.district.id}/settings")
    assert page.status_code == 200
    response = browser.post(f"/bids/districts/{geo.district.id}/department-codes",
                            {"org_id": "1180591620717411303424", "code": "FTMZ"})
    assert response.status_code == 400
    assert browser.get("/panels/experts?category=99999999999999999999999").status_code == 400


def test_an_unsubscribe_link_of_an_account_that_is_gone_is_refused(app, client):
    from market.notifications.services import unsubscribe_token

    token = unsubscribe_token(app.config["SECRET_KEY"], 987_654, "micro.round_opened")
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 400
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
