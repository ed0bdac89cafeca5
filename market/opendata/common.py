"""What both exports share: money in yuan, ISO 8601 times in Beijing time, paging, responses."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from flask import Response, current_app, url_for

from market.core.calendar import BEIJING
from market.ui.listing import MAX_PER_PAGE, parse_listing_args

DEFAULT_PER_PAGE = MAX_PER_PAGE


def currency() -> str:
    """ISO 4217 code of every amount (the marketplace keeps one currency, in minor units)."""
    return (current_app.config.get("CURRENCY") or "cny").upper()


def yuan(cents: int) -> int | float:
    """Integer minor units (fen) as a JSON number in major units (yuan), as OCDS and 360Giving want.

    Whole yuan stay integers; otherwise ``cents / 100`` is the double nearest to the exact
    two-decimal amount, which JSON writes back as exactly that decimal (amounts below 10^13 yuan).

    >>> yuan(28_000_000), yuan(12_345), yuan(1), yuan(0)
    (280000, 123.45, 0.01, 0)
    """
    cents = int(cents)
    return cents // 100 if cents % 100 == 0 else cents / 100


def yuan_text(cents: int) -> str:
    """Exact decimal text for CSV cells: ``12345`` → ``123.45``."""
    cents = int(cents)
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def cents_of(amount: int | float | None) -> int:
    """Back from a yuan JSON number to integer fen (for sums in the CSV)."""
    return round(float(amount or 0) * 100)


def value(cents: int) -> dict[str, Any]:
    return {"amount": yuan(cents), "currency": currency()}


def iso(moment: datetime | None) -> str | None:
    """An aware timestamp as ISO 8601 in Beijing time: ``2026-12-01T10:00:00+08:00``."""
    if moment is None:
        return None
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` at the site's configured address (``MARKET_BASE_URL``), never
    at whatever Host a request claimed: exports are cached and their links followed by other tools."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def day_start(day: date | None) -> str | None:
    """A calendar date as the date-time its day starts in Beijing (the standards want date-times)."""
    return None if day is None else datetime.combine(day, time(0, 0, 0), BEIJING).isoformat()


def day_end(day: date | None) -> str | None:
    return None if day is None else datetime.combine(day, time(23, 59, 59), BEIJING).isoformat()


def parse_page_args(args: Mapping[str, str], default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """``page`` and ``per_page`` checked like every listing; bad values raise ValidationFailed (400)."""
    listing = parse_listing_args({name: args[name] for name in ("page", "per_page") if name in args},
                                 default_per_page=default_per_page)
    return listing.page, listing.per_page


def page_links(endpoint: str, page: int, per_page: int, total: int) -> dict[str, str]:
    """``links.next`` / ``links.prev`` as in OCDS's pagination convention (absolute URLs)."""
    links = {}
    if page * per_page < total:
        links["next"] = public_url(endpoint, page=page + 1, per_page=per_page)
    if page > 1:
        links["prev"] = public_url(endpoint, page=min(page - 1, max(1, -(-total // per_page))), per_page=per_page)
    return links


def json_response(document: dict[str, Any], links: Mapping[str, str] | None = None) -> Response:
    """UTF-8 JSON with Chinese left readable (not ``\\u`` escaped); ``links`` (``next``, ``prev``)
    go in an RFC 8288 ``Link`` header."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, mimetype="application/json")
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    return response


def publisher() -> dict[str, Any]:
    return {"name": current_app.config.get("OPEN_DATA_PUBLISHER") or "Social Resource Exchange, Futian District",
            "uri": public_url("web.index")}


def license_url() -> str | None:
    """The licence of the data, when the deployment has chosen one (``OPEN_DATA_LICENSE``)."""
    return current_app.config.get("OPEN_DATA_LICENSE") or None
