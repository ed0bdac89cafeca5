"""Publication details of a tender (requirements, scoring criteria, lots) and sealed bids."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, Localized, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.geo.models import Category
    from market.orgs.models import Organization
    from market.projects.models import Project


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

    project: Mapped[Project] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_opened(self) -> bool:
        return self.opened_at is not None


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

    project: Mapped[Project] = relationship()
    category: Mapped[Category | None] = relationship()


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
        return Scope(street_id=self.project.street_id, org_id=self.organization_id)

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
