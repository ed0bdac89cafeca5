"""Money in (payment orders: donations and pool top-ups), money out (payouts for
milestones) and the Stripe webhook events already seen."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import AwareDateTime, Base, TimestampMixin, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.policy import Scope
from market.core.state import Stateful

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.contracts.models import Milestone
    from market.funds.models import FundingPool
    from market.orgs.models import Organization
    from market.projects.models import Project


class PaymentPurpose(LabelledEnum):
    DONATION = "donation", _l("Donation")  # a resident or firm gives to a public-benefit project
    POOL_TOPUP = "pool_topup", _l("Pool top-up")  # a funder adds money to its pool
    APPROPRIATION = "appropriation", _l("Budget appropriation")  # a government department funds its pool


class PaymentMethod(LabelledEnum):
    STRIPE_CHECKOUT = "stripe_checkout", _l("Online payment (Stripe)")  # card, Alipay, WeChat Pay through Stripe Checkout
    BANK_TRANSFER = "bank_transfer", _l("Bank transfer")  # offline: confirmed by the district finance office
    TREASURY = "treasury", _l("Treasury transfer")  # an appropriation, confirmed by another official of the department


class PaymentStatus(LabelledEnum):
    PENDING = "awaiting_payment", _l("Awaiting payment")  # waiting for Stripe or for the bank transfer
    PAID = "received", _l("Received")  # money received and counted
    EXPIRED = "expired", _l("Expired unpaid")  # the Checkout session expired unpaid
    FAILED = "payment_failed", _l("Failed")  # the payment or the call to Stripe failed
    CANCELLED = "not_received", _l("Not received")  # an official recorded that the transfer never arrived
    REFUNDED = "refunded", _l("Refunded")  # counted, then paid back to the payer


# A paid completion after an expiry or failure still counts: the payment provider's word wins.
# Counted money leaves again only by a refund (a ledger movement back out).
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.FAILED,
                                      PaymentStatus.CANCELLED}),
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.CANCELLED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}


class PaymentOrder(Stateful, TimestampMixin, Base):
    """Money someone means to pay in: a donation to a project or a top-up of a pool."""

    __tablename__ = "payment_orders"
    __transitions__ = PAYMENT_TRANSITIONS
    __state_noun__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(purpose = 'donation' AND project_id IS NOT NULL AND pool_id IS NULL) OR "
                        "(purpose IN ('pool_topup', 'appropriation') AND pool_id IS NOT NULL AND project_id IS NULL)",
                        name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(EnumText(PaymentPurpose, 20), index=True)
    method: Mapped[PaymentMethod] = mapped_column(EnumText(PaymentMethod, 20))
    status: Mapped[PaymentStatus] = mapped_column(EnumText(PaymentStatus, 20), default=PaymentStatus.PENDING, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("funding_pools.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Set when a member gives in the name of their organisation (a firm's donation, a funder's top-up).
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    failure_message: Mapped[str] = mapped_column(Text, default="")
    # The payer's own reference: an appropriation's document number (文号), a bank's transaction number.
    document_ref: Mapped[str] = mapped_column(String(100), default="")
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project | None] = relationship()
    pool: Mapped[FundingPool | None] = relationship()
    payer: Mapped[User] = relationship(foreign_keys=[payer_id])
    payer_org: Mapped[Organization | None] = relationship(foreign_keys=[payer_org_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    def policy_scope(self) -> Scope:
        """A donation is its project street's business; a pool's money is the district's and its funder's."""
        if self.purpose == PaymentPurpose.DONATION:
            return Scope(street_id=self.project.street_id, district_id=self.project.district_id, org_id=self.payer_org_id, user_id=self.payer_id,
                         requested_by_id=self.payer_id)
        return Scope(district_id=self.pool.funder.district_key, org_id=self.pool.funder_id, user_id=self.payer_id,
                     requested_by_id=self.payer_id)

    @property
    def reference(self) -> str:
        """Quoted on a bank transfer so the finance office can pair the money with the order."""
        return f"SRE-{self.id:07d}"

    @property
    def is_paid(self) -> bool:
        return self.status == PaymentStatus.PAID

    @property
    def is_offline(self) -> bool:
        return self.method == PaymentMethod.BANK_TRANSFER

    @property
    def donor_label(self) -> str:
        """How the payer appears in public lists."""
        if self.anonymous:
            return ""
        if self.payer_org is not None:
            return self.payer_org.name
        return self.payer.display_name


class WebhookEvent(Base):
    """A Stripe event we have received; the unique ``event_id`` makes processing happen once."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    object_id: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime | None] = mapped_column(AwareDateTime())  # Stripe's own timestamp of the event
    received_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    # What the event did: applied, already_applied, ignored, unknown_order, mismatch, ...
    outcome: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    order: Mapped[PaymentOrder | None] = relationship()


class PayoutMethod(LabelledEnum):
    STRIPE_TRANSFER = "stripe_transfer", _l("Stripe Connect transfer")  # Stripe Connect transfer to the provider's connected account
    BANK_TRANSFER = "bank_transfer", _l("Bank transfer")  # offline: the finance office pays and an official confirms


class PayoutStatus(LabelledEnum):
    PENDING = "to_confirm", _l("To be confirmed")  # offline: waiting for the official's confirmation
    PAID = "paid", _l("Paid")
    FAILED = "transfer_failed", _l("Failed")  # the transfer failed; an official can retry (same idempotency key)


# A failed transfer is retried (with the same idempotency key) until it is paid.
PAYOUT_TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.PAID, PayoutStatus.FAILED}),
    PayoutStatus.FAILED: frozenset({PayoutStatus.PAID}),
    PayoutStatus.PAID: frozenset(),
}


class Payout(Stateful, TimestampMixin, Base):
    """The payment of one approved milestone to the provider. One per milestone."""

    __tablename__ = "payouts"
    __transitions__ = PAYOUT_TRANSITIONS
    __state_noun__ = "payout"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
                      CheckConstraint("attempts >= 0", name="attempts_non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[PayoutMethod] = mapped_column(EnumText(PayoutMethod, 20))
    status: Mapped[PayoutStatus] = mapped_column(EnumText(PayoutStatus, 20), default=PayoutStatus.PENDING, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    destination_account: Mapped[str] = mapped_column(String(255), default="")
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    milestone: Mapped[Milestone] = relationship()
    provider: Mapped[Organization] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    def policy_scope(self) -> Scope:
        """A payout is the business of the project's street, and of the provider it pays."""
        return Scope(street_id=self.milestone.contract.project.street_id, district_id=self.milestone.contract.project.district_id, org_id=self.provider_id)
