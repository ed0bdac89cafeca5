"""``notify(users, kind, params, link)``: in-app notifications plus an outbox for e-mail and SMS.

Messages are stored as a ``kind`` and plain ``params`` and rendered when read, so
each reader sees them in their own language. A parameter ``x`` may come with an
English twin ``x_en``; parameters ending in ``_at`` are ISO timestamps and
``status`` is an enum value, both formatted for the reader.

Each user chooses per kind whether it also comes by e-mail (on by default) and by SMS
(off by default); :func:`notify` writes one outbox row per chosen channel, which
:mod:`market.notifications.delivery` sends once the transaction commits.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import column, func, or_, select, table, update

from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, ValidationFailed
from market.notifications.models import Channel, Notification, NotificationPreference, OutboxMessage

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
    "bids.invited": _l("Your organisation is invited to bid for “%(project)s” (%(number)s) until %(deadline_at)s."),
    "bids.clarification_published": _l("A clarification was published for “%(project)s” (%(number)s)."),
    "bids.deadline_extended": _l("After a clarification the bid deadline of “%(project)s” (%(number)s) is now "
                                 "%(deadline_at)s."),
    "bids.tender_failed": _l("The tender “%(project)s” (%(number)s) failed at its opening: %(reason)s"),
    "bids.tender_republished": _l("“%(project)s” (%(number)s) takes bids again until %(deadline_at)s; bids of "
                                  "the failed round are returned."),
}

#: What each kind of notice is about, for the preferences page: its group (the kind's prefix) and a label.
GROUPS: dict[str, Any] = {
    "micro": _l("Resident micro-projects"),
    "organization": _l("Organisations"),
    "account": _l("Your account"),
}
OTHER_GROUP = _l("Other notices")
LABELS: dict[str, Any] = {
    "micro.round_opened": _l("A round opens for proposals"),
    "micro.voting_opened": _l("Voting opens"),
    "micro.results_published": _l("Results are published"),
    "micro.results_final": _l("Results are final"),
    "micro.proposal_reviewed": _l("My proposal was reviewed"),
    "micro.project_update": _l("Progress updates on projects I follow"),
    "micro.flag_raised": _l("A resident reports a problem on my project"),
    "micro.flag_answered": _l("My report was answered"),
    "micro.objection_filed": _l("A resident objects to results"),
    "micro.objection_answered": _l("My objection was answered"),
    "micro.rating_open": _l("A project can be rated"),
    "micro.panel_invited": _l("Invitations to an expert panel"),
    "account.failed_logins": _l("Wrong passwords tried on my account"),
    "organization.verification_withdrawn": _l("My organisation's verification is withdrawn"),
    "organization.verification_refused": _l("My organisation's verification is refused"),
    "organization.verified": _l("My organisation is verified"),
}


# session.info key: ids of outbox rows written in this transaction, handed to the workers after it commits.
PENDING_DELIVERY = "notification_outbox_pending"


def notify(users: Iterable[User], kind: str, params: dict[str, Any], link: str = "", *,
           now: datetime | None = None) -> list[Notification]:
    """Create one notification per active user, and an outbox row for each channel they chose
    for ``kind`` (e-mail unless they turned it off, SMS if they turned it on and gave a number);
    the caller commits."""
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
    choices = _choices(list(seen), kind)
    outbox = []
    for user, notification in pairs:
        choice = choices.get(user.id, DEFAULT_CHOICE)
        if choice.email and user.email:
            outbox.append(OutboxMessage(notification_id=notification.id, channel=Channel.EMAIL,
                                        recipient=user.email, created_at=now, next_attempt_at=now))
        if choice.sms and user.phone:
            outbox.append(OutboxMessage(notification_id=notification.id, channel=Channel.SMS,
                                        recipient=user.phone, created_at=now, next_attempt_at=now))
    db.session.add_all(outbox)
    db.session.flush()
    deliver_after_commit([row.id for row in outbox])
    return [n for _user, n in pairs]


def deliver_after_commit(outbox_ids: Iterable[int]) -> None:
    """Hand these outbox rows to the delivery workers once the transaction commits (dropped on rollback)."""
    db.session.info.setdefault(PENDING_DELIVERY, []).extend(outbox_ids)


# ---------------------------------------------------------------- each user's channels per kind

@dataclass(frozen=True)
class Choice:
    """The channels a user wants a kind of notice on, besides the in-app list."""

    email: bool = True
    sms: bool = False


DEFAULT_CHOICE = Choice()


@dataclass(frozen=True)
class KindChoice:
    """One line of the preferences page."""

    kind: str
    group: Any
    label: Any
    choice: Choice


def kind_group(kind: str) -> Any:
    return GROUPS.get(kind.partition(".")[0], OTHER_GROUP)


def kind_label(kind: str) -> Any:
    return LABELS.get(kind, kind)


def _choices(user_ids: list[int], kind: str) -> dict[int, Choice]:
    if not user_ids:
        return {}
    rows = db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind))
    return {row.user_id: Choice(row.email, row.sms) for row in rows}


def choice_of(user: User, kind: str) -> Choice:
    """What ``user`` chose for ``kind`` (the defaults when they never chose)."""
    return _choices([user.id], kind).get(user.id, DEFAULT_CHOICE)


def preferences_of(user: User) -> list[KindChoice]:
    """Every kind of notice with the user's choice, grouped and in a stable order."""
    rows = {row.kind: Choice(row.email, row.sms) for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    groups = list(GROUPS)
    kinds = sorted(MESSAGES, key=lambda k: (groups.index(k.partition(".")[0]) if k.partition(".")[0] in groups
                                            else len(groups), list(MESSAGES).index(k)))
    return [KindChoice(kind, kind_group(kind), kind_label(kind), rows.get(kind, DEFAULT_CHOICE)) for kind in kinds]


def _save_choice(user_id: int, kind: str, choice: Choice, now: datetime) -> None:
    row = db.session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id,
                                                                 NotificationPreference.kind == kind))
    if row is None:
        db.session.add(NotificationPreference(user_id=user_id, kind=kind, email=choice.email, sms=choice.sms,
                                              updated_at=now))
    elif (row.email, row.sms) != (choice.email, choice.sms):
        row.email, row.sms, row.updated_at = choice.email, choice.sms, now


