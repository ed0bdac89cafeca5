"""Working-day arithmetic in Beijing time (no daylight saving; public holidays are not modelled)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (local midnight) of the ``days``-th working day after the day of ``start``.

    A notice published on a Friday with 5 working days runs until the end of the next
    Friday; weekends are skipped. ``days == 0`` gives the end of the day of ``start``.

    >>> from datetime import datetime, timezone
    >>> friday = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)   # 10:00 in Beijing
    >>> add_working_days(friday, 5).astimezone(BEIJING).isoformat()
    '2026-12-05T00:00:00+08:00'
    """
    if days < 0:
        raise ValueError("days: must be >= 0")
    if start.tzinfo is None:
        raise ValueError("start: use an aware datetime")
    day = start.astimezone(BEIJING).date()
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING)
    return end.astimezone(UTC)


def local_to_utc(value: datetime) -> datetime:
    """A naive Beijing wall-clock time (as typed into a form) as an aware UTC datetime."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=BEIJING).astimezone(UTC)


def utc_to_local_naive(value: datetime) -> datetime:
    """The Beijing wall-clock time of ``value``, for pre-filling a datetime-local input."""
    return value.astimezone(BEIJING).replace(tzinfo=None)
