"""Delivering the outbox by e-mail and SMS: claim, send, retry with back-off, dead letters.

Each outbox row is delivered by one worker: :func:`claim` locks due rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's write lock serialises the same statement) and stamps them with
the worker's id and the time, a lease that lets another worker take over once it expires (the
first one died). The message is rendered in its recipient's language and sent outside any
transaction; then the row is marked sent, or the failure is counted and the next attempt put off
(``NOTIFY_RETRY_SECONDS``, doubling), until after ``NOTIFY_MAX_ATTEMPTS`` it becomes a dead letter
for the officials' list.

Rows reach the workers two ways, so that nothing is lost while Redis is away: after the
transaction that wrote them commits, their ids go to the RQ queue ``NOTIFY_QUEUE`` (the job is
:func:`market.worker.deliver_notification`); and ``flask notifications drain`` (from cron) sends
whatever is due.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urljoin

from flask import Flask, current_app, has_app_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from market.core.audit import record
from market.core.db import db, utcnow
from market.notifications import mail, services, sms
from market.notifications.models import Channel, Notification, OutboxMessage

log = logging.getLogger(__name__)
EXTENSION = "notification_channels"
# The RQ job, named rather than imported: the worker module builds the whole application.
RQ_JOB = "market.worker.deliver_notification"
# Seconds to wait for Redis before leaving a message to the sweep instead.
REDIS_TIMEOUT = 1.0
LONGEST_PAUSE = timedelta(hours=12)

Enqueue = Callable[[Flask, list[int], "datetime | None"], None]


def enqueue_with_rq(app: Flask, outbox_ids: list[int], at: datetime | None = None) -> None:
    """Queue one RQ job per row (at ``at``, for a retry); without Redis the sweep delivers them."""
    url = app.config.get("REDIS_URL")
    if not url or not outbox_ids:
        return
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        connection = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        queue = Queue(app.config["NOTIFY_QUEUE"], connection=connection)
        for outbox_id in outbox_ids:
            if at is None:
                queue.enqueue(RQ_JOB, outbox_id)
            else:
                queue.enqueue_at(at, RQ_JOB, outbox_id)
    except (RedisError, OSError) as error:
        log.warning("Redis unreachable (%s); %d notification(s) wait for `flask notifications drain`",
                    type(error).__name__, len(outbox_ids))


@dataclass
class Channels:
    """The application's ways out: the e-mail backend, the SMS gateway and how rows reach workers."""

    mailer: mail.Mailer
    sms: sms.SmsGateway
    enqueue: Enqueue


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Channels(mail.mailer_from_config(app.config), sms.gateway_from_config(app.config),
                                         enqueue_with_rq)


def channels(app: Flask) -> Channels:
    return app.extensions[EXTENSION]


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    outbox_ids = session.info.pop(services.PENDING_DELIVERY, None)
    if outbox_ids and has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        channels(app).enqueue(app, list(outbox_ids), None)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(services.PENDING_DELIVERY, None)


# ---------------------------------------------------------------- claiming

def new_worker_id() -> str:
    return uuid.uuid4().hex


def _due(now: datetime, lease: timedelta):
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None), OutboxMessage.discarded_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at <= now - lease))


def claim(app: Flask, *, worker: str, now: datetime, limit: int, outbox_id: int | None = None) -> list[int]:
    """Claim up to ``limit`` due rows (or only ``outbox_id``) for ``worker`` and commit the claim."""
    lease = timedelta(seconds=app.config["NOTIFY_CLAIM_SECONDS"])
    stmt = select(OutboxMessage).where(*_due(now, lease))
    if outbox_id is not None:
        stmt = stmt.where(OutboxMessage.id == outbox_id)
    rows = db.session.scalars(stmt.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
                              .with_for_update(skip_locked=True)).all()
    for row in rows:
        row.claimed_at, row.claimed_by = now, worker
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


# ---------------------------------------------------------------- rendering

def _language(app: Flask, user: Any) -> str:
    language = getattr(user, "language", None)
    return language if language in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class Rendered:
    """A message ready to go: an e-mail, or an SMS text."""

    email: EmailMessage | None = None
    sms_text: str = ""


def render_message(app: Flask, row: OutboxMessage) -> Rendered:
    """The row's message in its recipient's language, with absolute links (and, for e-mail, the
    one-click unsubscribe link)."""
    notification: Notification = row.notification
    user = notification.user
    language = _language(app, user)
    base_url = app.config["BASE_URL"].rstrip("/") + "/"
    link = urljoin(base_url, notification.link.lstrip("/")) if notification.link else base_url
    # Flask-Babel and url_for(_external=True) work inside a request: render as if for one on the site.
    with app.test_request_context(base_url=base_url), force_locale(language):
        text = services.render(notification.kind, notification.params, language)
        if row.channel == Channel.SMS:
            return Rendered(sms_text=f"{text} {link}")
        token = services.unsubscribe_token(app.config["SECRET_KEY"], user.id, notification.kind)
        context = {"user": user, "text": text, "link": link, "kind_label": services.kind_label(notification.kind),
                   "unsubscribe_url": url_for("notifications.unsubscribe", token=token, _external=True),
                   "preferences_url": url_for("notifications.preferences", _external=True)}
        return Rendered(email=mail.build_message(
            sender=app.config["MAIL_SENDER"], recipient=row.recipient, subject=services.subject_of(text),
            text=render_template("notifications/email.txt", **context),
            html=render_template("notifications/email.html", **context),
            unsubscribe_url=context["unsubscribe_url"]))


