"""E-mail through SMTP in the recipient's language, SMS through the gateway, retries with back-off,
dead letters, and each message sent once however many workers drain the outbox."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.notifications import delivery, services
from market.notifications.models import Channel, NotificationPreference, OutboxMessage
from market.notifications.services import Choice, notify
from tests.market.notifications.conftest import text_of

RESULTS = {"round": "岗厦社区2027年民生微实事", "round_en": "Gangxia 2027 micro-projects"}
LINK = "/micro/rounds/7/results"


def _outbox(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(stmt))


def test_each_recipient_gets_the_mail_in_their_language_with_one_click_unsubscribe(app, make_user, inbox):
    chinese = make_user(Role.RESIDENT, language="zh")
    english = make_user(Role.RESIDENT, language="en")
    notify([chinese, english], "micro.results_final", RESULTS, LINK)
    db.session.commit()

    report = delivery.deliver_due(app)

    assert report[delivery.SENT] == 2 and report.total == 2
    zh_mail, = inbox.to(chinese.email)
    en_mail, = inbox.to(english.email)
    zh_text = "“岗厦社区2027年民生微实事”的结果已确定。"
    assert zh_mail["Subject"] == zh_text and zh_text in text_of(zh_mail) and "Gangxia" not in text_of(zh_mail)
    assert en_mail["Subject"] == "The results of “Gangxia 2027 micro-projects” are final."
    assert en_mail["Subject"] in text_of(en_mail) and "岗厦" not in text_of(en_mail)
    for message in (zh_mail, en_mail):
        body = text_of(message)
        assert "https://market.example.org/micro/rounds/7/results" in body
        unsubscribe = message["List-Unsubscribe"]
        assert unsubscribe.startswith("<https://market.example.org/notifications/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.strip("<>") in body
        assert message.get_body(preferencelist=("html",)) is not None
    assert all(row.sent_at is not None and row.claimed_by is None for row in _outbox())
    assert delivery.deliver_due(app).total == 0  # nothing is sent twice


def test_users_who_never_chose_a_language_get_the_default_one(app, make_user, inbox, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh")
    user = make_user(Role.RESIDENT)
    assert user.language is None
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    delivery.deliver_due(app)
    message, = inbox.to(user.email)
    assert message["Subject"] == "“岗厦社区2027年民生微实事”的结果已确定。"


def test_a_failed_delivery_is_retried_with_growing_pauses_then_becomes_a_dead_letter(app, make_user, closed_smtp):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    moment = utcnow() + timedelta(seconds=1)
    pauses = []
    for attempt in range(1, 5):
        report = delivery.deliver_due(app, now=lambda at=moment: at)
        assert report[delivery.FAILED] == 1
        row, = _outbox()
        assert row.attempts == attempt and "ConnectionRefusedError" in row.last_error
        assert row.claimed_by is None and row.dead_at is None and row.sent_at is None
        pauses.append(row.next_attempt_at - moment)
        # Before its time the message is left alone.
        early = row.next_attempt_at - timedelta(seconds=1)
        assert delivery.deliver_due(app, now=lambda at=early: at).total == 0
        moment = row.next_attempt_at
    assert pauses == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240), timedelta(seconds=480)]

    report = delivery.deliver_due(app, now=lambda: moment)

    assert report[delivery.DEAD] == 1
    row, = _outbox()
    assert row.attempts == 5 and row.dead_at == moment and row.sent_at is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "notification_outbox")) \
        == "notification.delivery_failed"
    assert delivery.deliver_due(app, now=lambda: moment + timedelta(days=30)).total == 0


def test_the_number_of_attempts_is_configurable(app, make_user, closed_smtp, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "NOTIFY_RETRY_SECONDS", 0)
    notify([make_user(Role.RESIDENT)], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    report = delivery.deliver_due(app)
    assert (report[delivery.FAILED], report[delivery.DEAD]) == (1, 1)
    assert _outbox()[0].attempts == 2


def test_two_workers_draining_one_outbox_send_each_message_exactly_once(app, make_user, inbox):
    users = [make_user(Role.RESIDENT) for _ in range(24)]
    for number in range(2):
        notify(users, "micro.results_final", {"round": f"第{number}轮"}, LINK)
    db.session.commit()
    start = threading.Barrier(2)
    reports, errors = [], []

    def drain():
        try:
            start.wait(timeout=30)
            reports.append(delivery.deliver_due(app, batch=1, limit=1000))
        except Exception as error:  # surfaced in the main thread
            errors.append(error)

    workers = [threading.Thread(target=drain) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)

    assert errors == [] and not any(worker.is_alive() for worker in workers)
    assert len(inbox.messages) == 48
    for user in users:
        subjects = sorted(message["Subject"] for message in inbox.to(user.email))
        assert subjects == ["The results of “第0轮” are final.", "The results of “第1轮” are final."]
    assert sum(report[delivery.SENT] for report in reports) == 48
    assert all(row.sent_at is not None for row in _outbox())


def test_a_claim_keeps_other_workers_away_until_it_expires(app, make_user, monkeypatch):
    notify([make_user(Role.RESIDENT)], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    now = utcnow()
    with app.app_context():
        first = delivery.claim(app, worker="first", now=now, limit=10)
        again = delivery.claim(app, worker="second", now=now + timedelta(seconds=599), limit=10)
        # The first worker died: after the lease (NOTIFY_CLAIM_SECONDS) another one takes the message over.
        taken_over = delivery.claim(app, worker="second", now=now + timedelta(seconds=600), limit=10)
        # The first worker's late answer no longer counts.
        late = delivery.deliver_claimed(app, first[0], "first")
        db.session.remove()
    assert len(first) == 1 and again == [] and taken_over == first
    assert late == delivery.SKIPPED
    row, = _outbox()
    assert row.claimed_by == "second" and row.sent_at is None


def test_an_sms_goes_to_users_who_chose_it_and_gave_a_number(app, make_user, inbox, sms_log, caplog):
    with_phone = make_user(Role.RESIDENT, phone="+8613800138000", language="en")
    without_phone = make_user(Role.RESIDENT)
    not_chosen = make_user(Role.RESIDENT, phone="13900139000")
    for user in (with_phone, without_phone):
        services.save_preferences(user, {"micro.voting_opened": Choice(email=True, sms=True)})
    db.session.commit()
    notify([with_phone, without_phone, not_chosen], "micro.voting_opened",
           {"round": "岗厦", "round_en": "Gangxia", "closes_at": "2027-03-31T10:00:00+00:00"}, "/micro/rounds/1/ballot")
    db.session.commit()

    assert [(row.channel, row.recipient) for row in _outbox(channel=Channel.SMS)] == [("sms", "+8613800138000")]
    assert len(_outbox(channel=Channel.EMAIL)) == 3
    with caplog.at_level("INFO", logger="market.notifications.sms"):
        report = delivery.deliver_due(app)

    assert report[delivery.SENT] == 4
    sms, = sms_log
    assert sms.phone == "+8613800138000"
    assert sms.text.startswith("Voting is open for “Gangxia” until")
    assert sms.text.endswith("https://market.example.org/micro/rounds/1/ballot")
    assert "SMS to +8613800138000" in caplog.text


def test_email_turned_off_for_a_kind_writes_no_outbox_row(app, make_user):
    user = make_user(Role.RESIDENT)
    services.save_preferences(user, {"micro.results_final": Choice(email=False, sms=False)})
    db.session.commit()
    notify([user], "micro.results_final", RESULTS, LINK)
    notify([user], "micro.round_opened", {"round": "x"}, "/micro")
    db.session.commit()
    assert [row.notification.kind for row in _outbox()] == ["micro.round_opened"]


def test_a_message_no_longer_wanted_when_its_turn_comes_is_dropped(app, make_user, inbox):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    services.save_preferences(user, {"micro.results_final": Choice(email=False)})
    db.session.commit()
    report = delivery.deliver_due(app)
    assert report[delivery.DROPPED] == 1 and inbox.messages == []
    row, = _outbox()
    assert row.sent_at is None and row.discarded_at is not None


def test_new_rows_go_to_the_workers_when_the_transaction_commits_not_when_it_rolls_back(app, make_user, enqueued):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.rollback()
    assert enqueued == []
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    row, = _outbox()
    assert enqueued == [([row.id], None)]


def test_a_failure_schedules_the_retry_on_the_queue(app, make_user, closed_smtp, enqueued):
    notify([make_user(Role.RESIDENT)], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    enqueued.clear()
    delivery.deliver_due(app)
    row, = _outbox()
    assert enqueued == [([row.id], row.next_attempt_at)]


def test_with_redis_away_nothing_is_lost_and_the_sweep_sends_it(app, make_user, inbox, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    assert "Redis unreachable" in caplog.text
    result = app.test_cli_runner().invoke(args=["notifications", "drain"])
    assert result.exit_code == 0, result.output
    assert "1 message(s) sent" in result.output
    assert len(inbox.to(user.email)) == 1


def test_the_rq_job_delivers_the_message_once(app, make_user, inbox, monkeypatch):
    from tests.market.review.test_jobs import REDIS_URL, _redis

    connection = _redis()
    if connection is None:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    from rq import Queue, SimpleWorker

    from market import worker

    queue_name = f"notifications-test-{utcnow().timestamp()}"
    monkeypatch.setattr(worker, "app_factory", lambda: app)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "NOTIFY_QUEUE", queue_name)
    user = make_user(Role.RESIDENT)
    notify([user], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    queue = Queue(queue_name, connection=connection)
    row, = _outbox()
    queue.enqueue(delivery.RQ_JOB, row.id)  # a second job for the same row, as after a sweep
    try:
        assert len(queue) == 2
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        queue.delete(delete_jobs=True)
    assert len(inbox.to(user.email)) == 1
    assert _outbox()[0].sent_at is not None


def test_drain_can_hand_due_messages_to_the_queue(app, make_user, enqueued, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    notify([make_user(Role.RESIDENT)], "micro.results_final", RESULTS, LINK)
    db.session.commit()
    enqueued.clear()
    result = app.test_cli_runner().invoke(args=["notifications", "drain", "--enqueue"])
    assert result.exit_code == 0, result.output
    row, = _outbox()
    assert enqueued == [([row.id], None)] and row.sent_at is None


def test_unknown_mail_backend_is_refused():
    from market.notifications.mail import mailer_from_config

    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        mailer_from_config({"MAIL_BACKEND": "pigeon"})


def test_the_sms_backend_names_a_gateway_class():
    from market.notifications.sms import LoggingSmsGateway, SmsGateway, gateway_from_config

    gateway = gateway_from_config({"SMS_BACKEND": "market.notifications.sms:LoggingSmsGateway",
                                   "SMS_SIGN_NAME": "福田区"})
    assert isinstance(gateway, LoggingSmsGateway) and gateway.sign_name == "福田区"
    with pytest.raises(TypeError, match="abstract"):  # the bare interface sends nothing: it cannot be built
        SmsGateway()
    with pytest.raises(ValueError, match="SMS_BACKEND"):
        gateway_from_config({"SMS_BACKEND": "market.notifications.mail:MemoryMailer"})


def test_preferences_are_one_row_per_user_and_kind(app, make_user):
    user = make_user(Role.RESIDENT)
    services.save_preferences(user, {"micro.results_final": Choice(email=False)})
    services.save_preferences(user, {"micro.results_final": Choice(email=True, sms=True)})
    db.session.commit()
    rows = db.session.scalars(select(NotificationPreference)).all()
    assert [(r.kind, r.email, r.sms) for r in rows] == [("micro.results_final", True, True)]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
