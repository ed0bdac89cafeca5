"""Audit events as people read them: who (name and role), what (the action's label), on what,
and each recorded detail before → after as labelled values (money in yuan, statuses as their
labels, times in the reader's time zone).

Nothing is looked up beyond what the event recorded and its actor's account: a sealed bid's
events show their seal and commitment, never the bid behind them. E-mail addresses are given
only when the caller says the reader may see them (administrators).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _

from market.accounts.models import User
from market.audit.labels import action_label, field_label, object_type_label
from market.core.audit import AuditEvent
from market.core.db import Base
from market.core.enums import label_of
from market.core.money import money

# Events recorded under another name than their table.
MODEL_OF_TYPE = {"sealed_bid": "bids"}
# Keys whose numbers are amounts in fen although their names do not end in _cents.
MONEY_CONTAINERS = frozenset({"balances"})
EMPTY = "—"
TIME_FORMAT = "yyyy-MM-dd HH:mm:ss"


@dataclass(frozen=True)
class Change:
    """One recorded detail: its label and its values before and after (empty when not recorded)."""

    key: str
    label: str
    before: str
    after: str


@dataclass
class EventView:
    """An event as shown on the page and in downloads."""

    event: AuditEvent
    actor_name: str
    actor_role: str
    actor_email: str  # empty unless the reader may see e-mail addresses
    action_label: str
    object_type_label: str
    changes: list[Change] = field(default_factory=list)
    raw: str = ""  # the recorded JSON, for administrators only

    @property
    def is_system(self) -> bool:
        return self.event.actor_id is None


def _models_by_table() -> dict[str, type]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers
            if hasattr(mapper.class_, "__tablename__")}


def _enum_columns(object_type: str) -> dict[str, type]:
    """The labelled enums of the object's columns, by column name (a status, a phase, a kind)."""
    model = _models_by_table().get(MODEL_OF_TYPE.get(object_type, object_type))
    if model is None or not hasattr(model, "__table__"):
        return {}
    return {column.name: column.type.enum for column in model.__table__.columns
            if getattr(column.type, "enum", None) is not None}


def signed_money(cents: int) -> str:
    """Fen as yuan, the sign in front of the symbol (−¥1.50, not ¥-2.50)."""
    return "-" + money(-cents) if cents < 0 else money(cents)


def local_time(value: datetime, zone: tzinfo) -> datetime:
    """The wall-clock time in ``zone``, to the second, without a time zone (as spreadsheets want it)."""
    return value.astimezone(zone).replace(microsecond=0, tzinfo=None)


def _as_datetime(text: str) -> datetime | None:
    # Recorded times are ISO 8601 in UTC (market.core.audit._jsonable); plain dates stay dates.
    if len(text) < 19 or text[10] != "T":
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def format_value(key: str, value: Any, enums: Mapping[str, type] | None = None, *, cents: bool = False) -> str:
    """One recorded value in words: amounts (``*_cents``) in yuan, statuses by their label, times in the
    reader's time zone, yes/no, nested details labelled."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int) and (cents or key.endswith("_cents")):
        return signed_money(value)
    if isinstance(value, dict):
        inner_cents = cents or key.endswith("_cents") or key in MONEY_CONTAINERS
        return "; ".join(f"{field_label(str(k))}: {format_value(str(k), v, cents=inner_cents)}"
                         for k, v in value.items()) or EMPTY
    if isinstance(value, list):
        return ", ".join(f"({format_value(key, item, enums, cents=cents)})" if isinstance(item, dict)
                         else format_value(key, item, enums, cents=cents) for item in value) or EMPTY
    if isinstance(value, str):
        enum = (enums or {}).get(key)
        if enum is not None:
            try:
                return label_of(enum(value))
            except ValueError:
                return value
        moment = _as_datetime(value)
        if moment is not None:
            return format_datetime(moment, TIME_FORMAT)
    return str(value)


def changes_of(event: AuditEvent) -> list[Change]:
    """The event's details, each with its value before and after, in the order they were recorded."""
    before, after = event.before or {}, event.after or {}
    enums = _enum_columns(event.object_type)
    keys = list(before) + [k for k in after if k not in before]
    return [Change(key, field_label(key),
                   format_value(key, before[key], enums) if key in before else "",
                   format_value(key, after[key], enums) if key in after else "") for key in keys]


def changes_text(changes: Iterable[Change]) -> str:
    """The changes on one line, for downloads: ``Status: Open → Awarded; Budget: ¥300,000``."""
    parts = []
    for change in changes:
        if change.before and change.after:
            parts.append(f"{change.label}: {change.before} → {change.after}")
        else:
            parts.append(f"{change.label}: {change.after or change.before}")
    return "; ".join(parts)


def _raw(event: AuditEvent) -> str:
    return json.dumps({"actor": event.actor_label, "before": event.before, "after": event.after},
                      ensure_ascii=False, indent=1, sort_keys=True)


def present(events: Iterable[AuditEvent], users: Mapping[int, User], *, show_emails: bool) -> list[EventView]:
    """The events as the reader sees them; e-mail addresses and the raw record only with ``show_emails``."""
    views = []
    for event in events:
        user = users.get(event.actor_id) if event.actor_id is not None else None
        if event.actor_id is None:
            name, role = _("System"), ""
        elif user is None:
            name, role = _("Account %(id)s", id=event.actor_id), ""
        else:
            name, role = user.display_name, label_of(user.role)
        email = ""
        if show_emails and event.actor_id is not None:
            email = user.email if user is not None else event.actor_label
        views.append(EventView(event, name, role, email, action_label(event.action),
                               object_type_label(event.object_type), changes_of(event),
                               _raw(event) if show_emails else ""))
    return views


def export_header(*, show_emails: bool) -> list[str]:
    """The download's column titles (the same as the page's)."""
    return [_("No."), _("When (Beijing time)"), _("Who"), _("Role"), *([_("E-mail")] if show_emails else []),
            _("Action"), _("Action code"), _("Object type"), _("Object"), _("Before → after")]


def export_row(view: EventView, *, zone: tzinfo, show_emails: bool) -> list[Any]:
    """One event as a row of :func:`export_header`'s columns."""
    event = view.event
    return [event.seq, local_time(event.occurred_at, zone), view.actor_name, view.actor_role,
            *([view.actor_email] if show_emails else []), view.action_label, event.action,
            view.object_type_label, event.object_id, changes_text(view.changes)]
