"""SMS backends: an interface a gateway implements, and one that writes to the log.

A real gateway (a vendor's HTTP API) is a subclass of :class:`SmsGateway` named in
``SMS_BACKEND`` as ``package.module:Class``; it is built with the ``SMS_*`` settings and its
``send`` raises when the gateway refuses, so that the message is retried.
"""
from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.utils import import_string

log = logging.getLogger(__name__)


class SmsGateway(ABC):
    """Sends one text message to one phone number; the settings a vendor's gateway needs."""

    def __init__(self, *, url: str = "", access_key: str = "", secret: str = "", sign_name: str = "") -> None:
        self.url = url  # the gateway's endpoint (SMS_GATEWAY_URL)
        self.access_key = access_key  # the account's key id (SMS_ACCESS_KEY)
        self.secret = secret  # the account's secret for signing requests (SMS_SECRET)
        self.sign_name = sign_name  # the registered sender signature shown in 【】 (SMS_SIGN_NAME)

    @abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone`` or raise."""


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


class LoggingSmsGateway(SmsGateway):
    """Writes what would be sent to the application log and keeps it in :attr:`sent`."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.sent: list[SentSms] = []
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)
        with self._lock:
            self.sent.append(SentSms(phone, text))


def gateway_from_config(config: Mapping[str, Any]) -> SmsGateway:
    """The gateway ``SMS_BACKEND`` names (``log``, or ``package.module:Class``), with the ``SMS_*`` settings."""
    settings = {"url": config.get("SMS_GATEWAY_URL", ""), "access_key": config.get("SMS_ACCESS_KEY", ""),
                "secret": config.get("SMS_SECRET", ""), "sign_name": config.get("SMS_SIGN_NAME", "")}
    backend = config.get("SMS_BACKEND", "log")
    if backend == "log":
        return LoggingSmsGateway(**settings)
    gateway_class = import_string(backend)
    if not (isinstance(gateway_class, type) and issubclass(gateway_class, SmsGateway)):
        raise ValueError(f"SMS_BACKEND: {backend!r} is not a subclass of SmsGateway")
    return gateway_class(**settings)
