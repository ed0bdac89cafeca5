from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import AwareDateTime, Base, Localized, TimestampMixin
from market.errors import IllegalTransition
from market.geo.models import Category, Street

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
    """Money a funder sets aside. Empty focus categories or streets mean "any"."""

    __tablename__ = "funding_pools"
    __table_args__ = (
        CheckConstraint("total_cents >= 0", name="total_non_negative"),
        CheckConstraint("remaining_cents >= 0 AND remaining_cents <= total_cents", name="remaining_within_total"),
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
    total_cents: Mapped[int] = mapped_column(BigInteger)
    remaining_cents: Mapped[int] = mapped_column(BigInteger)
    max_grant_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Co-funding: the pool pays at most this share of a project's cost (100 = no requirement).
    max_share_percent: Mapped[int] = mapped_column(Integer, default=100)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    funder: Mapped[Organization] = relationship()
    focus_categories: Mapped[list[Category]] = relationship(secondary=pool_categories, order_by="Category.sort_order")
    streets: Mapped[list[Street]] = relationship(secondary=pool_streets, order_by="Street.id")

    @property
    def spent_percent(self) -> int:
        if not self.total_cents:
            return 0
        return round(100 * (self.total_cents - self.remaining_cents) / self.total_cents)



class CommitmentStatus(StrEnum):
    RESERVED = "reserved"  # set aside when an official approves a match
    PAID = "paid"  # paid out to the provider
    RELEASED = "released"  # given back to the pool (award cancelled, contract terminated)


COMMITMENT_TRANSITIONS: dict[CommitmentStatus, frozenset[CommitmentStatus]] = {
    CommitmentStatus.RESERVED: frozenset({CommitmentStatus.PAID, CommitmentStatus.RELEASED}),
    CommitmentStatus.PAID: frozenset(),
    CommitmentStatus.RELEASED: frozenset(),
}


class FundingCommitment(TimestampMixin, Base):
    """Money of one pool promised to one project (and its contract).

    Reserving takes the amount off ``FundingPool.remaining_cents`` in the same transaction;
    releasing gives it back. So for every pool, reserved + paid commitments never exceed
    ``total_cents - remaining_cents``.
    """

    __tablename__ = "funding_commitments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("funding_pools.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CommitmentStatus] = mapped_column(String(20), default=CommitmentStatus.RESERVED, index=True)
    released_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    pool: Mapped[FundingPool] = relationship()

    def transition(self, target: CommitmentStatus) -> CommitmentStatus:
        current = CommitmentStatus(self.status)
        if target not in COMMITMENT_TRANSITIONS[current]:
            raise IllegalTransition(f"A commitment cannot go from {current.value} to {target.value}.")
        self.status = target
        return current
