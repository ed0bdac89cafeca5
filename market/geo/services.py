"""Look-ups for geography and categories, shaped for form choices and filters."""
from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import contains_eager

from market.core import policy
from market.core.cache import TTLCache
from market.core.db import db
from market.geo.models import Category, Community, District, Street

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


def district_choices() -> list[tuple[int, str]]:
    locale = _locale()
    return choices.get((str(db.engine.url), "districts", locale), lambda: [
        (d.id, d.tr("name", locale)) for d in db.session.scalars(select(District).order_by(District.id))])


def category_choices() -> list[tuple[int, str]]:
    locale = _locale()
    return choices.get((str(db.engine.url), "categories", locale), lambda: [
        (c.id, c.tr("name", locale)) for c in db.session.scalars(select(Category).order_by(Category.sort_order))])


def categories_by_code() -> dict[str, Category]:
    return {c.code: c for c in db.session.scalars(select(Category))}


def district_of_street(street_id: int | None) -> int | None:
    """The district ``street_id`` lies in (None for no street)."""
    if street_id is None:
        return None
    street = db.session.get(Street, street_id)
    return street.district_id if street is not None else None


def only_district_id() -> int | None:
    """The district of an installation that serves one (None when there are several, or none)."""
    ids = db.session.scalars(select(District.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def streets_of(district_id: int) -> Any:
    """A sub-query: the ids of the streets of ``district_id``."""
    return select(Street.id).where(Street.district_id == district_id).scalar_subquery()


def jurisdiction(actor: Any, street_column: Any, district_column: Any = None) -> ColumnElement[bool] | None:
    """The SQL condition for rows ``actor``'s lists show: a street official's street; a district-wide
    official's district (rows in its streets, or naming it in ``district_column``); None for administrators
    and everyone else, whose lists the caller limits otherwise."""
    if actor is None:
        return None
    street = policy.street_filter(actor)
    if street is not None:
        return street_column == street  # type: ignore[no-any-return]
    district = policy.district_filter(actor)
    if district is None:
        return None
    in_streets = street_column.in_(streets_of(district))
    return or_(district_column == district, in_streets) if district_column is not None else in_streets


def limit_to_jurisdiction(stmt: Any, actor: Any, street_column: Any, district_column: Any = None) -> Any:
    """``stmt`` limited to the rows ``actor`` governs (see :func:`jurisdiction`)."""
    condition = jurisdiction(actor, street_column, district_column)
    return stmt if condition is None else stmt.where(condition)
