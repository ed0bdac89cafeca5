from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, Localized, TimestampMixin
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

