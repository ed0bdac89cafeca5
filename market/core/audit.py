"""The audit trail (全过程留痕): every state change and money movement, in a keyed hash chain.

Each event carries a gap-free sequence number ``seq`` and ``hash``: an HMAC-SHA-256, under a
secret key kept outside the database (:mod:`market.core.audit_keys`), of its content and the
previous event's hash. After every commit that appended events the new head (seq, hash) goes to
a checkpoint log outside the database (:mod:`market.core.checkpoints`). Together:

* an edited event no longer matches its MAC, and whoever edits the database cannot recompute the
  chain without the key;
* a removed or reordered event breaks the links (and the sequence);
* a truncated tail no longer reaches the latest checkpoint.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Index, Integer, String, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.core.db import AwareDateTime, Base, db, utcnow

GENESIS_HASH = "0" * 64
# Events written before the chain was keyed are digested with plain SHA-256; they may only form
# the beginning of the chain.
LEGACY_KEY_ID = "legacy"
# Any constant works; it names the PostgreSQL advisory lock that serialises appends.
_CHAIN_LOCK_KEY = 7_311_2014
_HEAD = "audit_head"  # session.info key: the head this transaction appended, checkpointed on commit


class AuditEvent(Base):
    """One state change or money movement; ``hash`` chains it to the event before."""

    __tablename__ = "audit_events"
    # An object's own history (every object page links to it) and the actor filter.
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),
                      Index("ix_audit_events_actor_id", "actor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(200), default="system")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(40), default=LEGACY_KEY_ID)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Where the object stands (its street; None: the district's), so that a street's officials read the
    # record of their street. Who may read, not what happened: it is outside the signed content.
    street_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The district it belongs to (its street's; None: nowhere in particular, every official reads it).
    district_id: Mapped[int | None] = mapped_column(Integer, index=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _canonical(event: AuditEvent, *, keyed: bool) -> bytes:
    payload = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    if keyed:
        payload["seq"] = event.seq
        payload["key_id"] = event.key_id
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_digest(event: AuditEvent, keys: dict[str, bytes] | None = None) -> str:
    """The event's MAC under its key (plain SHA-256 for legacy events). Raises ``KeyError`` for an unknown key."""
    if event.key_id == LEGACY_KEY_ID:
        return hashlib.sha256(_canonical(event, keyed=False)).hexdigest()
    keyring = keys if keys is not None else audit_keys().keys
    return hmac.new(keyring[event.key_id], _canonical(event, keyed=True), hashlib.sha256).hexdigest()


def audit_keys():
    """The app's keyring (:class:`market.core.audit_keys.Keyring`)."""
    return current_app.extensions["audit"].keyring


def checkpoint_log():
    """The app's checkpoint log (:mod:`market.core.checkpoints`)."""
    return current_app.extensions["audit"].checkpoints


def _last_event(session: Session) -> tuple[int, str] | None:
    # FOR UPDATE: on SQLite this takes the write lock first (market.core.db), so two writers
    # cannot both read the same head; PostgreSQL also holds the advisory lock below.
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
                          .with_for_update()).first()
    return (row[0], row[1]) if row else None


def _place_of(obj: Any) -> tuple[int | None, int | None]:
    """The street and district the object stands in (None, None: an object not stored anywhere yet)."""
    state = inspect(obj, raiseerr=False) if obj is not None else None
    scope_of = getattr(obj, "policy_scope", None)
    if state is None or state.transient or not callable(scope_of):
        return None, None
    scope = scope_of()
    district = scope.district_id
    if district is None and scope.street_id is not None:
        streets = db.metadata.tables["streets"]  # the core names no domain model
        district = db.session.scalar(select(streets.c.district_id).where(streets.c.id == scope.street_id))
    return scope.street_id, district


