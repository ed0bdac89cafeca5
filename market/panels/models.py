"""The expert pool (专家库), panel draws, the panel's scores and the candidate notice (中标候选人公示)."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import Category

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orgs.models import Organization
    from market.projects.models import Project

expert_categories = Table(
    "expert_categories",
    Base.metadata,
    Column("expert_id", ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Expert(Localized, TimestampMixin, Base):
    """A member of the district's expert pool. Experts need no account; one may be linked."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    name_en: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200), default="")  # title or profession: 高级社工师, 注册会计师
    title_en: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The district whose pool the expert is in (its officials manage them; its panels draw them).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)

    organization: Mapped[Organization | None] = relationship()
    user: Mapped[User | None] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=expert_categories, order_by="Category.sort_order")
    employments: Mapped[list[ExpertEmployment]] = relationship(
        back_populates="expert", order_by="ExpertEmployment.started_on", cascade="all, delete-orphan")
    relationships: Mapped[list[ExpertRelationship]] = relationship(
        back_populates="expert", order_by="ExpertRelationship.id", cascade="all, delete-orphan")

    def policy_scope(self) -> Scope:
        """The pool is its district's; an expert of no district is in the whole city's pool (administrators')."""
        return Scope(district_id=self.district_id, city=self.district_id is None)


class ExpertEmployment(Base):
    """Where an expert worked, from when until when (``ended_on`` None: still there)."""

    __tablename__ = "expert_employments"
    __table_args__ = (CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)

    expert: Mapped[Expert] = relationship(back_populates="employments")
    organization: Mapped[Organization] = relationship()

    def policy_scope(self) -> Scope:
        return self.expert.policy_scope()


class ExpertRelationship(Base):
    """A relationship with an organisation the expert declared (a relative works there, a board seat...)."""

    __tablename__ = "expert_relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    expert: Mapped[Expert] = relationship(back_populates="relationships")
    organization: Mapped[Organization] = relationship()

    def policy_scope(self) -> Scope:
        return self.expert.policy_scope()


class RecordStatus(LabelledEnum):
    CURRENT = "current", _l("Current")
    SUPERSEDED = "superseded", _l("Superseded")


SUPERSEDE: dict[RecordStatus, frozenset[RecordStatus]] = {
    RecordStatus.CURRENT: frozenset({RecordStatus.SUPERSEDED}),
    RecordStatus.SUPERSEDED: frozenset(),
}


class _OfProject:
    project: Mapped[Project]

    def policy_scope(self) -> Scope:
        return Scope(street_id=self.project.street_id, district_id=self.project.district_id, public=True)


class PanelDraw(_OfProject, Stateful, Base):
    """One random draw for a tender's panel: ``chosen_ids`` is
    ``random.Random(seed).sample(eligible_ids, size)`` (``eligible_ids`` sorted); a redraw replacing
    experts keeps ``kept_ids`` and draws the rest."""

    __tablename__ = "panel_draws"
    __transitions__ = SUPERSEDE
    __state_noun__ = "panel_draw"
    __table_args__ = (UniqueConstraint("project_id", "seq"), CheckConstraint("size >= 1", name="size_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # how many were drawn (the panel is kept_ids + chosen_ids)
    seed: Mapped[str] = mapped_column(String(64))
    eligible_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    excluded: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"expert_id", "reasons": [...]}]
    chosen_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    kept_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    replaced_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    fallback_reason: Mapped[str] = mapped_column(Text, default="")  # why the whole pool was used
    reason: Mapped[str] = mapped_column(Text, default="")  # why the panel was redrawn
    status: Mapped[RecordStatus] = mapped_column(EnumText(RecordStatus, 20), default=RecordStatus.CURRENT)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()
    drawn_by: Mapped[User] = relationship()

    @property
    def member_ids(self) -> list[int]:
        return [*self.kept_ids, *self.chosen_ids]


