"""Accounts: registration, hashed passwords, log-in throttling, sessions, rate limit, verification, disabling, CSRF."""
from __future__ import annotations

import re

from sqlalchemy import select

from market.accounts.models import Role, User
from market.core.db import db


def test_passwords_are_hashed(make_user):
    user = make_user(Role.RESIDENT, password="a-long-secret-1")
    assert "a-long-secret-1" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password("a-long-secret-1") and not user.check_password("wrong")


def test_resident_registers_unverified(browser, geo):
    response = browser.post("/register", {
        "display_name": "王芳", "email": "wang@example.org", "role": "resident",
        "community_id": geo.communities[2].id, "password": "lianhua-2026!", "confirm": "lianhua-2026!"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "wang@example.org"))
    assert user.role == Role.RESIDENT and not user.is_verified
    assert user.community_id == geo.communities[2].id


def test_weak_password_and_duplicate_email_rerender_with_input(browser, geo, make_user):
    make_user(Role.RESIDENT, email="taken@example.org")
    weak = browser.post("/register", {"display_name": "李雷", "email": "li@example.org", "role": "resident",
                                      "community_id": geo.communities[0].id, "password": "aaaaaaaaaaaa",
                                      "confirm": "aaaaaaaaaaaa"})
    assert weak.status_code == 400
    assert "李雷" in weak.get_data(as_text=True) and "Mix letters" in weak.get_data(as_text=True)
    taken = browser.post("/register", {"display_name": "X", "email": "taken@example.org", "role": "resident",
                                       "community_id": geo.communities[0].id, "password": "good-pass-123",
                                       "confirm": "good-pass-123"})
    assert taken.status_code == 409
    assert db.session.scalar(select(User).where(User.email == "li@example.org")) is None


def test_nobody_registers_as_official(browser, geo):
    response = browser.post("/register", {"display_name": "X", "email": "x@example.org", "role": "official",
                                          "password": "good-pass-123", "confirm": "good-pass-123"})
    assert response.status_code == 400  # not a valid choice
    assert db.session.scalar(select(User)) is None


def test_csrf_is_enforced_on_forms(browser, make_user):
    user = make_user(Role.RESIDENT)
    response = browser.post("/login", {"email": user.email, "password": "correct-horse-9"}, csrf=False)
    assert response.status_code == 400
    forged = browser.post("/login", {"email": user.email, "password": "correct-horse-9", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert browser.post("/login", {"email": user.email, "password": "correct-horse-9"}).status_code == 302


def test_pause_after_repeated_failures_from_one_address(browser, make_user):
    user = make_user(Role.RESIDENT)
    for _ in range(5):
        assert browser.post("/login", {"email": user.email, "password": "nope"}).status_code == 400
    paused = browser.post("/login", {"email": user.email, "password": "correct-horse-9"})
    assert paused.status_code == 403
    assert "Too many failed attempts from your connection" in paused.get_data(as_text=True)


def _post_login(client, email: str, password: str, address: str):
    from tests.conftest import _TOKEN

    token = _TOKEN.search(client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_a_stranger_cannot_lock_the_account_holder_out(app, make_user):
    """Attack: five wrong guesses for the administrator's e-mail used to lock the account for everyone.
    Failures now count per e-mail and address: the holder, from their own address, still logs in."""
    admin = make_user(Role.ADMIN, password="the-admins-pass-1")
    stranger, holder = app.test_client(), app.test_client()
    for _ in range(6):
        _post_login(stranger, admin.email, "guess-guess-1", "203.0.113.7")
    assert _post_login(stranger, admin.email, "the-admins-pass-1", "203.0.113.7").status_code == 403
    assert _post_login(holder, admin.email, "the-admins-pass-1", "198.51.100.2").status_code == 302


def test_the_holder_is_told_of_repeated_failures(app, make_user):
    from market.notifications.models import Notification

    user = make_user(Role.PROVIDER)
    client = app.test_client()
    for _ in range(5):
        _post_login(client, user.email, "wrong-wrong-1", "203.0.113.9")
    notice = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert notice is not None and notice.kind == "account.failed_logins"
    assert notice.params["address"] == "203.0.113.9"


def test_unknown_and_known_emails_get_the_same_answers(app, make_user):
    """Attack: unknown e-mails used to answer differently (and faster), and only real accounts got "locked"."""
    known = make_user(Role.RESIDENT)
    answers = {}
    for n, email in enumerate((known.email, "nobody-here@example.org")):
        client = app.test_client()
        sequence = [_post_login(client, email, "wrong-guess-1", f"192.0.2.{50 + n}") for _ in range(6)]
        answers[email] = [(r.status_code, _flash(r)) for r in sequence]
    assert answers[known.email] == answers["nobody-here@example.org"]
    assert answers[known.email][0] == (400, "E-mail or password is wrong.")
    assert answers[known.email][-1][0] == 403


def test_unknown_emails_cost_a_password_check_too(app, make_user, monkeypatch):
    """Timing: an unknown e-mail is checked against a decoy hash, so it takes as long as a known one."""
    import werkzeug.security

    from market.accounts import services

    checks = []
    real = werkzeug.security.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: checks.append(h) or real(h, p))
    with app.test_request_context():
        for email in ("nobody-at-all@example.org",):
            try:
                services.authenticate(email, "whatever-1", address="192.0.2.1")
            except Exception:  # noqa: BLE001 - the refusal itself is asserted elsewhere
                db.session.rollback()
    assert len(checks) == 1 and checks[0].startswith(("scrypt:", "pbkdf2:"))


def test_pauses_grow(app, make_user):
    from datetime import timedelta

    from market.accounts import services
    from market.accounts.models import LoginThrottle
    from market.core.db import utcnow
    from market.core.errors import DomainError

    user = make_user(Role.RESIDENT)
    now = utcnow()
    pauses = []
    for _round in range(3):
        for _ in range(5):
            try:
                services.authenticate(user.email, "bad-guess-1", address="192.0.2.9", now=now)
            except DomainError:
                db.session.commit()
        throttle = db.session.scalar(select(LoginThrottle))
        pauses.append(throttle.locked_until - now)
        now = throttle.locked_until + timedelta(seconds=1)
    assert pauses == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]


def test_parallel_wrong_guesses_all_count_towards_the_pause(app, make_user):
    """Five wrong passwords sent at the same moment pause the address, as five in a row do."""
    import threading

    from market.accounts import services
    from market.accounts.models import LoginThrottle
    from market.core.errors import DomainError

    email = make_user(Role.RESIDENT).email
    db.session.commit()
    barrier = threading.Barrier(5, timeout=30)

    def guess() -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.authenticate(email, "wrong-guess", address="192.0.2.77")
            except DomainError:
                db.session.commit()  # as the login page does: the failure is counted
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert db.session.scalar(select(LoginThrottle).where(LoginThrottle.address == "192.0.2.77")).locked_until


def _flash(response) -> str:
    import re

    found = re.search(r'class="flash flash-danger"[^>]*>([^<]+)<', response.get_data(as_text=True))
    return found.group(1).strip() if found else ""


def test_logout_ends_the_session_everywhere(app, make_user):
    """Attack: a cookie captured before log-out used to keep opening the dashboard."""
    user = make_user(Role.RESIDENT)
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        assert _post_login(client, user.email, "correct-horse-9", "192.0.2.3").status_code == 302
    captured = phone.get_cookie("session").value
    assert laptop.get("/dashboard").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', phone.get("/dashboard").get_data(as_text=True)).group(1)
    assert phone.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert thief.get("/dashboard").status_code == 302  # sent to log in
    assert laptop.get("/dashboard").status_code == 302


def test_disabling_ends_sessions_and_reenabling_does_not_revive_them(app, browser, make_user):
    """Attack: re-enabling a disabled account used to revive its old cookies."""
    admin, user = make_user(Role.ADMIN), make_user(Role.PROVIDER)
    client = app.test_client()
    assert _post_login(client, user.email, "correct-horse-9", "192.0.2.4").status_code == 302
    captured = client.get_cookie("session").value
    browser.login(admin)
    browser.post(f"/admin/users/{user.id}/disabled", {"disabled": "1"})
    browser.post(f"/admin/users/{user.id}/disabled", {"disabled": "0"})
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert thief.get("/dashboard").status_code == 302


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, make_user):
    user = make_user(Role.FUNDER)
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        _post_login(client, user.email, "correct-horse-9", "192.0.2.5")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      here.get("/account/password").get_data(as_text=True)).group(1)
    wrong = here.post("/account/password", data={"csrf_token": token, "current": "not-it-123", "password": "new-pass-2027",
                                                 "confirm": "new-pass-2027"})
    assert wrong.status_code == 400 and "not your current password" in wrong.get_data(as_text=True)
    done = here.post("/account/password", data={"csrf_token": token, "current": "correct-horse-9",
                                                "password": "new-pass-2027", "confirm": "new-pass-2027"})
    assert done.status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert elsewhere.get("/dashboard").status_code == 302
    db.session.refresh(user)
    assert user.check_password("new-pass-2027")


