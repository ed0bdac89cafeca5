"""Look-ups for geography and categories, shaped for form choices and filters."""
from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from market.core.cache import TTLCache
from market.core.db import db
from market.geo.models import Category, Community, Street

# Streets, communities and categories change a few times a year; every listing page shows them.
choices = TTLCache(60.0)


def _locale() -> str:
    return str(get_locale() or "zh")


def street_choices() -> list[tuple[int, str]]:
    locale = _locale()
    return choices.get((str(db.engine.url), "streets", locale), lambda: [
        (s.id, s.tr("name", locale)) for s in db.session.scalars(select(Street).order_by(Street.id))])


def community_choices(street_id: int | None = None) -> list[tuple[int, str]]:
    """Communities as (id, "Street · Community") pairs, optionally of one street."""
    locale = _locale()

    def load() -> list[tuple[int, str]]:
        stmt = (select(Community).join(Community.street).options(contains_eager(Community.street))
                .order_by(Street.id, Community.id))
        if street_id:
            stmt = stmt.where(Community.street_id == street_id)
        return [(c.id, f"{c.street.tr('name', locale)} · {c.tr('name', locale)}") for c in db.session.scalars(stmt)]

    return choices.get((str(db.engine.url), "communities", locale, street_id), load)


def category_choices() -> list[tuple[int, str]]:
    locale = _locale()
    return choices.get((str(db.engine.url), "categories", locale), lambda: [
        (c.id, c.tr("name", locale)) for c in db.session.scalars(select(Category).order_by(Category.sort_order))])


def categories_by_code() -> dict[str, Category]:
    return {c.code: c for c in db.session.scalars(select(Category))}
