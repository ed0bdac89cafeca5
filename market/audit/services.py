"""Reading the audit trail: which events a filter selects, and who the people in them are."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from market.accounts.models import User
from market.audit.labels import ACTION_LABELS, OBJECT_TYPE_LABELS
from market.core import policy
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import ValidationFailed

SYSTEM = "system"
PER_PAGE = 50
# Downloads stop here: a larger extract is a backup, not a table to read.
MAX_EXPORT_ROWS = 50_000
# Ids are 32-bit in the database; pages beyond this are empty anyway.
MAX_ID = 2**31 - 1
MAX_PAGE = 10**9
OBJECT_ID_LENGTH = 40  # AuditEvent.object_id
# Dates outside these years are typing mistakes; they also keep the time-zone arithmetic in range.
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True)
class AuditFilters:
    """A validated selection of events. Dates are calendar days where the trail is read (Beijing)."""

    date_from: date | None = None
    date_to: date | None = None
    actor: str = ""  # "system", or a user's id
    object_type: str = ""
    action: str = ""
    object_id: str = ""
    page: int = 1

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (without the page), for links and downloads."""
        args = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "page" and value not in (None, ""):
                args[field.name] = value.isoformat() if isinstance(value, date) else str(value)
        return args

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _date_arg(args: Mapping[str, str], name: str, errors: dict[str, Any]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = _l("Give a date as YYYY-MM-DD.")
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors[name] = _l("Give a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        return None
    return value


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read the filters from query-string arguments; raises :class:`ValidationFailed` naming each bad one."""
    errors: dict[str, Any] = {}
    date_from = _date_arg(args, "date_from", errors)
    date_to = _date_arg(args, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = _l("The end date is before the start date.")
    actor = (args.get("actor") or "").strip()
    if actor and actor != SYSTEM:
        if not actor.isdigit() or not actor.isascii():
            errors["actor"] = _l("Unknown value.")
        elif int(actor) > MAX_ID:
            errors["actor"] = _l("Too large.")
        else:
            actor = str(int(actor))
    object_type = (args.get("object_type") or "").strip()
    if object_type and object_type not in OBJECT_TYPE_LABELS:
        errors["object_type"] = _l("Unknown value.")
    action = (args.get("action") or "").strip()
    if action and action not in ACTION_LABELS:
        errors["action"] = _l("Unknown value.")
    object_id = (args.get("object_id") or "").strip()
    if len(object_id) > OBJECT_ID_LENGTH:
        errors["object_id"] = _l("At most %(n)d characters.", n=OBJECT_ID_LENGTH)
    elif not object_id.isprintable():  # control characters name no object (and PostgreSQL refuses NUL)
        errors["object_id"] = _l("Unknown value.")
    raw_page = (args.get("page") or "").strip()
    page = 1
    if raw_page:
        if not raw_page.isdigit() or not raw_page.isascii() or int(raw_page) < 1:
            errors["page"] = _l("Must be a whole number of at least 1.")
        elif int(raw_page) > MAX_PAGE:
            errors["page"] = _l("Too large.")
        else:
            page = int(raw_page)
    if errors:
        raise ValidationFailed(_l("Some filters are not valid."), fields=errors)
    return AuditFilters(date_from, date_to, actor, object_type, action, object_id, page)


def _start_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def events_query(filters: AuditFilters, *, zone: tzinfo, reader: Any) -> Select:
    """The selected events (not yet ordered) that ``reader`` may read; days begin and end at midnight
    in ``zone``. A street's officials read their street's record and their district's, not other streets'
    (scores before a candidate notice, who asked a private question, ...); a district's officials read
    their district's, not other districts'. Events of no place (settings, the system's) every official reads."""
    stmt = select(AuditEvent)
    street = policy.street_filter(reader)
    district = policy.district_filter(reader)
    if district is not None:
        stmt = stmt.where(or_(AuditEvent.district_id.is_(None), AuditEvent.district_id == district))
    if street is not None:
        stmt = stmt.where(or_(AuditEvent.street_id.is_(None), AuditEvent.street_id == street))
    if filters.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _start_of(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(days=1), zone))
    if filters.actor == SYSTEM:
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif filters.actor:
        stmt = stmt.where(AuditEvent.actor_id == int(filters.actor))
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.object_id:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    return stmt


def newest_first(stmt: Select) -> Select:
    return stmt.order_by(AuditEvent.seq.desc())


def exported_events(filters: AuditFilters, *, zone: tzinfo, reader: Any) -> Iterable[AuditEvent]:
    """The selected events for a download, newest first, at most :data:`MAX_EXPORT_ROWS`."""
    stmt = newest_first(events_query(filters, zone=zone, reader=reader)).limit(MAX_EXPORT_ROWS)
    return db.session.scalars(stmt.execution_options(yield_per=1000))


def people(ids: Iterable[int | None]) -> dict[int, User]:
    """The accounts behind ``ids`` (missing ones, such as deleted accounts, are left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(wanted)))}


def actors(reader: Any = None) -> list[User]:
    """Everyone who appears as the actor of some event ``reader`` may read (see :func:`events_query`), by name."""
    readable = events_query(AuditFilters(), zone=UTC, reader=reader)
    acting = readable.with_only_columns(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(acting)).order_by(User.display_name, User.id)))
