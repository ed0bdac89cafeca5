"""Working days on the official Chinese calendar: statutory holidays skipped, make-up days counted."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from market.core import calendar
from market.core.calendar import BEIJING, add_working_days, is_working_day, working_days_warning


def _beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def test_national_day_is_skipped_and_the_make_up_saturday_counts():
    # Published Wednesday 30 September 2026: 1-7 October are the National Day holiday, Saturday
    # 10 October is a make-up working day. Working days: 8, 9, 10 (Sat), 12, 13 October.
    end = add_working_days(_beijing(2026, 9, 30, 15, 0), 5)
    assert end.astimezone(BEIJING) == datetime(2026, 10, 14, tzinfo=BEIJING)
    assert not is_working_day(date(2026, 10, 5))  # a Monday inside the holiday
    assert is_working_day(date(2026, 10, 10))  # a Saturday worked in lieu
    assert working_days_warning(_beijing(2026, 9, 30, 15, 0), 5) is None


def test_spring_festival_week_is_skipped():
    # Friday 13 February 2026, then the Spring Festival holiday (15-23 February; Saturday 14 is worked).
    end = add_working_days(_beijing(2026, 2, 13, 9, 0), 3)
    assert end.astimezone(BEIJING) == datetime(2026, 2, 26, tzinfo=BEIJING)  # 14 (Sat), 24, 25


def test_ordinary_weeks_skip_weekends_only():
    end = add_working_days(_beijing(2026, 11, 27, 10, 0), 5)
    assert end.astimezone(BEIJING) == datetime(2026, 12, 5, tzinfo=BEIJING)


def test_a_year_the_calendar_does_not_know_falls_back_to_weekends_and_warns():
    unknown_year = calendar.KNOWN_YEARS.stop
    start = _beijing(unknown_year, 1, 4, 10, 0)
    assert not calendar.calendar_knows(start.date())
    expected_days = [d for d in range(5, 20) if date(unknown_year, 1, d).weekday() < 5][:3]
    end = add_working_days(start, 3)
    assert end.astimezone(BEIJING).date() == date(unknown_year, 1, expected_days[-1] + 1)
    warning = str(working_days_warning(start, 3))
    assert str(unknown_year) in warning and "weekends" in warning
    # A period that starts in a known year but runs into an unknown one warns too.
    assert working_days_warning(_beijing(unknown_year - 1, 12, 30, 10, 0), 5) is not None


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        add_working_days(_beijing(2026, 11, 27, 10, 0), -1)
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 11, 27, 10, 0), 1)
