"""Funding-pool operations: declaring pools and reading where their money went.

Money enters a pool only through the ledger (a confirmed appropriation or top-up, see
:mod:`market.payments.services`); declaring or editing a pool changes only what the funder
intends to put in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from market.accounts.models import User
from market.core import ledger, policy
from market.core.audit import record
from market.core.db import db
from market.core.errors import PermissionDenied, ValidationFailed
from market.funds.models import POOL_SEARCH, FundingPool, pool_categories
from market.geo.models import Category, Street
from market.orgs.models import OrgKind
from market.projects.models import Project
from market.ui.listing import ListingArgs, Page, parse_listing_args, run_listing

POOL_SORTS = {
    "remaining_desc": (FundingPool.remaining_cents.desc(), FundingPool.id),
    "total_desc": (FundingPool.received_cents.desc(), FundingPool.id),
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
                       order_by=POOL_SORTS.get(listing.sort or "remaining_desc"), search=POOL_SEARCH,
                       load_options=(selectinload(FundingPool.funder), selectinload(FundingPool.focus_categories)))


@dataclass(frozen=True)
class PoolInput:
    name: str
    declared_cents: int
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
    return policy.can(actor, "pool.manage", pool)


def _check(data: PoolInput) -> None:
    errors: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = _l("A name is required.")
    if data.declared_cents <= 0:
        errors["total"] = _l("Say how much the pool is meant to hold: more than zero.")
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
    """A funder member opens a pool for their (foundation, enterprise or government) organisation.

    The pool starts empty: its declared total is an intention until money arrives.
    """
    policy.require(actor, "pool.create")
    org = actor.organization
    if org is None or org.kind not in FUNDER_KINDS:
        raise PermissionDenied(_l("Only members of a funding organisation can open a pool."))
    _check(data)
    pool = FundingPool(funder_id=org.id, declared_cents=data.declared_cents, received_cents=0, remaining_cents=0)
    _apply(pool, data)
    db.session.add(pool)
    db.session.flush()
    record(actor, "pool.created", pool, after={"declared_cents": pool.declared_cents, "name": pool.name,
                                               "max_grant_cents": pool.max_grant_cents,
                                               "max_share_percent": pool.max_share_percent})
    return pool


def update_pool(actor: User, pool: FundingPool, data: PoolInput) -> FundingPool:
    """Edit a pool's description, rules and declared total; its money changes only through the ledger."""
    policy.require(actor, "pool.manage", pool)
    _check(data)
    before = {"declared_cents": pool.declared_cents, "is_open": pool.is_open, "max_grant_cents": pool.max_grant_cents,
              "max_share_percent": pool.max_share_percent}
    pool.declared_cents = data.declared_cents
    _apply(pool, data)
    record(actor, "pool.updated", pool, before=before,
           after={"declared_cents": pool.declared_cents, "is_open": pool.is_open,
                  "max_grant_cents": pool.max_grant_cents, "max_share_percent": pool.max_share_percent})
    return pool


@dataclass(frozen=True)
class AllocationLine:
    """Where some of a pool's received money went (or is held)."""

    movement: ledger.Movement
    counterparty: ledger.AccountRef
    amount_cents: int  # net: out of the pool less what came back
    project: Project | None = None


@dataclass(frozen=True)
class AllocationSummary:
    """The allocation lines of one kind: how many, and how much together."""

    movement: ledger.Movement
    count: int
    amount_cents: int


def summarise(lines: list[AllocationLine]) -> list[AllocationSummary]:
    """The lines by kind, largest first; the amounts add up to the same allocated figure."""
    totals: dict[ledger.Movement, list[int]] = {}
    for line in lines:
        entry = totals.setdefault(line.movement, [0, 0])
        entry[0] += 1
        entry[1] += line.amount_cents
    return sorted((AllocationSummary(movement, count, amount) for movement, (count, amount) in totals.items()),
                  key=lambda s: (-s.amount_cents, s.movement.value))


def allocation_lines(pool: FundingPool) -> list[AllocationLine]:
    """The pool's allocated money, by where it went: lines that add up to ``pool.allocated_cents``.

    Money that came back (a withdrawn pledge, a released reservation, a campaign's leftover) is
    netted against the line it came back from.
    """
    ref = ledger.pool(pool.id)
    back = {ledger.Movement.PLEDGE_WITHDRAWAL: ledger.Movement.PLEDGE,
            ledger.Movement.COMMITMENT_RELEASE: ledger.Movement.COMMITMENT,
            ledger.Movement.CAMPAIGN_RETURN: ledger.Movement.CAMPAIGN_RESERVE}
    net: dict[tuple[ledger.Movement, ledger.AccountRef], int] = {}
    projects: dict[ledger.AccountRef, int | None] = {}
    for transfer, amount in ledger.transfers_of(ref):
        movement = ledger.Movement(transfer.movement)
        other = ledger.counterparties(transfer, ref)[0]
        if other.kind == ledger.AccountKind.OUTSIDE:
            continue  # money received (appropriations, top-ups, an opening balance) or paid back: not allocated
        key = (back.get(movement, movement), other)
        net[key] = net.get(key, 0) - amount
        projects.setdefault(other, transfer.project_id)
    titles = {p.id: p for p in db.session.scalars(select(Project).where(
        Project.id.in_({pid for pid in projects.values() if pid is not None})))}
    return [AllocationLine(movement, other, amount, titles.get(projects.get(other)))
            for (movement, other), amount in net.items() if amount]
