"""E-mail backends: SMTP for production, the console for development, memory for tests.

A backend has one method, ``send(message)``, that delivers an :class:`email.message.EmailMessage`
or raises (``smtplib.SMTPException``, ``OSError``); the caller retries.
"""
from __future__ import annotations

import smtplib
import ssl
import sys
import threading
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Hands each message to an SMTP server (STARTTLS or TLS from the start, optional log-in)."""

    def __init__(self, host: str, port: int, *, username: str = "", password: str = "", starttls: bool = False,
                 use_ssl: bool = False, timeout: float = 30.0) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.use_ssl:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.starttls and not self.use_ssl:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


class ConsoleMailer:
    """Prints each message (recipient, subject, text) instead of sending it: for development."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        sys.stdout.write(f"To: {message['To']}\nSubject: {message['Subject']}\n\n{text}\n")
        sys.stdout.flush()


class MemoryMailer:
    """Keeps each message in :attr:`sent`: for tests."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self.sent.append(message)


def mailer_from_config(config: Mapping[str, Any]) -> Mailer:
    """The backend ``MAIL_BACKEND`` names, with the ``SMTP_*`` settings."""
    backend = config.get("MAIL_BACKEND", "console")
    if backend == "smtp":
        return SmtpMailer(config["SMTP_HOST"], int(config["SMTP_PORT"]), username=config.get("SMTP_USERNAME", ""),
                          password=config.get("SMTP_PASSWORD", ""), starttls=bool(config.get("SMTP_STARTTLS")),
                          use_ssl=bool(config.get("SMTP_SSL")), timeout=float(config.get("SMTP_TIMEOUT", 30)))
    if backend == "console":
        return ConsoleMailer()
    if backend == "memory":
        return MemoryMailer()
    raise ValueError(f"MAIL_BACKEND: unknown backend {backend!r} (smtp, console or memory)")


def build_message(*, sender: str, recipient: str, subject: str, text: str, html: str = "",
                  unsubscribe_url: str = "") -> EmailMessage:
    """A notice as an e-mail: plain text (and HTML), with one-click unsubscribe headers (RFC 8058)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].strip("> ") or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message
