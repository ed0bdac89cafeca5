from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, utcnow
from market.core.policy import Scope

if TYPE_CHECKING:
    from market.accounts.models import User


class Channel:
    """Ways a notice leaves the application (the in-app list is always there)."""

    EMAIL = "email"
    SMS = "sms"


def recipient_district(user: User) -> int | None:
    """The district a person belongs to: an official's own, a resident's community's, else their
    organisation's (see :func:`market.notifications.services.dead_letters`, which asks the same in SQL)."""
    if user.district_id is not None:
        return user.district_id
    if user.community is not None:
        return user.community.street.district_id
    return user.organization.district_key if user.organization is not None else None


class Notification(Base):
    """A message for one user, rendered in the reader's language from ``kind`` and ``params``."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    # Named, not imported: accounts imports this domain.
    user: Mapped[User] = relationship("User")

    def policy_scope(self) -> Scope:
        return Scope(user_id=self.user_id)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(Base):
    """A copy of a notification on its way out by e-mail or SMS.

    A worker claims the row (``claimed_at``/``claimed_by``, a lease that expires if the worker
    dies), delivers it and sets ``sent_at``. A failed attempt counts in ``attempts``, keeps
    ``last_error`` and waits until ``next_attempt_at``; after the last allowed attempt the row
    is a dead letter (``dead_at``) until an official retries or discards it.
    """

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.EMAIL)
    recipient: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    dead_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    discarded_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    notification: Mapped[Notification] = relationship()

    def policy_scope(self) -> Scope:
        """The district of the person it is for: its officials handle it (every district's when that person
        belongs to none, such as an administrator)."""
        return Scope(district_id=recipient_district(self.notification.user))

    @property
    def is_dead(self) -> bool:
        return self.dead_at is not None and self.discarded_at is None and self.sent_at is None


class NotificationPreference(Base):
    """One user's choice of channels for one kind of notice; no row means the defaults
    (e-mail on, SMS off)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    sms: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, onupdate=utcnow)
