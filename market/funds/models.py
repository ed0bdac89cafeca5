from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core import ledger
from market.core.db import AwareDateTime, Base, Localized, TimestampMixin
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import Category, Street
from market.search.schema import searchable

if TYPE_CHECKING:
    from market.orgs.models import Organization

pool_categories = Table(
    "funding_pool_categories",
    Base.metadata,
    Column("funding_pool_id", ForeignKey("funding_pools.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

pool_streets = Table(
    "funding_pool_streets",
    Base.metadata,
    Column("funding_pool_id", ForeignKey("funding_pools.id", ondelete="CASCADE"), primary_key=True),
    Column("street_id", ForeignKey("streets.id"), primary_key=True),
)


class FundingPool(Localized, TimestampMixin, Base):
    """Money a funder sets aside. Empty focus categories or streets mean "any".

    ``declared_cents`` is what the funder intends to put in; money counts only once it has
    arrived: ``received_cents`` (appropriations and top-ups confirmed, less refunds) and
    ``remaining_cents`` (received, less what is pledged, reserved or paid) are kept by the ledger.
    """

    __tablename__ = "funding_pools"
    __table_args__ = (
        CheckConstraint("declared_cents >= 0", name="declared_non_negative"),
        CheckConstraint("remaining_cents >= 0 AND remaining_cents <= received_cents", name="remaining_within_received"),
        CheckConstraint("max_share_percent BETWEEN 1 AND 100", name="share_range"),
        CheckConstraint("max_grant_cents IS NULL OR max_grant_cents > 0", name="max_grant_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    declared_cents: Mapped[int] = mapped_column(BigInteger)
    received_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    remaining_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    max_grant_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Co-funding: the pool pays at most this share of a project's cost (100 = no requirement).
    max_share_percent: Mapped[int] = mapped_column(Integer, default=100)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    funder: Mapped[Organization] = relationship()
    focus_categories: Mapped[list[Category]] = relationship(secondary=pool_categories, order_by="Category.sort_order")
    streets: Mapped[list[Street]] = relationship(secondary=pool_streets, order_by="Street.id")

    def policy_scope(self) -> Scope:
        """A pool belongs to its funder; it is its funder's district's, not a street's."""
        return Scope(district_id=self.funder.district_key, org_id=self.funder_id, public=True)

    @property
    def allocated_cents(self) -> int:
        """Received money that is pledged, reserved or paid out."""
        return self.received_cents - self.remaining_cents

    @property
    def allocated_percent(self) -> int:
        return round(100 * self.allocated_cents / self.received_cents) if self.received_cents else 0

    @property
    def awaited_cents(self) -> int:
        """Declared but not arrived yet."""
        return max(0, self.declared_cents - self.received_cents)


#: Names and descriptions, as the database indexes them for search.
POOL_SEARCH = searchable(FundingPool, title=(FundingPool.name, FundingPool.name_en),
                         body=(FundingPool.description, FundingPool.description_en),
                         english=(FundingPool.name_en, FundingPool.description_en))


class CommitmentStatus(LabelledEnum):
    RESERVED = "reserved", _l("Reserved")  # set aside when an official approves a match
    PAID = "paid", _l("Paid out")  # paid out to the provider
    RELEASED = "released", _l("Released to the pool")  # given back to the pool (award cancelled, contract terminated)


COMMITMENT_TRANSITIONS: dict[CommitmentStatus, frozenset[CommitmentStatus]] = {
    CommitmentStatus.RESERVED: frozenset({CommitmentStatus.PAID, CommitmentStatus.RELEASED}),
    CommitmentStatus.PAID: frozenset(),
    CommitmentStatus.RELEASED: frozenset(),
}


class FundingCommitment(Stateful, TimestampMixin, Base):
    """Money of one pool promised to one project (and its contract).

    Reserving takes the amount off ``FundingPool.remaining_cents`` in the same transaction;
    releasing gives it back. So for every pool, reserved + paid commitments never exceed
    ``total_cents - remaining_cents``.
    """

    __tablename__ = "funding_commitments"
    __transitions__ = COMMITMENT_TRANSITIONS
    __state_noun__ = "commitment"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("funding_pools.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CommitmentStatus] = mapped_column(EnumText(CommitmentStatus, 20), default=CommitmentStatus.RESERVED, index=True)
    released_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    pool: Mapped[FundingPool] = relationship()

    def policy_scope(self) -> Scope:
        return Scope(district_id=self.pool.funder.district_key, org_id=self.pool.funder_id)


ledger.register_balance_cache(ledger.AccountKind.POOL, FundingPool, "remaining_cents")
ledger.register_balance_cache(ledger.AccountKind.POOL, FundingPool, "received_cents", measure="external")
