from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from market.core.db import AwareDateTime, Base, utcnow
from market.core.policy import Scope


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

    def policy_scope(self) -> Scope:
        return Scope(user_id=self.user_id)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(Base):
    """A copy of a notification waiting for the e-mail sender; ``sent_at`` marks it done."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
