"""Jinja filters and labels shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import request, url_for
from flask_babel import format_date, format_datetime

from market.core.calendar import working_days_warning
from market.core.db import utcnow
from market.core.enums import label_of
from market.core.money import money  # noqa: F401  (the template filter)


def enum_label(value: Any) -> str:
    """Translated label of an enum member (or the value itself when it has none)."""
    return label_of(value)


def date_label(value: date | None) -> str:
    return format_date(value, "medium") if value else ""


def datetime_label(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def page_url(page: int) -> str:
    """The current listing URL with ``page`` replaced, keeping every filter."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def working_days_note(days: Any) -> str:
    """The warning for a notice of ``days`` working days starting now, when the official holiday
    calendar does not cover it (empty otherwise), shown under the field where officials type it."""
    try:
        count = int(days)
    except (TypeError, ValueError):
        return ""
    if not 0 <= count <= 366:
        return ""
    warning = working_days_warning(utcnow(), count)
    return str(warning) if warning else ""