class Evaluation(_OfProject, Stateful, Base):
    """The panel's sheets as an official recorded them: every member's score per criterion per bid."""

    __tablename__ = "panel_evaluations"
    __transitions__ = SUPERSEDE
    __state_noun__ = "evaluation"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("panel_draws.id"))
    seq: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # as published when scored
    status: Mapped[RecordStatus] = mapped_column(EnumText(RecordStatus, 20), default=RecordStatus.CURRENT)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()
    draw: Mapped[PanelDraw] = relationship()
    scores: Mapped[list[PanelScore]] = relationship(back_populates="evaluation", cascade="all, delete-orphan",
                                                    order_by="PanelScore.id")
    reasons: Mapped[list[BidReason]] = relationship(back_populates="evaluation", cascade="all, delete-orphan",
                                                    order_by="BidReason.id")


class PanelScore(Base):
    """One panel member's score (0–100) of one bid on one published criterion (its index)."""

    __tablename__ = "panel_scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "bid_id", "expert_id", "criterion"),
                      CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
                      CheckConstraint("criterion >= 0", name="criterion_index"))

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("panel_evaluations.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"))
    criterion: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")


class BidReason(Base):
    """The panel's reasons for its scores of one bid."""

    __tablename__ = "panel_bid_reasons"
    __table_args__ = (UniqueConstraint("evaluation_id", "bid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("panel_evaluations.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)

    evaluation: Mapped[Evaluation] = relationship(back_populates="reasons")


class NoticeStatus(LabelledEnum):
    PUBLISHED = "published", _l("In force")
    SUPERSEDED = "superseded", _l("Superseded by a later notice")


class CandidateNotice(_OfProject, Stateful, Base):
    """中标候选人公示: the top candidates with their scores per criterion and the panel's reasons,
    open to complaints (质疑) from bidders until ``window_ends_at``."""

    __tablename__ = "candidate_notices"
    __transitions__ = {NoticeStatus.PUBLISHED: frozenset({NoticeStatus.SUPERSEDED}),
                       NoticeStatus.SUPERSEDED: frozenset()}
    __state_noun__ = "candidate_notice"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("panel_evaluations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # [{"lot_seq", "rank", "bid_id", "organization_id", "name", "name_en", "price_cents", "total",
    #   "criteria": [{"name", "name_en", "weight", "mean"}], "reasons"}]
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    panel: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"name", "name_en", "title", "title_en"}]
    status: Mapped[NoticeStatus] = mapped_column(EnumText(NoticeStatus, 20), default=NoticeStatus.PUBLISHED)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(AwareDateTime())
    window_ends_at: Mapped[datetime] = mapped_column(AwareDateTime())

    project: Mapped[Project] = relationship()
    complaints: Mapped[list[Complaint]] = relationship(back_populates="notice", order_by="Complaint.id")


class ComplaintStatus(LabelledEnum):
    OPEN = "open", _l("Awaiting answer")
    DISMISSED = "dismissed", _l("Dismissed")
    UPHELD = "upheld", _l("Upheld")


class Complaint(Stateful, Base):
    """A bidder's complaint (质疑) about a candidate notice, answered publicly by an official."""

    __tablename__ = "candidate_complaints"
    __transitions__ = {ComplaintStatus.OPEN: frozenset({ComplaintStatus.DISMISSED, ComplaintStatus.UPHELD}),
                       ComplaintStatus.DISMISSED: frozenset(), ComplaintStatus.UPHELD: frozenset()}
    __state_noun__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("candidate_notices.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime())
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(EnumText(ComplaintStatus, 20), default=ComplaintStatus.OPEN)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    notice: Mapped[CandidateNotice] = relationship(back_populates="complaints")
    organization: Mapped[Organization] = relationship()

    def policy_scope(self) -> Scope:
        return Scope(street_id=self.notice.project.street_id, district_id=self.notice.project.district_id, org_id=self.organization_id, public=True)