# ---------------------------------------------------------------- delivering

SENT, FAILED, DEAD, DROPPED, SKIPPED = "sent", "failed", "dead", "dropped", "skipped"


def _still_wanted(row: OutboxMessage) -> bool:
    notification = row.notification
    user = notification.user
    if user is None or user.is_disabled:
        return False
    choice = services.choice_of(user, notification.kind)
    return choice.email if row.channel == Channel.EMAIL else choice.sms


def _send(app: Flask, row_channel: str, recipient: str, rendered: Rendered) -> None:
    ways = channels(app)
    if row_channel == Channel.SMS:
        ways.sms.send(recipient, rendered.sms_text)
    else:
        assert rendered.email is not None  # noqa: S101 (rendered for this channel above)
        ways.mailer.send(rendered.email)


def pause_after(app: Flask, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: the first pause, doubling, at most 12 hours."""
    first = timedelta(seconds=app.config["NOTIFY_RETRY_SECONDS"])
    return min(first * (2 ** max(attempts - 1, 0)), LONGEST_PAUSE)


def _fail(app: Flask, outbox_id: int, worker: str, error: BaseException, now: datetime) -> str:
    row = db.session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.claimed_by != worker or row.sent_at is not None:
        db.session.rollback()
        return SKIPPED
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.claimed_at = row.claimed_by = None
    if row.attempts >= app.config["NOTIFY_MAX_ATTEMPTS"]:
        row.dead_at = now
        record(None, "notification.delivery_failed", row,
               after={"channel": row.channel, "attempts": row.attempts, "last_error": row.last_error})
        outcome, retry_at = DEAD, None
    else:
        row.next_attempt_at = retry_at = now + pause_after(app, row.attempts)
        outcome = FAILED
    db.session.commit()
    log.warning("notification %s (%s) attempt %s failed: %s", outbox_id, row.channel, row.attempts, row.last_error)
    if retry_at is not None:
        channels(app).enqueue(app, [outbox_id], retry_at)
    return outcome


def deliver_claimed(app: Flask, outbox_id: int, worker: str, *, now: datetime | None = None) -> str:
    """Deliver one row ``worker`` has claimed; returns what happened (sent, failed, dead, ...)."""
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None or row.claimed_by != worker or row.sent_at is not None:
        db.session.rollback()
        return SKIPPED
    if not _still_wanted(row):  # turned off, or the account closed, since the notice was written
        row.discarded_at = now or utcnow()
        row.last_error = "not wanted any more"
        row.claimed_at = row.claimed_by = None
        db.session.commit()
        return DROPPED
    channel, recipient = row.channel, row.recipient
    try:
        rendered = render_message(app, row)
    except Exception as error:  # a broken template or parameters: counted like a failed send, never lost
        db.session.rollback()
        return _fail(app, outbox_id, worker, error, now or utcnow())
    db.session.commit()  # no transaction (and no lock) stays open while the network is slow
    try:
        _send(app, channel, recipient, rendered)
    except Exception as error:  # SMTP refusals, refused connections, time-outs, a gateway's errors
        return _fail(app, outbox_id, worker, error, now or utcnow())
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id, OutboxMessage.claimed_by == worker)
        .values(sent_at=now or utcnow(), claimed_at=None, claimed_by=None))
    db.session.commit()
    if not result.rowcount:
        log.warning("notification %s was sent after its claim expired", outbox_id)
    return SENT


@dataclass(frozen=True)
class DrainReport:
    """What a run of the sweep did: counts by outcome."""

    counts: dict[str, int]

    def __getitem__(self, outcome: str) -> int:
        return self.counts.get(outcome, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def deliver_due(app: Flask, *, limit: int = 100, batch: int = 10, worker: str | None = None,
                now: Callable[[], datetime] = utcnow) -> DrainReport:
    """Deliver up to ``limit`` due rows, claiming ``batch`` at a time, in ``app``'s own session."""
    worker = worker or new_worker_id()
    counts: Counter[str] = Counter()
    with app.app_context():
        try:
            while counts.total() < limit:
                claimed = claim(app, worker=worker, now=now(), limit=min(batch, limit - counts.total()))
                if not claimed:
                    break
                for outbox_id in claimed:
                    counts[deliver_claimed(app, outbox_id, worker, now=now())] += 1
        finally:
            db.session.remove()
    return DrainReport(dict(counts))


def deliver_one(app: Flask, outbox_id: int, *, now: Callable[[], datetime] = utcnow) -> str:
    """The RQ job's work: deliver ``outbox_id`` if it is due and nobody else holds it."""
    worker = new_worker_id()
    with app.app_context():
        try:
            if not claim(app, worker=worker, now=now(), limit=1, outbox_id=outbox_id):
                return SKIPPED
            return deliver_claimed(app, outbox_id, worker, now=now())
        finally:
            db.session.remove()


def enqueue_due(app: Flask, *, limit: int = 100, now: datetime | None = None) -> int:
    """Hand due, unclaimed rows to the RQ queue (the workers claim them); returns how many."""
    now = now or utcnow()
    lease = timedelta(seconds=app.config["NOTIFY_CLAIM_SECONDS"])
    with app.app_context():
        try:
            ids = list(db.session.scalars(select(OutboxMessage.id).where(*_due(now, lease))
                                          .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))
        finally:
            db.session.remove()
    channels(app).enqueue(app, ids, None)
    return len(ids)
