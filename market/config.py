"""Settings read from the environment.

``DATABASE_URL`` picks the database (SQLite file under ``instance/`` by default,
PostgreSQL via ``postgresql+psycopg://...``); ``SECRET_KEY`` is generated once
and kept in ``instance/secret_key`` when not given.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

#: An OCDS ocid prefix: ``ocds-`` and six lower-case letters or digits, as the OCDS Helpdesk assigns them.
OCID_PREFIX = re.compile(r"ocds-[a-z0-9]{6}")
#: The prefix of the OCDS documentation's own examples; a deployment registers its own prefix.
DEFAULT_OCID_PREFIX = "ocds-213czf"


def ocid_prefix(value: str) -> str:
    """A well-formed ocid prefix, or ValueError naming the setting.

    >>> ocid_prefix("ocds-8xb2fq")
    'ocds-8xb2fq'
    >>> ocid_prefix("ocds-sre-futian")
    Traceback (most recent call last):
    ...
    ValueError: MARKET_OCDS_OCID_PREFIX: 'ocds-sre-futian' is not ocds- followed by six lower-case letters or digits
    """
    if not OCID_PREFIX.fullmatch(value):
        raise ValueError(f"MARKET_OCDS_OCID_PREFIX: {value!r} is not ocds- followed by six lower-case letters or "
                         "digits")
    return value


def _instance_path() -> Path:
    return Path(os.environ.get("MARKET_INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))


def _persistent_secret_key(instance: Path) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _normalise_database_url(url: str) -> str:
    # Hosting providers hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Production/development settings, read from the environment at app creation."""

    TESTING = False

    def __init__(self, instance_path: str | None = None) -> None:
        instance = Path(instance_path) if instance_path else _instance_path()
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or self._secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'market.db'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        replica = os.environ.get("DATABASE_REPLICA_URL", "")
        # Read-heavy public pages read from the replica; writes and each client's reads for this many
        # seconds after its last write stay on the primary (replication lag is usually well under it).
        self.DATABASE_REPLICA_URL = _normalise_database_url(replica) if replica else ""
        self.REPLICA_FRESH_SECONDS = int(os.environ.get("MARKET_REPLICA_FRESH_SECONDS", "10"))
        # Visitors' search pages kept ten seconds per web process (market.ui.listing.searches); 0 turns it off,
        # so that every search sees the last commit.
        self.VISITOR_SEARCH_CACHE = os.environ.get("MARKET_VISITOR_SEARCH_CACHE", "1") != "0"
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # If Redis goes away, count in process memory rather than failing requests.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1} if self.REDIS_URL else {}
        self.RATELIMIT_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = os.environ.get("MARKET_LOGIN_RATE_LIMIT", "10 per minute")
        self.SUGGEST_RATE_LIMIT = os.environ.get("MARKET_SUGGEST_RATE_LIMIT", "60 per minute")
        self.BABEL_DEFAULT_LOCALE = os.environ.get("MARKET_DEFAULT_LOCALE", "zh")
        self.BABEL_DEFAULT_TIMEZONE = os.environ.get("MARKET_TIMEZONE", "Asia/Shanghai")
        self.LANGUAGES = ("zh", "en")
        self.CURRENCY = os.environ.get("MARKET_CURRENCY", "cny")
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
        self.PAGE_SIZE = int(os.environ.get("MARKET_PAGE_SIZE", "20"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("MARKET_SECURE_COOKIES", "0") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None
        # Room for a bid with ten 10 MB attachments (or six 5 MB photos) and its text.
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MARKET_MAX_REQUEST_MB", "110")) * 1024 * 1024
        # Number of reverse proxies in front (nginx: 1) whose X-Forwarded-* headers to trust.
        self.PROXY_COUNT = int(os.environ.get("MARKET_PROXY_COUNT", "0"))
        # The audit chain's signing keys (``id:hex,...``; default: instance/audit_keys) and where its
        # checkpoints go (a file path, ``redis`` or ``memory``; default: instance/audit-checkpoints.jsonl).
        self.AUDIT_KEYS = os.environ.get("MARKET_AUDIT_KEYS", "")
        self.AUDIT_CHECKPOINTS = os.environ.get("MARKET_AUDIT_CHECKPOINTS", "")
        # Where links in e-mails and SMS point: the site's address as residents reach it.
        self.BASE_URL = os.environ.get("MARKET_BASE_URL", "http://127.0.0.1:5000")
        # Notices by e-mail: ``smtp``, ``console`` (print them: development) or ``memory`` (keep them: tests).
        self.MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "Social Resource Exchange <noreply@localhost>")
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
        self.SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "1") == "1"
        self.SMTP_SSL = os.environ.get("SMTP_SSL", "0") == "1"  # TLS from the first byte (port 465)
        self.SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
        # Notices by SMS: ``log`` (write them to the log) or ``package.module:Class``, a subclass of
        # market.notifications.sms.SmsGateway built with the SMS_* settings below.
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")
        self.SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
        self.SMS_ACCESS_KEY = os.environ.get("SMS_ACCESS_KEY", "")
        self.SMS_SECRET = os.environ.get("SMS_SECRET", "")
        self.SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
        # Delivery: attempts before a message becomes a dead letter, the first pause between attempts
        # (doubling each time), how long a worker's claim on a message lasts, the RQ queue's name.
        self.NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
        self.NOTIFY_RETRY_SECONDS = int(os.environ.get("NOTIFY_RETRY_SECONDS", "60"))
        self.NOTIFY_CLAIM_SECONDS = int(os.environ.get("NOTIFY_CLAIM_SECONDS", "600"))
        self.NOTIFY_QUEUE = os.environ.get("NOTIFY_QUEUE", "notifications")
        # How long the unsubscribe link in an e-mail keeps working.
        self.UNSUBSCRIBE_MAX_AGE_DAYS = int(os.environ.get("UNSUBSCRIBE_MAX_AGE_DAYS", "365"))
        # Open data: the OCDS ocid prefix registered for this deployment (every ocid is ``<prefix>-<project id>``).
        self.OCDS_OCID_PREFIX = ocid_prefix(os.environ.get("MARKET_OCDS_OCID_PREFIX", DEFAULT_OCID_PREFIX))

    def _secret_key(self, instance: Path) -> str:
        return _persistent_secret_key(instance)


