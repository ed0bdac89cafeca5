"""``notify(users, kind, params, link)``: in-app notifications plus an e-mail outbox.

Messages are stored as a ``kind`` and plain ``params`` and rendered when read, so
each reader sees them in their own language. A parameter ``x`` may come with an
English twin ``x_en``; parameters ending in ``_at`` are ISO timestamps and
``status`` is an enum value, both formatted for the reader.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from market.core.db import db, utcnow
from market.notifications.models import Notification, OutboxMessage

if TYPE_CHECKING:
    from market.accounts.models import User

MESSAGES: dict[str, Any] = {
    "micro.round_opened": _l("A new round of micro-projects is open for proposals: “%(round)s”."),
    "micro.voting_opened": _l("Voting is open for “%(round)s” until %(closes_at)s."),
    "micro.results_published": _l("The results of “%(round)s” are published; objections are possible until "
                                  "%(notice_ends_at)s."),
    "micro.results_final": _l("The results of “%(round)s” are final."),
    "micro.proposal_reviewed": _l("Your proposal “%(proposal)s” was reviewed: %(status)s."),
    "micro.project_update": _l("New progress update on “%(project)s”."),
    "micro.flag_raised": _l("A resident reported a problem on “%(project)s”; please answer by %(due_at)s."),
    "micro.flag_answered": _l("Your report on “%(project)s” was answered."),
    "micro.objection_filed": _l("A resident objected to the results of “%(round)s”."),
    "micro.objection_answered": _l("Your objection to the results of “%(round)s” was answered."),
    "micro.rating_open": _l("“%(project)s” was accepted. Rate it until %(closes_at)s."),
    "micro.panel_invited": _l("You were invited to the expert panel of “%(round)s”."),
    "micro.item_routed": _l("“%(title)s” was routed to your office: acknowledge by %(ack_due_at)s, review by "
                            "%(review_due_at)s."),
    "micro.item_escalated": _l("“%(title)s” missed its deadline (%(due_at)s) and was escalated to the district."),
    "account.failed_logins": _l("%(count)d wrong passwords were tried for your account from %(address)s "
                                "(last at %(at)s); that connection must now wait. If it was not you, change "
                                "your password."),
    "organization.verification_withdrawn": _l("The verification of “%(org)s” was withdrawn: %(reason)s"),
    "organization.verification_refused": _l("The verification of “%(org)s” was refused: %(reason)s"),
    "organization.verified": _l("“%(org)s” is verified."),
}


def notify(users: Iterable[User], kind: str, params: dict[str, Any], link: str = "", *,
           now: datetime | None = None) -> list[Notification]:
    """Create one notification (and one outbox row) per active user; the caller commits."""
    if kind not in MESSAGES:
        raise ValueError(f"kind: unknown notification kind {kind!r}")
    now = now or utcnow()
    seen: set[int] = set()
    pairs: list[tuple[User, Notification]] = []
    for user in users:
        if user.id in seen or user.is_disabled:
            continue
        seen.add(user.id)
        pairs.append((user, Notification(user_id=user.id, kind=kind, params=dict(params), link=link,
                                         created_at=now)))
    db.session.add_all(n for _user, n in pairs)
    db.session.flush()
    db.session.add_all(OutboxMessage(notification_id=n.id, recipient=user.email, created_at=now)
                       for user, n in pairs)
    db.session.flush()
    return [n for _user, n in pairs]


def render(notification_kind: str, params: dict[str, Any], locale: str) -> str:
    """The message text in ``locale`` (unknown kinds fall back to the kind itself)."""
    from market.ui.formatting import datetime_label, enum_label

    template = MESSAGES.get(notification_kind)
    if template is None:
        return notification_kind
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key.endswith("_en"):
            continue
        if locale == "en" and params.get(f"{key}_en"):
            value = params[f"{key}_en"]
        if key.endswith("_at") and isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a timestamp after all: show it as it is
                value = datetime_label(datetime.fromisoformat(value))
        elif key == "status":
            value = enum_label(value)
        values[key] = value
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def notifications_of(user: User):
    """A select() of the user's notifications, newest first."""
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def mark_read(user: User, notification: Notification, *, now: datetime | None = None) -> None:
    if notification.user_id != user.id:
        from market.core.errors import NotFound

        raise NotFound(_l("Not found."))
    if notification.read_at is None:
        notification.read_at = now or utcnow()


def mark_all_read(user: User, *, now: datetime | None = None) -> int:
    result = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None))
                                .values(read_at=now or utcnow()))
    return result.rowcount or 0


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail the sender should deliver."""

    outbox_id: int
    recipient: str
    text: str
    link: str


def drain_outbox(*, locale: str, limit: int = 100, now: datetime | None = None) -> list[OutgoingMail]:
    """Take up to ``limit`` unsent outbox rows, oldest first, mark them sent and return them."""
    now = now or utcnow()
    rows = db.session.execute(
        select(OutboxMessage, Notification).join(Notification, OutboxMessage.notification_id == Notification.id)
        .where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)).all()
    mails = []
    for outbox, notification in rows:
        outbox.sent_at = now
        mails.append(OutgoingMail(outbox.id, outbox.recipient, render(notification.kind, notification.params, locale),
                                  notification.link))
    db.session.flush()
    return mails
