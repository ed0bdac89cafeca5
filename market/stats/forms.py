"""Reading the statistics filters from the query string (a GET form: it changes nothing)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from market.core.errors import ValidationFailed
from market.stats.period import Period, read_period

FIELDS = ("preset", "from", "to", "street", "category")


@dataclass(frozen=True)
class FilterArgs:
    period: Period
    street_id: int | None
    category_id: int | None


def _id_arg(args: Mapping[str, str], name: str, errors: dict[str, Any]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        errors[name] = _l("Choose a street from the list.") if name == "street" else _l("Choose a category from "
                                                                                          "the list.")
        return None
    return int(raw)


def read_filter_args(args: Mapping[str, str], now: datetime) -> FilterArgs:
    """The period, street and category asked for; every bad field is named in one
    :class:`ValidationFailed`."""
    errors: dict[str, Any] = {}
    street_id = _id_arg(args, "street", errors)
    category_id = _id_arg(args, "category", errors)
    period = None
    try:
        period = read_period(args, now)
    except ValidationFailed as error:
        if not errors:
            raise
        errors.update(error.fields)
    if errors or period is None:
        raise ValidationFailed(_l("Please correct the marked filters."), fields=errors)
    return FilterArgs(period, street_id, category_id)


def shown_args(args: Mapping[str, str]) -> dict[str, str]:
    """What the visitor typed, to show it again next to the messages (never more than a line each)."""
    return {name: (args.get(name) or "")[:40] for name in FIELDS}
