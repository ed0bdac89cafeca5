"""Publication details of a tender (requirements, scoring criteria, lots) and sealed bids."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful
from market.geo.models import ProjectType

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.geo.models import Category, District
    from market.orgs.models import Organization
    from market.projects.models import Project


class ProcurementMethod(LabelledEnum):
    """The procurement methods of government-purchased services; each brings its own rules (see services)."""

    OPEN_TENDER = "open_tender", _l("Open tender")  # 公开招标
    INVITED_TENDER = "invited_tender", _l("Invited tender")  # 邀请招标
    COMPETITIVE_NEGOTIATION = "competitive_negotiation", _l("Competitive negotiation")  # 竞争性谈判
    COMPETITIVE_CONSULTATION = "competitive_consultation", _l("Competitive consultation")  # 竞争性磋商
    REQUEST_FOR_QUOTATION = "request_for_quotation", _l("Request for quotation")  # 询价
    SINGLE_SOURCE = "single_source", _l("Single source")  # 单一来源
    DIRECT_COMMISSION = "direct_commission", _l("Direct commission")  # 直接委托


class Tender(Localized, TimestampMixin, Base):
    """What a published project asks of bidders, and the record of the bids' opening.

    ``criteria`` is the published scoring method: a list of ``{"name", "name_en", "weight"}``
    whose weights sum to 100.
    """

    __tablename__ = "tenders"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    requirements: Mapped[str] = mapped_column(Text, default="")
    requirements_en: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_bid_count: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[ProcurementMethod] = mapped_column(EnumText(ProcurementMethod, 30),
                                                      default=ProcurementMethod.OPEN_TENDER)
    # Public: why a single source, or why the method was switched after a failed round.
    method_reason: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # Each re-publication after a failed round starts a new round (and a new opening record).
    round: Mapped[int] = mapped_column(Integer, default=1)
    failed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    # Single source: no award before the end of the public notice of the chosen supplier.
    notice_ends_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    project: Mapped[Project] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_opened(self) -> bool:
        return self.opened_at is not None

    @property
    def has_failed(self) -> bool:
        return self.failed_at is not None


class Lot(Localized, Base):
    """One lot (标段) of a split project; each lot is awarded to its own provider."""

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        CheckConstraint("budget_cents > 0", name="budget_positive"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    # What the lot buys (服务/货物/工程); None: the same as the project.
    project_type: Mapped[ProjectType | None] = mapped_column(EnumText(ProjectType, 20))

    project: Mapped[Project] = relationship()
    category: Mapped[Category | None] = relationship()

    @property
    def effective_type(self) -> ProjectType:
        """What the lot buys: its own type, or the project's."""
        return self.project_type if self.project_type is not None else self.project.project_type


class BidStatus(LabelledEnum):
    SUBMITTED = "submitted", _l("Submitted (sealed)")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    AWARDED = "awarded", _l("Won")
    NOT_AWARDED = "not_awarded", _l("Not chosen")


BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.SUBMITTED: frozenset({BidStatus.WITHDRAWN, BidStatus.AWARDED, BidStatus.NOT_AWARDED}),
    BidStatus.WITHDRAWN: frozenset({BidStatus.SUBMITTED}),
    # An award cancelled after an upheld objection puts the bids back in the running.
    BidStatus.AWARDED: frozenset({BidStatus.SUBMITTED}),
    BidStatus.NOT_AWARDED: frozenset({BidStatus.SUBMITTED}),
}


