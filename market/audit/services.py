"""Append audit events to a hash chain and verify the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select, text

from market.audit.models import AuditEvent
from market.db import db, utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it names the PostgreSQL advisory lock that serialises appends.
_CHAIN_LOCK_KEY = 7_311_2014


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


def event_digest(event: AuditEvent) -> str:
    """SHA-256 over the event's content and the previous event's hash."""
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
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(actor: Any, action: str, obj: Any = None, *, object_type: str | None = None,
           object_id: Any = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event for ``action`` on ``obj`` by ``actor`` (a User or None for the system).

    The caller's transaction owns the commit; on PostgreSQL an advisory lock held
    until then keeps concurrent appends from forking the chain.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    previous = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        if object_id is None:
            session.flush()
            object_id = obj.id
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type or "system",
        object_id=str(object_id if object_id is not None else ""),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash=previous or GENESIS_HASH,
    )
    event.hash = event_digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """Outcome of :func:`verify_chain`: ``ok`` and, if not, the first bad event."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first event that does not fit."""
    previous = GENESIS_HASH
    checked = 0
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != previous:
            return ChainReport(False, checked, event.id, "previous-hash link broken (an event was removed or reordered)")
        if event_digest(event) != event.hash:
            return ChainReport(False, checked, event.id, "content does not match its hash (the event was edited)")
        previous = event.hash
        checked += 1
    return ChainReport(True, checked)
