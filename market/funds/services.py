"""Funding-pool operations. Every change of a pool's money is an audit event."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from market.accounts.models import Role, User
from market.audit.services import record
from market.db import db
from market.errors import PermissionDenied, ValidationFailed
from market.funds.models import FundingPool, pool_categories
from market.geo.models import Category, Street
from market.money import money
from market.orgs.models import OrgKind
from market.web.listing import ListingArgs, Page, parse_listing_args, run_listing

POOL_SORTS = {
    "remaining_desc": (FundingPool.remaining_cents.desc(), FundingPool.id),
    "total_desc": (FundingPool.total_cents.desc(), FundingPool.id),
    "name": (FundingPool.name, FundingPool.id),
    "newest": (FundingPool.created_at.desc(), FundingPool.id.desc()),
}
FUNDER_KINDS = (OrgKind.FOUNDATION, OrgKind.ENTERPRISE, OrgKind.GOVERNMENT)


def parse_pool_listing(args) -> ListingArgs:
    return parse_listing_args(args, int_filters=("category_id", "street_id", "funder_id", "min_remaining"),
                              choice_filters={"open": ["1", "0"]}, sorts=tuple(POOL_SORTS))


def filtered_pools(filters: dict[str, Any]) -> Select:
    stmt = select(FundingPool)
    if "open" in filters:
        stmt = stmt.where(FundingPool.is_open == (filters["open"] == "1"))
    if "funder_id" in filters:
        stmt = stmt.where(FundingPool.funder_id == filters["funder_id"])
    if "min_remaining" in filters:
        stmt = stmt.where(FundingPool.remaining_cents >= filters["min_remaining"] * 100)
    if "category_id" in filters:
        # A pool with no focus categories funds every category.
        focused = select(pool_categories.c.funding_pool_id)
        stmt = stmt.where(FundingPool.focus_categories.any(Category.id == filters["category_id"])
                          | FundingPool.id.not_in(focused))
    if "street_id" in filters:
        stmt = stmt.where(FundingPool.streets.any(Street.id == filters["street_id"]) | ~FundingPool.streets.any())
    return stmt


def list_pools(listing: ListingArgs) -> Page[FundingPool]:
    return run_listing(FundingPool, filtered_pools(listing.filters), listing,
                       order_by=POOL_SORTS.get(listing.sort or "remaining_desc"),
                       text_columns=(FundingPool.name, FundingPool.name_en,
                                     FundingPool.description, FundingPool.description_en),
                       search_scope=filtered_pools({}),
                       load_options=(selectinload(FundingPool.funder), selectinload(FundingPool.focus_categories)))


@dataclass(frozen=True)
class PoolInput:
    name: str
    total_cents: int
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    year: int | None = None
    max_grant_cents: int | None = None
    max_share_percent: int = 100
    is_open: bool = True
    category_ids: tuple[int, ...] = field(default_factory=tuple)
    street_ids: tuple[int, ...] = field(default_factory=tuple)


def can_manage(actor: User, pool: FundingPool) -> bool:
    return actor.role == Role.ADMIN or (actor.organization_id is not None and actor.organization_id == pool.funder_id)


def _check(data: PoolInput) -> None:
    errors: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = _l("A name is required.")
    if data.total_cents <= 0:
        errors["total"] = _l("The pool needs money: more than zero.")
    if data.max_grant_cents is not None and data.max_grant_cents <= 0:
        errors["max_grant"] = _l("Leave empty for no limit, or give an amount above zero.")
    if not 1 <= data.max_share_percent <= 100:
        errors["max_share_percent"] = _l("Between 1 and 100 per cent.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _apply(pool: FundingPool, data: PoolInput) -> None:
    for name in ("name", "name_en", "description", "description_en", "year", "max_grant_cents",
                 "max_share_percent", "is_open"):
        setattr(pool, name, getattr(data, name))
    pool.focus_categories = list(db.session.scalars(select(Category).where(Category.id.in_(data.category_ids))))
    pool.streets = list(db.session.scalars(select(Street).where(Street.id.in_(data.street_ids))))


def create_pool(actor: User, data: PoolInput) -> FundingPool:
    """A funder member opens a pool for their (foundation, enterprise or government) organisation."""
    org = actor.organization
    if org is None or org.kind not in FUNDER_KINDS or actor.role not in (Role.FUNDER, Role.OFFICIAL, Role.ADMIN):
        raise PermissionDenied(_l("Only members of a funding organisation can open a pool."))
    _check(data)
    pool = FundingPool(funder_id=org.id, total_cents=data.total_cents, remaining_cents=data.total_cents)
    _apply(pool, data)
    db.session.add(pool)
    db.session.flush()
    record(actor, "pool.created", pool, after={"total_cents": pool.total_cents, "remaining_cents": pool.remaining_cents})
    return pool


def update_pool(actor: User, pool: FundingPool, data: PoolInput) -> FundingPool:
    """Edit a pool. The total can change, but never below what is already committed."""
    if not can_manage(actor, pool):
        raise PermissionDenied(_l("You cannot manage this pool."))
    _check(data)
    # Approvals and payments change the remaining money at any moment: read it under the row lock.
    pool = db.session.get(FundingPool, pool.id, with_for_update=True, populate_existing=True)
    committed = pool.total_cents - pool.remaining_cents
    if data.total_cents < committed:
        raise ValidationFailed(_l("The total cannot go below the amount already committed."),
                               fields={"total": _l("At least %(amount)s.", amount=money(committed))})
    before = {"total_cents": pool.total_cents, "remaining_cents": pool.remaining_cents, "is_open": pool.is_open}
    pool.remaining_cents += data.total_cents - pool.total_cents
    pool.total_cents = data.total_cents
    _apply(pool, data)
    record(actor, "pool.updated", pool, before=before,
           after={"total_cents": pool.total_cents, "remaining_cents": pool.remaining_cents, "is_open": pool.is_open})
    return pool