def test_login_is_rate_limited(browser, make_user):
    user = make_user(Role.RESIDENT)
    statuses = [browser.post("/login", {"email": f"nobody{n}@example.org", "password": "x"}).status_code
                for n in range(12)]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    assert browser.post("/login", {"email": user.email, "password": "correct-horse-9"}).status_code == 429


def test_disabled_account_cannot_log_in(browser, make_user):
    user = make_user(Role.PROVIDER, is_disabled=True)
    response = browser.post("/login", {"email": user.email, "password": "correct-horse-9"})
    assert response.status_code == 403


def test_admin_disables_and_audit_records_it(browser, make_user):
    admin, target = make_user(Role.ADMIN), make_user(Role.PROVIDER)
    browser.login(admin)
    assert browser.post(f"/admin/users/{target.id}/disabled", {"disabled": "1"}).status_code == 302
    db.session.refresh(target)
    assert target.is_disabled


def test_official_cannot_disable_accounts(browser, make_user):
    official, target = make_user(Role.OFFICIAL), make_user(Role.PROVIDER)
    browser.login(official)
    assert browser.post(f"/admin/users/{target.id}/disabled", {"disabled": "1"}).status_code == 403


def test_street_official_verifies_only_own_residents(browser, make_user, geo):
    own = make_user(Role.RESIDENT, community=geo.communities[0], verified=False)
    other = make_user(Role.RESIDENT, community=geo.communities[2], verified=False)
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    queue = browser.get("/officials/residents").get_data(as_text=True)
    assert own.email in queue and other.email not in queue
    assert browser.post(f"/officials/residents/{own.id}/verify").status_code == 302
    assert browser.post(f"/officials/residents/{other.id}/verify").status_code == 403
    db.session.refresh(own), db.session.refresh(other)
    assert own.is_verified and not other.is_verified


def test_resident_cannot_reach_official_pages(browser, make_user, make_org):
    org = make_org(verified=False)
    browser.login(make_user(Role.RESIDENT))
    for url in ("/officials/residents", "/organizations/verification", "/audit/", "/admin/users"):
        assert browser.get(url).status_code == 403, url
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 403


def test_open_redirect_is_refused(browser, make_user):
    user = make_user(Role.RESIDENT)
    response = browser.post("/login?next=https://evil.example/", {"email": user.email, "password": "correct-horse-9"})
    assert response.headers["Location"].endswith("/dashboard")
