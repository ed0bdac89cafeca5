"""The period the statistics cover: whole days in Beijing time, read from presets or typed dates.

A period is the days ``first`` to ``last`` inclusive; in the database it is the half-open UTC
interval from the start of ``first`` to the start of the day after ``last`` (Beijing midnights).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from market.core.calendar import BEIJING
from market.core.errors import ValidationFailed

#: The presets offered as links, with their labels.
PRESETS: dict[str, Any] = {
    "this_year": _l("This year"),
    "last_12_months": _l("Last 12 months"),
    "last_quarter": _l("Last quarter"),
}
DEFAULT_PRESET = "this_year"
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
#: Longer periods answer nothing a decision needs and only make every query read everything.
MAX_DAYS = 3653


@dataclass(frozen=True)
class Period:
    """Whole days ``first`` .. ``last`` (Beijing dates, inclusive); ``preset`` names how it was chosen."""

    first: date
    last: date
    preset: str = ""

    @property
    def start(self) -> datetime:
        """The first instant of the period, in UTC."""
        return datetime.combine(self.first, time(0), tzinfo=BEIJING).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def beijing_today(now: datetime) -> date:
    return now.astimezone(BEIJING).date()


def preset_period(name: str, today: date) -> Period:
    """The period a preset names, as seen on ``today`` (a Beijing date).

    >>> preset_period("last_quarter", date(2026, 2, 10))
    Period(first=datetime.date(2025, 10, 1), last=datetime.date(2025, 12, 31), preset='last_quarter')
    >>> preset_period("last_12_months", date(2026, 12, 6)).first
    datetime.date(2025, 12, 7)
    """
    if name == "this_year":
        return Period(date(today.year, 1, 1), today, name)
    if name == "last_12_months":
        return Period(_one_year_before(today) + timedelta(days=1), today, name)
    if name == "last_quarter":
        this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        last = this_quarter - timedelta(days=1)
        return Period(date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last, name)
    raise ValidationFailed(_l("Choose one of the offered periods."), fields={"preset": _l("Unknown period.")})


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _date_arg(raw: str, name: str, errors: dict[str, Any]) -> date | None:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = _l("Enter a date as YYYY-MM-DD.")
        return None
    if not EARLIEST <= value <= LATEST:
        errors[name] = _l("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(),
                          last=LATEST.isoformat())
        return None
    return value


def read_period(args: Mapping[str, str], now: datetime) -> Period:
    """The period the query string asks for: ``preset``, else ``from`` and ``to``, else this year.

    Bad input raises :class:`ValidationFailed` naming each field.
    """
    today = beijing_today(now)
    preset = (args.get("preset") or "").strip()
    raw_first, raw_last = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if preset:
        return preset_period(preset, today)
    if not raw_first and not raw_last:
        return preset_period(DEFAULT_PRESET, today)
    errors: dict[str, Any] = {}
    first = _date_arg(raw_first, "from", errors) if raw_first else None
    last = _date_arg(raw_last, "to", errors) if raw_last else None
    if not raw_first:
        errors["from"] = _l("Give the first day of the period.")
    if not raw_last:
        errors["to"] = _l("Give the last day of the period.")
    if errors:
        raise ValidationFailed(_l("Please correct the period."), fields=errors)
    assert first is not None and last is not None
    if first > last:
        raise ValidationFailed(_l("The period starts after it ends: the first day must come before the last."),
                               fields={"from": _l("After the last day."), "to": _l("Before the first day.")})
    period = Period(first, last)
    if period.days > MAX_DAYS:
        raise ValidationFailed(_l("Choose a period of at most ten years."), fields={"from": _l("Too long ago.")})
    return period