class Bid(Stateful, TimestampMixin, Base):
    """A provider's sealed offer for a project or one of its lots.

    Before the deadline nobody but the bidding organisation may see it; the audit trail only
    holds ``seal`` (a random reference) and a SHA-256 commitment of the content salted with
    ``seal_nonce``, revealed when the bids are opened.
    """

    __tablename__ = "bids"
    __transitions__ = BID_TRANSITIONS
    __state_noun__ = "bid"
    __table_args__ = (
        # One bid per organisation per project (lot_seq 0) or per lot (its seq).
        UniqueConstraint("project_id", "lot_seq", "organization_id"),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    lot_seq: Mapped[int] = mapped_column(Integer, default=0)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    proposal: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[BidStatus] = mapped_column(EnumText(BidStatus, 20), default=BidStatus.SUBMITTED, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    revised_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    seal: Mapped[str] = mapped_column(String(32), unique=True)
    seal_nonce: Mapped[str] = mapped_column(String(64))

    project: Mapped[Project] = relationship()
    lot: Mapped[Lot | None] = relationship()
    organization: Mapped[Organization] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    def policy_scope(self) -> Scope:
        """A bid stands in its project's street; its bidder is its member organisation."""
        return Scope(street_id=self.project.street_id, district_id=self.project.district_id, org_id=self.organization_id)

    attachments: Mapped[list[BidAttachment]] = relationship(back_populates="bid", order_by="BidAttachment.id",
                                                            cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.status != BidStatus.WITHDRAWN


class BidAttachment(Base):
    """A file attached to a bid, stored under the instance folder (never in ``static``)."""

    __tablename__ = "bid_attachments"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    bid: Mapped[Bid] = relationship(back_populates="attachments")

    def policy_scope(self) -> Scope:
        return self.bid.policy_scope()


class ProcurementSettings(Base):
    """A district's procurement thresholds; a district without a row uses the defaults."""

    __tablename__ = "procurement_settings"
    __table_args__ = (
        CheckConstraint("direct_commission_max_cents >= 0", name="threshold_non_negative"),
        CheckConstraint("single_source_notice_days BETWEEN 1 AND 30", name="notice_days_range"),
        CheckConstraint("clarification_days BETWEEN 1 AND 30", name="clarification_days_range"),
    )

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True)
    # Direct commission only for budgets below this amount.
    direct_commission_max_cents: Mapped[int] = mapped_column(BigInteger)
    single_source_notice_days: Mapped[int] = mapped_column(Integer)
    # An answer published this close to the deadline moves it to this many working days after it.
    clarification_days: Mapped[int] = mapped_column(Integer)
    # Project numbers of departments without a code of their own start with this.
    number_prefix: Mapped[str] = mapped_column(String(12), default="")
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    district: Mapped[District] = relationship()


class ProjectNumberCounter(Base):
    """The last sequence number given per number prefix and year (locked while the next is taken)."""

    __tablename__ = "project_number_counters"
    __table_args__ = (CheckConstraint("last_seq >= 0", name="last_seq_non_negative"),)

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class TenderInvitation(Base):
    """An organisation invited to bid (invited tender) or named as the single source."""

    __tablename__ = "tender_invitations"
    __table_args__ = (UniqueConstraint("project_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


class TenderDocument(Base):
    """A tender document (招标文件) officials publish for download, stored under the instance folder."""

    __tablename__ = "tender_documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        """Anyone may download it once the project is published; before, its officials only."""
        from market.projects.models import ProjectStatus

        return Scope(street_id=self.project.street_id, district_id=self.project.district_id, public=self.project.status != ProjectStatus.DRAFT)


class Clarification(Base):
    """A question (澄清/答疑) asked privately by a provider, and its answer, published to all at once.

    An official may also publish a clarification nobody asked for (``asked_by_id`` None).
    """

    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    question: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    # The deadline this answer moved the tender's deadline to, if it did.
    deadline_extended_to: Mapped[datetime | None] = mapped_column(AwareDateTime())

    project: Mapped[Project] = relationship()

    def policy_scope(self) -> Scope:
        """The asking organisation and the project's officials; everyone once published."""
        return Scope(street_id=self.project.street_id, district_id=self.project.district_id, org_id=self.organization_id,
                     public=self.published_at is not None)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class BidOpening(Base):
    """The public record of one opening (开标记录): who opened, when, each bid and each withdrawal.

    ``entries``: ``{"organization_id", "name", "name_en", "lot_seq", "price_cents" (None when
    withdrawn), "submitted_at", "withdrawn_at"}``, written once, when the bids are opened. Late
    bids refused in the round are :class:`LateBidAttempt` rows, shown with it.
    """

    __tablename__ = "bid_openings"
    __table_args__ = (UniqueConstraint("tender_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    method: Mapped[ProcurementMethod] = mapped_column(EnumText(ProcurementMethod, 30))
    deadline: Mapped[datetime] = mapped_column(AwareDateTime())
    opened_at: Mapped[datetime] = mapped_column(AwareDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    valid_bid_count: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    failure_reason: Mapped[str] = mapped_column(Text, default="")

    tender: Mapped[Tender] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])


class LateBidAttempt(Base):
    """A bid refused because it came after the deadline: shown in the opening record."""

    __tablename__ = "late_bid_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attempted_at: Mapped[datetime] = mapped_column(AwareDateTime())

    organization: Mapped[Organization] = relationship()
