from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import AwareDateTime, Base, Localized, TimestampMixin
from market.geo.models import Category, Street


class OrgKind(StrEnum):
    SOCIAL_ORGANISATION = "social_organisation"
    ENTERPRISE = "enterprise"
    FOUNDATION = "foundation"
    GOVERNMENT = "government"


class VerificationState(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


organization_categories = Table(
    "organization_categories",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

organization_service_streets = Table(
    "organization_service_streets",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("street_id", ForeignKey("streets.id"), primary_key=True),
)


class Organization(Localized, TimestampMixin, Base):
    """A provider, funder or government department keeping a public profile."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("rating_grade BETWEEN 0 AND 5", name="rating_grade_range"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("full_time_staff >= 0", name="staff_non_negative"),
        CheckConstraint("office_area_m2 >= 0", name="office_area_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrgKind] = mapped_column(String(30), index=True)
    registration_date: Mapped[date | None] = mapped_column(Date)
    full_time_staff: Mapped[int] = mapped_column(Integer, default=0)
    office_area_m2: Mapped[int] = mapped_column(Integer, default=0)
    # 0 means not rated; 1..5 are the civil-affairs grades 1A..5A.
    rating_grade: Mapped[int] = mapped_column(Integer, default=0)
    capability: Mapped[str] = mapped_column(Text, default="")
    capability_en: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    home_street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    serves_whole_district: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    verification_state: Mapped[VerificationState] = mapped_column(String(20), default=VerificationState.PENDING, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    # Stripe Connect account (acct_...) that receives milestone payouts; set by the organisation's members.
    stripe_account_id: Mapped[str | None] = mapped_column(String(255))

    categories: Mapped[list[Category]] = relationship(secondary=organization_categories, order_by="Category.sort_order")
    service_streets: Mapped[list[Street]] = relationship(secondary=organization_service_streets, order_by="Street.id")
    home_street: Mapped[Street | None] = relationship(foreign_keys=[home_street_id])

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED

    @property
    def rating_label(self) -> str:
        return f"{self.rating_grade}A" if self.rating_grade else ""

    def years_registered(self, on: date) -> float:
        if self.registration_date is None:
            return 0.0
        return (on - self.registration_date).days / 365.25
