"""Beijing time for the whole app: working days for notice periods, and times shown or typed.

There is no daylight saving in China; weekends are skipped, public holidays are not modelled.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (local midnight) of the ``days``-th working day after the day of ``start``.

    A notice published on a Friday with 5 working days runs until the end of the next
    Friday; weekends are skipped. ``days == 0`` gives the end of the day of ``start``.

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
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(UTC)


def local_label(value: datetime) -> str:
    """``2026-12-05 00:00 (UTC+8)``: an aware time as Beijing wall-clock text for messages."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


def local_to_utc(value: datetime) -> datetime:
    """A naive Beijing wall-clock time (as typed into a form) as an aware UTC datetime."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=BEIJING).astimezone(UTC)


def utc_to_local_naive(value: datetime) -> datetime:
    """The Beijing wall-clock time of ``value``, for pre-filling a datetime-local input."""
    return value.astimezone(BEIJING).replace(tzinfo=None)


def local_date(value: datetime) -> date:
    return value.astimezone(BEIJING).date()
