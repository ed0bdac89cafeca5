"""Accounts: registration, hashed passwords, lock-out, rate limit, verification, disabling, CSRF."""
from __future__ import annotations

from sqlalchemy import select

from market.accounts.models import Role, User
from market.db import db


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


def test_lockout_after_repeated_failures(browser, make_user):
    user = make_user(Role.RESIDENT)
    for _ in range(5):
        assert browser.post("/login", {"email": user.email, "password": "nope"}).status_code == 400
    locked = browser.post("/login", {"email": user.email, "password": "correct-horse-9"})
    assert locked.status_code == 403
    assert "locked" in locked.get_data(as_text=True)


def test_parallel_wrong_guesses_all_count_towards_the_lockout(app, make_user):
    """Five wrong passwords sent at the same moment lock the account, as five in a row do."""
    import threading

    from market.accounts import services
    from market.errors import DomainError

    email = make_user(Role.RESIDENT).email
    db.session.commit()
    barrier = threading.Barrier(5, timeout=30)

    def guess() -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.authenticate(email, "wrong-guess")
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
    assert db.session.scalar(select(User).where(User.email == email)).locked_until is not None


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
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve"}).status_code == 403


def test_open_redirect_is_refused(browser, make_user):
    user = make_user(Role.RESIDENT)
    response = browser.post("/login?next=https://evil.example/", {"email": user.email, "password": "correct-horse-9"})
    assert response.headers["Location"].endswith("/dashboard")
