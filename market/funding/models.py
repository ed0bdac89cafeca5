"""Pledges from pools to projects and donation-matching campaigns."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.funds.models import FundingPool
    from market.projects.models import Project


class PledgeStatus(LabelledEnum):
    ACTIVE = "pledged", _l("Pledged")  # reserved from the pool, counted towards the project's goal
    RELEASED = "released_to_project", _l("Released to the project")  # paid into the project's funds
    WITHDRAWN = "withdrawn", _l("Withdrawn")  # returned to the pool before it was released


PLEDGE_TRANSITIONS: dict[PledgeStatus, frozenset[PledgeStatus]] = {
    PledgeStatus.ACTIVE: frozenset({PledgeStatus.RELEASED, PledgeStatus.WITHDRAWN}),
    PledgeStatus.RELEASED: frozenset(),
    PledgeStatus.WITHDRAWN: frozenset(),
}


class Pledge(Stateful, TimestampMixin, Base):
    """Money a funder reserves from one of its pools for a specific project."""

    __tablename__ = "pledges"
    __transitions__ = PLEDGE_TRANSITIONS
    __state_noun__ = "pledge"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("funding_pools.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PledgeStatus] = mapped_column(EnumText(PledgeStatus, 20), default=PledgeStatus.ACTIVE, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    pledged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pledged_at: Mapped[datetime] = mapped_column(AwareDateTime())
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    pool: Mapped[FundingPool] = relationship()
    project: Mapped[Project] = relationship()
    pledged_by: Mapped[User] = relationship(foreign_keys=[pledged_by_id])

    def policy_scope(self) -> Scope:
        """A pledge is its funder's decision, about a project of some street."""
        return Scope(street_id=self.project.street_id, district_id=self.project.district_id, org_id=self.pool.funder_id)


class MatchingRule(LabelledEnum):
    ONE_TO_ONE = "one_to_one", _l("1:1 match up to a cap")  # every donation matched 1:1 until the campaign's money runs out
    QUADRATIC = "quadratic", _l("Quadratic funding")  # quadratic funding: many small donations attract more


class CampaignStatus(LabelledEnum):
    OPEN = "open", _l("Open")  # money reserved; donations in the period count
    CLOSED = "closed", _l("Closed")  # allocation computed and paid to the projects
    CANCELLED = "cancelled", _l("Cancelled")  # money returned to the pool


CAMPAIGN_TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED, CampaignStatus.CANCELLED}),
    CampaignStatus.CLOSED: frozenset(),
    CampaignStatus.CANCELLED: frozenset(),
}

campaign_projects = Table(
    "matching_campaign_projects",
    Base.metadata,
    Column("campaign_id", ForeignKey("matching_campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("projects.id"), primary_key=True),
)


class MatchingCampaign(Stateful, Localized, TimestampMixin, Base):
    """A funder matches donations to chosen projects during a period, from money reserved in a pool."""

    __tablename__ = "matching_campaigns"
    __transitions__ = CAMPAIGN_TRANSITIONS
    __state_noun__ = "campaign"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("matched_cents >= 0 AND matched_cents <= amount_cents", name="matched_within_amount"),
        CheckConstraint("ends_at > starts_at", name="period_ordered"),
        CheckConstraint("per_donor_cap_cents IS NULL OR per_donor_cap_cents > 0", name="donor_cap_positive"),
        CheckConstraint("per_project_cap_cents IS NULL OR per_project_cap_cents > 0", name="project_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("funding_pools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[MatchingRule] = mapped_column(EnumText(MatchingRule, 20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # reserved from the pool at creation
    per_donor_cap_cents: Mapped[int | None] = mapped_column(BigInteger)
    per_project_cap_cents: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime())
    ends_at: Mapped[datetime] = mapped_column(AwareDateTime())
    status: Mapped[CampaignStatus] = mapped_column(EnumText(CampaignStatus, 20), default=CampaignStatus.OPEN, index=True)
    matched_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    pool: Mapped[FundingPool] = relationship()
    projects: Mapped[list[Project]] = relationship(secondary=campaign_projects, order_by="Project.id")
    allocations: Mapped[list[CampaignAllocation]] = relationship(
        back_populates="campaign", order_by="CampaignAllocation.project_id", cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        """A campaign belongs to its pool's funder and runs district-wide."""
        return Scope(district_id=self.pool.funder.district_key, org_id=self.pool.funder_id, public=True)

    def is_running(self, now: datetime) -> bool:
        return self.status == CampaignStatus.OPEN and self.starts_at <= now < self.ends_at


class CampaignAllocation(Base):
    """What one project received when its campaign closed, and why."""

    __tablename__ = "campaign_allocations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "project_id"),
        CheckConstraint("match_cents >= 0", name="match_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("matching_campaigns.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    donations: Mapped[int] = mapped_column(Integer, default=0)
    contributors: Mapped[int] = mapped_column(Integer, default=0)
    donated_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    match_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")

    campaign: Mapped[MatchingCampaign] = relationship(back_populates="allocations")
    project: Mapped[Project] = relationship()
