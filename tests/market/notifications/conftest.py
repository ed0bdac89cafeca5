"""A local SMTP server (aiosmtpd) the application's SMTP backend delivers to, and helpers to read
what arrived."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest

from market.notifications import delivery
from market.notifications.mail import SmtpMailer


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server received: one entry per message, with its envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=email_policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 and a free port; yields (inbox, port)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def inbox(app, smtp_server, monkeypatch):
    """The app sends e-mail over SMTP to the local server; returns its inbox."""
    received, port = smtp_server
    monkeypatch.setattr(delivery.channels(app), "mailer", SmtpMailer("127.0.0.1", port, timeout=5))
    return received


@pytest.fixture
def closed_smtp(app, monkeypatch):
    """The app's SMTP backend points at a port nothing listens on."""
    monkeypatch.setattr(delivery.channels(app), "mailer", SmtpMailer("127.0.0.1", free_port(), timeout=5))


@pytest.fixture
def sms_log(app, monkeypatch):
    """A fresh logging SMS gateway; returns the list of what it would have sent."""
    from market.notifications.sms import LoggingSmsGateway

    gateway = LoggingSmsGateway()
    monkeypatch.setattr(delivery.channels(app), "sms", gateway)
    return gateway.sent


@pytest.fixture
def enqueued(app, monkeypatch):
    """Records what would go to the RQ queue after each commit, instead of Redis."""
    calls: list[tuple[list[int], object]] = []
    monkeypatch.setattr(delivery.channels(app), "enqueue", lambda _app, ids, at: calls.append((list(ids), at)))
    return calls


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(autouse=True)
def _delivery_logs_enabled(monkeypatch):
    """Alembic's logging set-up (a migration test earlier in this process) disables loggers that
    already existed; the delivery's log lines are asserted here."""
    import logging

    for name in ("market.notifications.delivery", "market.notifications.sms"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
