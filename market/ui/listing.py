"""Filtered, sorted, paginated listings shared by the pages and the JSON API."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, select

from market.core.cache import TTLCache
from market.core.db import db
from market.core.errors import ValidationFailed
from market.search.query import ranked_page, text_match
from market.search.schema import Searchable
from market.ui.security import MAX_ID

T = TypeVar("T")
MAX_PER_PAGE = 100
# Larger numbers mean nothing here (ids, yuan, pages) and overflow 64-bit columns once scaled.
MAX_INT_ARG = 10**12
AMOUNT_FILTERS = frozenset({"budget_min", "budget_max", "min_remaining"})


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class ListingArgs:
    """Validated listing parameters: the filters plus q, sort, page and per_page."""

    filters: dict[str, Any] = field(default_factory=dict)
    q: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = 20


def _int_arg(args: Mapping[str, str], name: str, errors: dict, *, minimum: int = 0,
             maximum: int = MAX_INT_ARG) -> int | None:
    raw = (args.get(name) or "").strip()
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _l("Must be a whole number.")
        return None
    if value < minimum:
        errors[name] = _l("Must be at least %(n)d.", n=minimum)
        return None
    if value > maximum:
        errors[name] = _l("Too large.")
        return None
    return value


def parse_listing_args(args: Mapping[str, str], *, int_filters: Sequence[str] = (),
                       choice_filters: Mapping[str, Sequence[str]] | None = None,
                       sorts: Sequence[str] = (), default_per_page: int = 20) -> ListingArgs:
    """Read and check query-string arguments; bad values raise ValidationFailed naming each field."""
    errors: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    for name in int_filters:
        # Ids and grades meet 32-bit columns; only amounts in yuan may be larger.
        value = _int_arg(args, name, errors, maximum=MAX_INT_ARG if name in AMOUNT_FILTERS else MAX_ID)
        if value is not None:
            filters[name] = value
    for name, allowed in (choice_filters or {}).items():
        raw = (args.get(name) or "").strip()
        if raw:
            if raw not in allowed:
                errors[name] = _l("Unknown value.")
            else:
                filters[name] = raw
    sort = (args.get("sort") or "").strip()
    if sort and sort not in sorts:
        errors["sort"] = _l("Unknown sort order.")
    page = _int_arg(args, "page", errors, minimum=1) or 1
    per_page = _int_arg(args, "per_page", errors, minimum=1) or default_per_page
    if per_page > MAX_PER_PAGE:
        errors["per_page"] = _l("At most %(n)d.", n=MAX_PER_PAGE)
    q = (args.get("q") or "").strip()[:200]
    if errors:
        raise ValidationFailed(_l("Some filters are not valid."), fields=errors)
    return ListingArgs(filters=filters, q=q, sort=sort, page=page, per_page=per_page)


# Counting a large table is most of a listing page's cost; a total a second or two old is fine
# for "N projects" and the page links. Tests turn it off.
totals = TTLCache(2.0)


def _count(stmt: Select) -> int:
    counting = select(func.count()).select_from(stmt.order_by(None).subquery())
    key = (str(db.engine.url), _literal(counting))
    return totals.get(key, lambda: db.session.scalar(counting) or 0)


# A search page for visitors (the ids found and their number) for ten seconds, as long as a client
# that wrote reads from the primary (REPLICA_FRESH_SECONDS): the same queries come again and again,
# and finding and ranking every row a query finds is most of a search's cost. Only for anonymous
# reads that a replica may serve (see market.ui.replica): a signed-in user, who may just have
# written, and a session that has written search afresh. The rows themselves are read afresh,
# through the listing's filters. MARKET_VISITOR_SEARCH_CACHE=0 turns it off; so do the tests.
searches = TTLCache(10.0, max_entries=2_000)  # a statement and 20 ids each: a few MB at most


def _literal(stmt: Select) -> str:
    return str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))


def _may_be_a_moment_old() -> bool:
    return (db.session.info.get("replica", False) and not db.session.info.get("wrote", False)
            and has_request_context() and current_user.is_anonymous
            and current_app.config.get("VISITOR_SEARCH_CACHE", True))


def run_listing(model: type, stmt: Select, listing: ListingArgs, *, order_by: Sequence[Any],
                search: Searchable | None = None, load_options: Sequence[Any] = ()) -> Page:
    """Paginate ``stmt`` in ``order_by``; with a query ``q`` (and ``search``, the model's searchable
    text), only the rows it finds, by relevance unless a sort order was chosen.

    A search is one statement: the filters, the query, the order, the page and the total.
    """
    offset = (listing.page - 1) * listing.per_page
    if listing.q and search is not None:
        def searched() -> tuple[list[int], int]:
            match = text_match(db.session, search, listing.q)
            if match is None:
                return [], 0
            found = stmt.where(match.where)
            if listing.sort:
                page = (found.with_only_columns(model.id, func.count().over()).order_by(*order_by)
                        .limit(listing.per_page).offset(offset))
            else:
                page = ranked_page(stmt, model, match, limit=listing.per_page, offset=offset)
            rows = db.session.execute(page).all()
            # Past the last page no row carries the total: count it.
            return [row[0] for row in rows], rows[0][1] if rows else (_count(found) if offset else 0)

        if _may_be_a_moment_old():
            key = (str(db.engine.url), model.__tablename__, _literal(stmt), listing.q, listing.sort, offset,
                   listing.per_page)
            ids, total = searches.get(key, searched)
            # Rows the listing no longer shows (hidden, deleted) since the search are left out.
            return Page(_rows_in_order(model, ids, load_options, stmt), total, listing.page, listing.per_page)
        ids, total = searched()
        return Page(_rows_in_order(model, ids, load_options), total, listing.page, listing.per_page)
    total = _count(stmt)
    # Ids first, rows after: a deep page then skips index entries, not whole rows.
    page_ids = list(db.session.scalars(
        stmt.with_only_columns(model.id).order_by(*order_by).limit(listing.per_page).offset(offset)))
    return Page(_rows_in_order(model, page_ids, load_options), total, listing.page, listing.per_page)


def _rows_in_order(model: type, ids: list[int], load_options: Sequence[Any], stmt: Select | None = None) -> list:
    """The rows of ``ids`` in their order; with ``stmt``, only those it still selects."""
    if not ids:
        return []
    rows = (select(model) if stmt is None else stmt.order_by(None)).where(model.id.in_(ids)).options(*load_options)
    loaded = {obj.id: obj for obj in db.session.scalars(rows).unique()}
    return [loaded[i] for i in ids if i in loaded]
