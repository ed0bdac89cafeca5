"""Jinja filters and labels shared by every template."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import request, url_for
from flask_babel import format_date, format_datetime, get_locale
from jinja2 import Environment, pass_environment
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from market.core.calendar import working_days_warning
from market.core.db import utcnow
from market.core.enums import label_of
from market.core.money import money  # noqa: F401  (the template filter)

# Chinese characters (CJK unified ideographs, extension A, compatibility ideographs).
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def page_language() -> str:
    return str(get_locale() or "zh")


def _in_language(text: str, language: str) -> Markup:
    """``text`` escaped, inside ``<span lang=...>`` when its language is not the page's."""
    if language == page_language():
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


@pass_environment
def localized(env: Environment, thing: Any, field: str, length: int | None = None) -> Markup:
    """A localized row's ``field`` in the page's language (see ``Localized.tr``), shortened to
    ``length`` characters when given. The Chinese text shown on an English page, because no English
    twin is written yet, is marked ``lang="zh"`` so that screen readers read it as Chinese."""
    language = page_language()
    text = thing.tr(field, language) or ""
    if length:
        text = do_truncate(env, text, length)
    return _in_language(text, thing.tr_language(field, language))


def as_written(text: Any) -> Markup:
    """Free text kept only as its author wrote it (a place, a name, a comment): on a page in another
    language, text with Chinese characters in it is marked ``lang="zh"``."""
    text = "" if text is None else str(text)
    if page_language() != "zh" and HAN.search(text):
        return _in_language(text, "zh")
    return escape(text)


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
