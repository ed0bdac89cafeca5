"""Money in (payment orders: donations and pool top-ups), money out (payouts for
milestones) and the Stripe webhook events already seen."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import AwareDateTime, Base, TimestampMixin, utcnow
from market.errors import IllegalTransition

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.contracts.models import Milestone
    from market.funds.models import FundingPool
    from market.orgs.models import Organization
    from market.projects.models import Project


class PaymentPurpose(StrEnum):
    DONATION = "donation"  # a resident or firm gives to a public-benefit project
    POOL_TOPUP = "pool_topup"  # a funder adds money to its pool


class PaymentMethod(StrEnum):
    STRIPE_CHECKOUT = "stripe_checkout"  # card, Alipay, WeChat Pay through Stripe Checkout
    BANK_TRANSFER = "bank_transfer"  # offline: confirmed by the district finance office


# Values are distinct from other enums' values: labels are looked up by value (StrEnum).
class PaymentStatus(StrEnum):
    PENDING = "awaiting_payment"  # waiting for Stripe or for the bank transfer
    PAID = "received"  # money received and counted
    EXPIRED = "expired"  # the Checkout session expired unpaid
    FAILED = "payment_failed"  # the payment or the call to Stripe failed
    CANCELLED = "not_received"  # an official recorded that the transfer never arrived


# Money, once counted, is never un-counted here (refunds are out of scope). A paid
# completion after an expiry or failure still counts: the payment provider's word wins.
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.FAILED,
                                      PaymentStatus.CANCELLED}),
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}


class PaymentOrder(TimestampMixin, Base):
    """Money someone means to pay in: a donation to a project or a top-up of a pool."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(purpose = 'donation' AND project_id IS NOT NULL AND pool_id IS NULL) OR "
                        "(purpose = 'pool_topup' AND pool_id IS NOT NULL AND project_id IS NULL)",
                        name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(String(20), index=True)
    method: Mapped[PaymentMethod] = mapped_column(String(20))
    status: Mapped[PaymentStatus] = mapped_column(String(20), default=PaymentStatus.PENDING, index=True)
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
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project | None] = relationship()
    pool: Mapped[FundingPool | None] = relationship()
    payer: Mapped[User] = relationship(foreign_keys=[payer_id])
    payer_org: Mapped[Organization | None] = relationship(foreign_keys=[payer_org_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    def transition(self, target: PaymentStatus) -> PaymentStatus:
        """Move to ``target`` or raise :class:`IllegalTransition`; returns the old status."""
        previous = PaymentStatus(self.status)
        if target not in PAYMENT_TRANSITIONS[previous]:
            raise IllegalTransition(f"A payment cannot go from {previous.value} to {PaymentStatus(target).value}.")
        self.status = target
        return previous

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


class PayoutMethod(StrEnum):
    STRIPE_TRANSFER = "stripe_transfer"  # Stripe Connect transfer to the provider's connected account
    BANK_TRANSFER = "bank_transfer"  # offline: the finance office pays and an official confirms


class PayoutStatus(StrEnum):
    PENDING = "to_confirm"  # offline: waiting for the official's confirmation
    PAID = "paid"
    FAILED = "transfer_failed"  # the transfer failed; an official can retry (same idempotency key)


class Payout(TimestampMixin, Base):
    """The payment of one approved milestone to the provider. One per milestone."""

    __tablename__ = "payouts"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
                      CheckConstraint("attempts >= 0", name="attempts_non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[PayoutMethod] = mapped_column(String(20))
    status: Mapped[PayoutStatus] = mapped_column(String(20), default=PayoutStatus.PENDING, index=True)
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
