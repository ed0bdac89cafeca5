from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core import ledger
from market.core.db import AwareDateTime, Base, Localized, TimestampMixin
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import Category, Community, ProjectType, Street
from market.search.schema import RelatedText, searchable

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orgs.models import Organization


class ProjectKind(LabelledEnum):
    GOVERNMENT_SERVICE = "government_service", _l("Government-purchased service")  # 政府购买服务
    PUBLIC_BENEFIT = "public_benefit", _l("Public-benefit project")  # 公益项目 seeking funds
    MICRO = "micro", _l("Resident micro-project")  # 民生微实事


class ProjectStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    OPEN = "open", _l("Open")  # published: open for bids or funding
    EVALUATING = "evaluating", _l("Evaluating")  # bidding closed, matching under way
    AWARDED = "awarded", _l("Awarded")  # provider and funding decided
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")  # accepted (验收)
    CANCELLED = "cancelled", _l("Cancelled")


# The project life cycle; anything not listed here is an illegal transition.
PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.OPEN, ProjectStatus.CANCELLED}),
    ProjectStatus.OPEN: frozenset({ProjectStatus.EVALUATING, ProjectStatus.AWARDED, ProjectStatus.CANCELLED}),
    ProjectStatus.EVALUATING: frozenset({ProjectStatus.OPEN, ProjectStatus.AWARDED, ProjectStatus.CANCELLED}),
    # Back to open / evaluating when an objection to the award is upheld (market.review.awards).
    ProjectStatus.AWARDED: frozenset({ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED, ProjectStatus.OPEN,
                                      ProjectStatus.EVALUATING}),
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}


class Project(Stateful, Localized, TimestampMixin, Base):
    """A public-service project; its ``status`` only moves along :data:`PROJECT_TRANSITIONS`."""

    __tablename__ = "projects"
    __transitions__ = PROJECT_TRANSITIONS
    __state_noun__ = "project"
    __table_args__ = (
        CheckConstraint("budget_cents > 0", name="budget_positive"),
        CheckConstraint("funded_cents >= 0", name="funded_non_negative"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        # The listing's sort orders, so a page of a large listing never sorts the whole table.
        Index("ix_projects_created_at", "created_at"),
        Index("ix_projects_budget_cents", "budget_cents"),
        # The public listing's default order, covering: a deep page is read from the index alone.
        Index("ix_projects_public_newest", "created_at", "id", postgresql_where=text("status <> 'draft'"),
              sqlite_where=text("status <> 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProjectKind] = mapped_column(EnumText(ProjectKind, 30), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    project_type: Mapped[ProjectType] = mapped_column(EnumText(ProjectType, 20), default=ProjectType.SERVICE)
    # Scope: a community, a whole street (community_id NULL) or the district (both NULL).
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    # The district it belongs to: its street's, or (without a street) the district of whoever created it.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    # Money is kept in integer minor units (fen for CNY).
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    funded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    bid_deadline: Mapped[datetime | None] = mapped_column(AwareDateTime())
    min_rating_grade: Mapped[int] = mapped_column(Integer, default=0)
    min_years_registered: Mapped[int] = mapped_column(Integer, default=0)
    min_staff: Mapped[int] = mapped_column(Integer, default=0)
    min_office_area_m2: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(EnumText(ProjectStatus, 20), default=ProjectStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The procurement number (e.g. FTMZ-2027-0012), given when the tender is published.
    number: Mapped[str | None] = mapped_column(String(32), unique=True)

    category: Mapped[Category] = relationship()
    street: Mapped[Street | None] = relationship()
    community: Mapped[Community | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])

    def policy_scope(self) -> Scope:
        """A project stands in its street and community; drafts are visible to their owners only."""
        return Scope(street_id=self.street_id, district_id=self.district_id, community_id=self.community_id,
                     org_id=self.organization_id, user_id=self.owner_id, public=self.status != ProjectStatus.DRAFT)

    @property
    def funding_percent(self) -> int:
        return min(100, round(100 * self.funded_cents / self.budget_cents)) if self.budget_cents else 0


ledger.register_balance_cache(ledger.AccountKind.PROJECT, Project, "funded_cents")
#: Titles, descriptions and the category's names, as the database indexes them for search.
PROJECT_SEARCH = searchable(Project, title=(Project.title, Project.title_en),
                            body=(Project.description, Project.description_en),
                            english=(Project.title_en, Project.description_en),
                            related=RelatedText(Project.category_id, Category.id, (Category.name, Category.name_en)))
