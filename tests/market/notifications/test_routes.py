"""The pages: notification settings, one-click unsubscribe from an e-mail, the officials' list of
undelivered messages, the mobile number and the language remembered for e-mails."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from market.accounts.models import Role, User
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.notifications import delivery, services
from market.notifications.models import NotificationPreference, OutboxMessage
from market.notifications.services import MESSAGES, Choice, notify

RESULTS = {"round": "岗厦", "round_en": "Gangxia"}


def _choice(user, kind: str) -> Choice:
    db.session.expire_all()
    return services.choice_of(db.session.get(User, user.id), kind)


def _token(app, user, kind="micro.results_final") -> str:
    return services.unsubscribe_token(app.config["SECRET_KEY"], user.id, kind)


# ---------------------------------------------------------------- settings

def test_the_settings_page_lists_every_kind_by_group_and_saves_the_choices(browser, make_user):
    user = make_user(Role.RESIDENT)
    browser.login(user)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert "Resident micro-projects" in page and "Organisations" in page and "Your account" in page
    for kind in MESSAGES:
        assert f'name="email__{kind.replace(".", "__")}"' in page
        assert str(services.kind_label(kind)) in page
    assert "Add a mobile number" in page  # SMS needs a number first
    # E-mail is on by default, SMS off: an unchecked box is a "no".
    form = {f"email__{kind.replace('.', '__')}": "y" for kind in MESSAGES if kind != "micro.results_final"}
    form["sms__micro__voting_opened"] = "y"
    response = browser.post("/notifications/preferences", form)
    assert response.status_code == 302
    assert _choice(user, "micro.results_final") == Choice(email=False, sms=False)
    assert _choice(user, "micro.voting_opened") == Choice(email=True, sms=True)
    assert _choice(user, "micro.round_opened") == Choice(email=True, sms=False)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="email__micro__results_final" type="checkbox" value="y">' in page  # shown unticked


def test_the_settings_form_without_its_token_saves_nothing(browser, make_user):
    user = make_user(Role.RESIDENT)
    browser.login(user)
    response = browser.post("/notifications/preferences", {}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(NotificationPreference)) is None


def test_visitors_are_sent_to_log_in_for_settings(client):
    response = client.get("/notifications/preferences")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------- unsubscribe

def test_unsubscribe_asks_first_then_turns_off_that_kind_by_email_only(app, client, make_user):
    user = make_user(Role.RESIDENT)
    services.save_preferences(user, {"micro.results_final": Choice(email=True, sms=True)})
    db.session.commit()
    url = f"/notifications/unsubscribe/{_token(app, user)}"

    page = client.get(url)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert "Results are final" in page.get_data(as_text=True)
    assert _choice(user, "micro.results_final").email is True  # opening the link changes nothing

    done = client.post(url)  # as a mail program does it: no session, no form token (RFC 8058)
    assert done.status_code == 200 and "You will no longer receive e-mails" in done.get_data(as_text=True)
    assert _choice(user, "micro.results_final") == Choice(email=False, sms=True)
    assert _choice(user, "micro.round_opened").email is True
    notify([db.session.get(User, user.id)], "micro.results_final", RESULTS, "/micro")
    db.session.commit()
    assert [row.channel for row in db.session.scalars(select(OutboxMessage))] == []  # no phone: no SMS either


def test_the_link_in_a_delivered_mail_unsubscribes(app, client, make_user, inbox):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, "/micro")
    db.session.commit()
    delivery.deliver_due(app)
    message, = inbox.to(user.email)
    url = message["List-Unsubscribe"].strip("<>").removeprefix("https://market.example.org")
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _choice(user, "micro.results_final").email is False


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_damaged_token_is_refused(app, client, make_user, method):
    user = make_user(Role.RESIDENT)
    token = _token(app, user)
    forged_payload = services.unsubscribe_token("not-the-secret", user.id, "micro.results_final")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged_payload, "x", "1"):
        response = getattr(client, method)(f"/notifications/unsubscribe/{bad}")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(NotificationPreference)) is None


def test_an_expired_token_is_refused(app, client, make_user, monkeypatch):
    user = make_user(Role.RESIDENT)
    long_ago = int(time.time()) - 400 * 86400
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: long_ago)
        token = _token(app, user)
    response = client.post(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert _choice(user, "micro.results_final").email is True


def test_someone_elses_token_cannot_change_my_settings(app, browser, make_user):
    me, other = make_user(Role.RESIDENT), make_user(Role.RESIDENT)
    browser.login(me)
    assert browser.post(f"/notifications/unsubscribe/{_token(app, other)}").status_code == 200
    assert _choice(me, "micro.results_final").email is True
    assert _choice(other, "micro.results_final").email is False


def test_a_token_for_an_unknown_kind_is_refused(app, client, make_user):
    user = make_user(Role.RESIDENT)
    token = services.unsubscribe_token(app.config["SECRET_KEY"], user.id, "no.such.kind")
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400


# ---------------------------------------------------------------- undelivered messages

@pytest.fixture
def dead_letter(app, make_user, closed_smtp, monkeypatch):
    """A message given up on after every attempt (the mail server refused connections)."""
    monkeypatch.setitem(app.config, "NOTIFY_RETRY_SECONDS", 0)
    user = make_user(Role.RESIDENT, email="unlucky@example.org")
    notify([user], "micro.results_final", RESULTS, "/micro")
    db.session.commit()
    assert delivery.deliver_due(app)[delivery.DEAD] == 1
    return db.session.scalar(select(OutboxMessage))


@pytest.fixture
def district_official(make_user):
    return make_user(Role.OFFICIAL)


def test_district_officials_see_dead_letters_with_their_error(browser, dead_letter, district_official):
    browser.login(district_official)
    page = browser.get("/notifications/undelivered")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "unlucky@example.org" in text and "ConnectionRefusedError" in text and "The results of" in text


@pytest.mark.parametrize("role", ["resident", "provider", "funder", "street_official"])
def test_the_dead_letter_list_is_refused_to_everyone_else(browser, dead_letter, make_user, geo, role):
    user = (make_user(Role.OFFICIAL, street=geo.streets[0]) if role == "street_official" else make_user(Role(role)))
    browser.login(user)
    assert browser.get("/notifications/undelivered").status_code == 403
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/retry").status_code == 403
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/discard").status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboxMessage, dead_letter.id).is_dead


def test_visitors_cannot_see_dead_letters(client, dead_letter):
    response = client.get("/notifications/undelivered")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_retry_puts_a_dead_letter_back_and_it_is_delivered(app, browser, dead_letter, district_official, smtp_server,
                                                           monkeypatch):
    from market.notifications.mail import SmtpMailer

    browser.login(district_official)
    response = browser.post(f"/notifications/undelivered/{dead_letter.id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(OutboxMessage, dead_letter.id)
    assert (row.dead_at, row.attempts) == (None, 0) and row.next_attempt_at <= utcnow()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.delivery_retried"))
    assert event.actor_id == district_official.id and "ConnectionRefusedError" in event.before["last_error"]
    assert "unlucky@example.org" not in browser.get("/notifications/undelivered").get_data(as_text=True)

    received, port = smtp_server  # the mail server is back
    monkeypatch.setattr(delivery.channels(app), "mailer", SmtpMailer("127.0.0.1", port, timeout=5))
    assert delivery.deliver_due(app)[delivery.SENT] == 1
    assert len(received.to("unlucky@example.org")) == 1
    # Once delivered it cannot be retried again.
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/retry").status_code == 409


def test_discard_removes_a_dead_letter_for_good(app, browser, dead_letter, make_user):
    admin = make_user(Role.ADMIN)
    browser.login(admin)
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/discard").status_code == 302
    db.session.expire_all()
    row = db.session.get(OutboxMessage, dead_letter.id)
    assert row.discarded_at is not None and row.sent_at is None
    assert db.session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "notification.delivery_discarded")) == admin.id
    assert "unlucky@example.org" not in browser.get("/notifications/undelivered").get_data(as_text=True)
    assert delivery.deliver_due(app, now=lambda: utcnow() + timedelta(days=1)).total == 0
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/retry").status_code == 409


def test_retry_without_the_form_token_is_refused(browser, dead_letter, district_official):
    browser.login(district_official)
    assert browser.post(f"/notifications/undelivered/{dead_letter.id}/retry", csrf=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(OutboxMessage, dead_letter.id).is_dead


def test_a_message_that_is_not_dead_cannot_be_retried_or_discarded(browser, make_user, district_official):
    notify([make_user(Role.RESIDENT)], "micro.results_final", RESULTS, "/micro")
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage))
    browser.login(district_official)
    assert browser.post(f"/notifications/undelivered/{row.id}/retry").status_code == 409
    assert browser.post(f"/notifications/undelivered/{row.id}/discard").status_code == 409
    assert browser.post("/notifications/undelivered/999999/retry").status_code == 404


# ---------------------------------------------------------------- mobile number and language

def test_the_mobile_number_is_checked_and_kept(browser, make_user):
    user = make_user(Role.RESIDENT)
    browser.login(user)
    bad = browser.post("/account/contact", {"phone": "call me maybe"})
    assert bad.status_code == 400 and "call me maybe" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == ""
    assert browser.post("/account/contact", {"phone": "+86 138-0013-8000"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+8613800138000"
    assert "SMS go to +8613800138000" in browser.get("/notifications/preferences").get_data(as_text=True)
    assert browser.post("/account/contact", {"phone": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == ""


def test_the_language_switch_is_remembered_for_the_users_mail(browser, make_user):
    user = make_user(Role.RESIDENT)
    browser.login(user)
    assert browser.get("/lang/zh").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "zh"
    browser.get("/lang/en")
    browser.get("/lang/xx")  # not a language: ignored
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "en"


def test_a_language_chosen_before_logging_in_is_remembered(browser, make_user):
    user = make_user(Role.RESIDENT)
    browser.get("/lang/zh")
    browser.login(user)
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "zh"