def record(actor: Any, action: str, obj: Any = None, *, object_type: str | None = None,
           object_id: Any = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event for ``action`` on ``obj`` by ``actor`` (a User or None for the system).

    The caller's transaction owns the commit; on PostgreSQL an advisory lock held until then
    keeps concurrent appends from forking the chain.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    obj = getattr(obj, "_get_current_object", lambda: obj)()  # the logged-in user arrives as a proxy
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        if object_id is None:
            session.flush()
            object_id = obj.id
    place = _place_of(obj)
    last = _last_event(session)
    keyring = audit_keys()
    event = AuditEvent(
        seq=(last[0] + 1) if last else 1,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type or "system",
        object_id=str(object_id if object_id is not None else ""),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash=last[1] if last else GENESIS_HASH,
        key_id=keyring.current_id,
        street_id=place[0],
        district_id=place[1],
    )
    event.hash = event_digest(event, keyring.keys)
    session.add(event)
    session.flush()
    session.info[_HEAD] = (event.seq, event.hash)
    return event


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    head = session.info.pop(_HEAD, None)
    if head is not None:
        checkpoint_log().append(seq=head[0], head=head[1], at=utcnow())


@event.listens_for(Session, "after_rollback")
def _forget_head(session: Session) -> None:
    session.info.pop(_HEAD, None)


@dataclass(frozen=True)
class ChainReport:
    """Outcome of :func:`verify_chain`. ``message`` says in words what was found."""

    ok: bool
    checked: int
    problem: str = ""  # edited | link | gap | unknown_key | legacy_after_keyed | truncated | rewritten
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    message: str = ""
    checkpoint_seq: int | None = None
    legacy: int = 0


def _broken(checked: int, entry: AuditEvent, problem: str, message: str, **extra: Any) -> ChainReport:
    return ChainReport(False, checked, problem, entry.seq, entry.id, message, **extra)


def verify_chain(*, against_checkpoint: bool = True) -> ChainReport:
    """Recompute every event's MAC in order, check the links, then compare the end of the chain
    with the latest checkpoint kept outside the database (unless ``against_checkpoint`` is false:
    the chain's own consistency only, as after a restore from backup)."""
    keyring = audit_keys()
    checkpoint = checkpoint_log().latest() if against_checkpoint else None
    previous_hash, previous_seq, checked, legacy = GENESIS_HASH, 0, 0, 0
    hash_at_checkpoint = None
    for entry in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        extra = {"checkpoint_seq": checkpoint.seq if checkpoint else None, "legacy": legacy}
        if entry.seq != previous_seq + 1:
            return _broken(checked, entry, "gap", f"Events {previous_seq + 1} to {entry.seq - 1} are missing: "
                           f"the chain jumps from event {previous_seq} to event {entry.seq}.", **extra)
        if entry.prev_hash != previous_hash:
            return _broken(checked, entry, "link", f"Event {entry.seq} does not follow event {previous_seq}: "
                           "an event before it was removed, replaced or reordered.", **extra)
        if entry.key_id == LEGACY_KEY_ID:
            if checked > legacy:
                return _broken(checked, entry, "legacy_after_keyed", f"Event {entry.seq} claims to predate the "
                               "keyed chain but follows keyed events: it was forged.", **extra)
            legacy += 1
        elif entry.key_id not in keyring.keys:
            return _broken(checked, entry, "unknown_key", f"Event {entry.seq} is signed with key "
                           f"'{entry.key_id}', which is not in the keyring.", **extra)
        if not hmac.compare_digest(event_digest(entry, keyring.keys), entry.hash):
            return _broken(checked, entry, "edited", f"Event {entry.seq} ({entry.action}) does not match its "
                           "signature: its content was edited.", **extra)
        if checkpoint is not None and entry.seq == checkpoint.seq:
            hash_at_checkpoint = entry.hash
        previous_hash, previous_seq = entry.hash, entry.seq
        checked += 1
    extra = {"checkpoint_seq": checkpoint.seq if checkpoint else None, "legacy": legacy}
    if checkpoint is not None:
        when = checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if previous_seq < checkpoint.seq:
            missing = checkpoint.seq - previous_seq
            return ChainReport(False, checked, "truncated", previous_seq + 1, None,
                               f"The chain ends at event {previous_seq}, but the checkpoint of {when} recorded "
                               f"{checkpoint.seq} events: the last {missing} event(s) were deleted.", **extra)
        if hash_at_checkpoint != checkpoint.head:
            return ChainReport(False, checked, "rewritten", checkpoint.seq, None,
                               f"Event {checkpoint.seq} differs from the checkpoint of {when}: "
                               "the chain was rewritten.", **extra)
    return ChainReport(True, checked, message=f"The chain of {checked} events is intact"
                       + (f" and reaches the latest checkpoint (event {checkpoint.seq})." if checkpoint else "."),
                       **extra)


def head() -> tuple[int, str] | None:
    """``(seq, hash)`` of the last event, or None for an empty chain."""
    row = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def checkpoint_restore(source: str) -> str:
    """After a restore from backup: append a checkpoint at the restored head that says what was
    lost, so that verification continues from here and the log keeps the history. Returns the note."""
    current = head() or (0, GENESIS_HASH)
    latest = checkpoint_log().latest()
    if latest is not None and latest.seq > current[0]:
        note = (f"restored from {source}: the chain ends at event {current[0]}; "
                f"events {current[0] + 1} to {latest.seq} recorded before the restore are lost")
    elif latest is not None and latest.seq == current[0] and latest.head == current[1]:
        return ""
    else:
        note = f"restored from {source}: the chain ends at event {current[0]}"
    checkpoint_log().append(seq=current[0], head=current[1], at=utcnow(), note=note)
    return note


@dataclass
class AuditSettings:
    keyring: Any
    checkpoints: Any


def init_app(app) -> None:
    """Load the signing keys and open the checkpoint log for ``app``."""
    from market.core.audit_keys import load_keyring
    from market.core.checkpoints import checkpoint_log_from_config

    app.extensions["audit"] = AuditSettings(
        keyring=load_keyring(app.instance_path, app.config.get("AUDIT_KEYS", "")),
        checkpoints=checkpoint_log_from_config(app.config.get("AUDIT_CHECKPOINTS", ""), app.instance_path,
                                               app.config.get("REDIS_URL", "")))
