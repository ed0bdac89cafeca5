"""Beijing time for the whole app: working days for notice periods, and times shown or typed.

Working days follow the official calendar of the State Council (statutory holidays and the
make-up working days on weekends) as published in the ``chinesecalendar`` package. For a year the
package does not know yet (the schedule is announced late in the year before), weekends alone are
skipped and :func:`working_days_warning` says so, so that forms can warn the official.
There is no daylight saving in China.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar
from flask_babel import lazy_gettext as _l

BEIJING = timezone(timedelta(hours=8), "CST")
#: The years the official calendar knows, e.g. range(2004, 2027).
KNOWN_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def calendar_knows(day: date) -> bool:
    """Whether the official holiday schedule of ``day``'s year is known."""
    return day.year in KNOWN_YEARS


def is_working_day(day: date) -> bool:
    """A working day on the official calendar; outside its years, Monday to Friday."""
    if calendar_knows(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (local midnight) of the ``days``-th working day after the day of ``start``.

    A notice published on a Friday with 5 working days runs until the end of the next
    Friday; weekends and statutory holidays are skipped, make-up working days count.
    ``days == 0`` gives the end of the day of ``start``.

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
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(UTC)


def working_days_warning(start: datetime, days: int):
    """A message for the official when the period runs into a year whose holidays are not known
    (only weekends were skipped, so the end may fall before a holiday is over); ``None`` otherwise."""
    end = add_working_days(start, days)
    first, last = start.astimezone(BEIJING).date(), local_date(end)
    unknown = sorted({year for year in range(first.year, last.year + 1) if year not in KNOWN_YEARS})
    if not unknown:
        return None
    return _l("The official holiday calendar for %(years)s is not available yet: this period skips weekends "
              "only and ends %(end)s. Check it against the State Council's holiday notice.",
              years=", ".join(str(y) for y in unknown), end=local_label(end))


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