def save_preferences(user: User, choices: Mapping[str, Choice], *, now: datetime | None = None) -> None:
    """Keep ``user``'s channels for each kind named in ``choices``; the caller commits."""
    policy.require(user, "notifications.preferences")
    unknown = sorted(set(choices) - set(MESSAGES))
    if unknown:
        raise ValidationFailed(_l("Unknown kind of notice: %(kind)s", kind=", ".join(unknown)))
    now = now or utcnow()
    for kind, choice in choices.items():
        _save_choice(user.id, kind, choice, now)
    db.session.flush()


# ---------------------------------------------------------------- one-click unsubscribe (RFC 8058)

_UNSUBSCRIBE_SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscription:
    """Who an unsubscribe link speaks for, and from which kind of notice."""

    user_id: int
    kind: str


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    """A signed token that turns off e-mails of ``kind`` for ``user_id``, without logging in."""
    return URLSafeTimedSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps({"u": user_id, "k": kind})


_USERS = table("users", column("id"))  # the accounts table, read here without depending on the accounts domain


def _account_exists(user_id: int) -> bool:
    return db.session.scalar(select(_USERS.c.id).where(_USERS.c.id == user_id)) is not None


def read_unsubscribe_token(secret_key: str, token: str, *, max_age_seconds: int) -> Unsubscription:
    """What a token says, or :class:`ValidationFailed` when it is forged, damaged or too old."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_UNSUBSCRIBE_SALT)
    try:
        payload = serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise ValidationFailed(_l("This unsubscribe link has expired. Log in and change your notification "
                                  "settings instead.")) from None
    except BadSignature:
        raise ValidationFailed(_l("This unsubscribe link is not valid. Log in and change your notification "
                                  "settings instead.")) from None
    if not (isinstance(payload, dict) and isinstance(payload.get("u"), int) and payload.get("k") in MESSAGES
            and 0 < payload["u"] <= 2**31 - 1 and _account_exists(payload["u"])):
        raise ValidationFailed(_l("This unsubscribe link is not valid. Log in and change your notification "
                                  "settings instead."))
    return Unsubscription(payload["u"], payload["k"])


def unsubscribe(unsubscription: Unsubscription, *, now: datetime | None = None) -> None:
    """Turn off e-mails of one kind for one user (the token's); the caller commits."""
    current = _choices([unsubscription.user_id], unsubscription.kind).get(unsubscription.user_id, DEFAULT_CHOICE)
    _save_choice(unsubscription.user_id, unsubscription.kind, Choice(email=False, sms=current.sms), now or utcnow())
    db.session.flush()


# ---------------------------------------------------------------- messages that could not be delivered

# The tables that say where a recipient belongs, read here without depending on those domains.
_PEOPLE = table("users", column("id"), column("district_id"), column("community_id"), column("organization_id"))
_COMMUNITIES = table("communities", column("id"), column("street_id"))
_STREETS = table("streets", column("id"), column("district_id"))
_ORGANIZATIONS = table("organizations", column("id"), column("district_id"), column("home_street_id"))


def dead_letters(actor: User | None = None):
    """A select() of outbox rows given up on and not yet retried or discarded, newest first; for an official,
    those to people of their district or of none (:func:`market.notifications.models.recipient_district`)."""
    stmt = (select(OutboxMessage).where(OutboxMessage.dead_at.is_not(None), OutboxMessage.discarded_at.is_(None),
                                        OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.dead_at.desc(), OutboxMessage.id.desc()))
    district = policy.district_filter(actor) if actor is not None else None
    if district is None:
        return stmt
    community_street, home_street = _STREETS.alias("community_street"), _STREETS.alias("home_street")
    recipient_district = func.coalesce(_PEOPLE.c.district_id, community_street.c.district_id,
                                       _ORGANIZATIONS.c.district_id, home_street.c.district_id)
    return (stmt.join(Notification, OutboxMessage.notification_id == Notification.id)
            .join(_PEOPLE, _PEOPLE.c.id == Notification.user_id)
            .outerjoin(_COMMUNITIES, _COMMUNITIES.c.id == _PEOPLE.c.community_id)
            .outerjoin(community_street, community_street.c.id == _COMMUNITIES.c.street_id)
            .outerjoin(_ORGANIZATIONS, _ORGANIZATIONS.c.id == _PEOPLE.c.organization_id)
            .outerjoin(home_street, home_street.c.id == _ORGANIZATIONS.c.home_street_id)
            .where(or_(recipient_district.is_(None), recipient_district == district)))


def _require_dead(message: OutboxMessage) -> None:
    if not message.is_dead:
        raise Conflict(_l("This message is not on the list of undelivered messages any more."))


def retry_dead_letter(actor: User, message: OutboxMessage, *, now: datetime | None = None) -> OutboxMessage:
    """Put a dead letter back in the outbox with a fresh set of attempts; the caller commits."""
    policy.require(actor, "notifications.dead_letters", message)
    _require_dead(message)
    now = now or utcnow()
    record(actor, "notification.delivery_retried", message,
           before={"attempts": message.attempts, "last_error": message.last_error, "dead_at": message.dead_at})
    message.dead_at = None
    message.attempts = 0
    message.next_attempt_at = now
    message.claimed_at = message.claimed_by = None
    db.session.flush()
    deliver_after_commit([message.id])
    return message


def discard_dead_letter(actor: User, message: OutboxMessage, *, now: datetime | None = None) -> OutboxMessage:
    """Give up on a dead letter for good; the caller commits."""
    policy.require(actor, "notifications.dead_letters", message)
    _require_dead(message)
    message.discarded_at = now or utcnow()
    record(actor, "notification.delivery_discarded", message,
           after={"attempts": message.attempts, "last_error": message.last_error})
    db.session.flush()
    return message


def subject_of(text: str, *, limit: int = 78) -> str:
    """An e-mail subject from a message: its first sentence, shortened to ``limit`` characters."""
    first = re.split(r"(?<=[.!?。！？])\s*", text.strip(), maxsplit=1)[0] or text.strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


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