class TestConfig(Config):
    """Settings for the test suite: a throw-away database and deterministic keys."""

    __test__ = False  # not a test class, whatever pytest thinks of the name
    TESTING = True

    def _secret_key(self, instance: Path) -> str:
        return "test-secret-key"

    def __init__(self, database_url: str | None = None, instance_path: str | None = None) -> None:
        super().__init__(instance_path)
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(database_url or "sqlite://")
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.REDIS_URL = ""
        self.DATABASE_REPLICA_URL = ""
        self.BABEL_DEFAULT_LOCALE = "en"
        self.STRIPE_SECRET_KEY = ""  # nosec B105 (empty: no key configured)
        self.STRIPE_WEBHOOK_SECRET = ""  # nosec B105 (empty: no key configured)
        self.AUDIT_KEYS = "test:" + "0123456789abcdef" * 4
        self.AUDIT_CHECKPOINTS = "memory"
        self.BASE_URL = "https://market.example.org"
        self.MAIL_BACKEND = "console"
        self.MAIL_SENDER = "Social Resource Exchange <noreply@market.example.org>"
        self.SMTP_STARTTLS = False
        self.SMTP_SSL = False
        self.SMTP_TIMEOUT = 5.0
        self.SMTP_USERNAME = ""
        self.SMTP_PASSWORD = ""  # nosec B105 (empty: no password configured)
        self.SMS_BACKEND = "log"
        self.NOTIFY_MAX_ATTEMPTS = 5
        self.NOTIFY_RETRY_SECONDS = 60
        self.NOTIFY_CLAIM_SECONDS = 600
