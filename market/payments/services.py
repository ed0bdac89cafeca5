"""Payment operations: money in through Stripe Checkout or bank transfer, money out
through Stripe Connect transfers or bank transfer, and Stripe's webhooks.

Rules kept here:

* Money counts as received only when Stripe says so through a signed webhook, or
  when an official confirms a bank transfer -- never because a browser came back
  to the success page.
* Each webhook event is processed once (unique ``WebhookEvent.event_id``); the
  order row is locked and its status checked before money is counted, so a
  replayed, duplicated or out-of-order event never counts money twice.
* Every outgoing call carries an idempotency key derived from the business
  operation, and every money movement is an audit event.

Services flush, never commit; the route (or caller) owns the transaction.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.contracts.models import Contract, Milestone, MilestoneStatus
from market.contracts.signals import milestone_approved
from market.core import ledger, policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.services import limit_to_jurisdiction
from market.orgs.models import Organization, OrgKind
from market.payments.gateway import GatewayError, StripeGateway, current_gateway
from market.payments.models import (
    PaymentMethod,
    PaymentOrder,
    PaymentPurpose,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    WebhookEvent,
)
from market.projects.models import Project

CHECKOUT_LIFETIME = timedelta(hours=1)  # Stripe allows 30 minutes to 24 hours
# How long a started payment keeps the project's room reserved. A promised bank transfer that has not
# arrived by then stops blocking other donors (it can still be confirmed if the money comes later); a
# Checkout session gets an hour's grace after it expires for Stripe's webhook to arrive.
BANK_TRANSFER_HOLD = timedelta(days=7)
CHECKOUT_HOLD = CHECKOUT_LIFETIME + timedelta(hours=1)
STRIPE_ACCOUNT_PATTERN = re.compile(r"^acct_[A-Za-z0-9]{6,64}$")
_FROM_CONFIG: Any = object()
# Stored in Payout.last_error when the provider has no connected account; shown translated.
NO_CONNECTED_ACCOUNT = "no_connected_account"
ERROR_LABELS = {NO_CONNECTED_ACCOUNT: _l("The provider has not connected a Stripe account yet.")}


def payout_error(payout: Payout) -> str:
    """Why the last transfer failed, in the current language."""
    label = ERROR_LABELS.get(payout.last_error)
    return str(label) if label is not None else payout.last_error


class PaymentUnavailable(DomainError):
    status_code = 502
    code = "payment_unavailable"


class DuplicateWebhook(Exception):
    """This event id was already recorded (possibly by a concurrent delivery)."""


def _locked(model: Any, ident: int) -> Any:
    """Re-read a row with a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers)."""
    return db.session.get(model, ident, with_for_update=True, populate_existing=True)


def idempotency_key_for_order(order: PaymentOrder) -> str:
    return f"checkout-order-{order.id}"


def idempotency_key_for_payout(milestone: Milestone) -> str:
    return f"payout-milestone-{milestone.id}"


# ---------------------------------------------------------------------------
# Money in
# ---------------------------------------------------------------------------

ReturnUrls = Callable[[PaymentOrder], tuple[str, str]]


@dataclass(frozen=True)
class PaymentRequest:
    """What the payer wants to pay, for :func:`start_payment`."""

    purpose: PaymentPurpose
    amount_cents: int
    currency: str
    product_name: Any  # str or a lazy translated string, shown on Stripe's page
    description: str = ""
    project: Project | None = None
    pool: FundingPool | None = None
    payer_org: Organization | None = None
    anonymous: bool = False


def holds_room(now: datetime) -> ColumnElement[bool]:
    """Started payments that still reserve their project's room at ``now`` (see ``BANK_TRANSFER_HOLD``)."""
    return and_(PaymentOrder.status == PaymentStatus.PENDING, or_(
        and_(PaymentOrder.method == PaymentMethod.BANK_TRANSFER, PaymentOrder.created_at >= now - BANK_TRANSFER_HOLD),
        and_(PaymentOrder.method != PaymentMethod.BANK_TRANSFER, PaymentOrder.created_at >= now - CHECKOUT_HOLD)))


def transfer_reserved_until(order: PaymentOrder) -> datetime | None:
    """Until when a promised bank transfer keeps the project's room reserved (None for other orders)."""
    if order.method != PaymentMethod.BANK_TRANSFER or order.purpose != PaymentPurpose.DONATION:
        return None
    return order.created_at + BANK_TRANSFER_HOLD


def start_payment(actor: User, request: PaymentRequest, *, gateway: StripeGateway | None, now: datetime,
                  return_urls: ReturnUrls) -> PaymentOrder:
    """Create a payment order: a Stripe Checkout session online, a bank-transfer pledge offline.

    ``return_urls(order)`` gives the (success, cancel) URLs once the order has an id.
    When Stripe cannot be reached the order is kept as ``failed`` with the reason
    (the caller commits it so the id, and so the idempotency key, is never reused).
    """
    if request.amount_cents <= 0:
        raise ValidationFailed(_l("The amount must be more than zero."), fields={"amount": _l("More than zero.")})
    order = PaymentOrder(
        purpose=request.purpose, amount_cents=request.amount_cents, currency=request.currency.lower(),
        project_id=request.project.id if request.project else None, pool_id=request.pool.id if request.pool else None,
        payer_id=actor.id, payer_org_id=request.payer_org.id if request.payer_org else None,
        anonymous=request.anonymous, status=PaymentStatus.PENDING,
        method=PaymentMethod.STRIPE_CHECKOUT if gateway else PaymentMethod.BANK_TRANSFER,
        created_at=now, updated_at=now)
    db.session.add(order)
    db.session.flush()
    audit_target = {"purpose": order.purpose, "amount_cents": order.amount_cents, "currency": order.currency,
                    "method": order.method, "project_id": order.project_id, "pool_id": order.pool_id,
                    "payer_org_id": order.payer_org_id}
    if gateway is None:
        record(actor, "payment.pledged", order, after={**audit_target, "status": order.status})
        return order
    order.idempotency_key = idempotency_key_for_order(order)
    success_url, cancel_url = return_urls(order)
    metadata = {"order_id": str(order.id), "purpose": str(order.purpose)}
    if order.project_id:
        metadata["project_id"] = str(order.project_id)
    if order.pool_id:
        metadata["pool_id"] = str(order.pool_id)
    params = gateway.checkout_params(
        amount_cents=order.amount_cents, product_name=str(request.product_name), description=request.description,
        success_url=success_url, cancel_url=cancel_url, metadata=metadata, client_reference_id=str(order.id),
        customer_email=actor.email, expires_at=int((now + CHECKOUT_LIFETIME).timestamp()))
    try:
        session = gateway.create_checkout_session(params, idempotency_key=order.idempotency_key)
    except GatewayError as error:
        order.failure_message = error.message[:2000]
        transition(order, PaymentStatus.FAILED, actor=actor, action="payment.checkout_failed",
                   after={**audit_target, "error": error.message[:500]})
        return order
    order.checkout_session_id = session.id
    order.checkout_url = session.url
    record(actor, "payment.checkout_started", order, after={**audit_target, "checkout_session_id": session.id})
    return order


def _locked_account_of(order: PaymentOrder) -> ledger.AccountRef:
    """The ledger account the order's money goes into (its project, or its pool), with that row locked."""
    if order.purpose == PaymentPurpose.DONATION:
        _locked(Project, order.project_id)
        return ledger.project(order.project_id)
    _locked(FundingPool, order.pool_id)
    return ledger.pool(order.pool_id)


def _credit(order: PaymentOrder, *, actor: User | None, now: datetime, source: str) -> None:
    """Count the order's money as received: a ledger movement into the project or the pool. Audited.

    The key ``payment_order:<id>`` makes the movement happen once, whatever calls this twice.
    """
    order.paid_at = now
    transition(order, PaymentStatus.PAID, actor=actor, action="payment.received",
               after={"amount_cents": order.amount_cents, "source": source})
    movement = {PaymentPurpose.DONATION: ledger.Movement.DONATION, PaymentPurpose.POOL_TOPUP: ledger.Movement.TOP_UP,
                PaymentPurpose.APPROPRIATION: ledger.Movement.APPROPRIATION}[PaymentPurpose(order.purpose)]
    target = _locked_account_of(order)
    ledger.move(movement, order.amount_cents, source=ledger.OUTSIDE, target=target, actor=actor, reference=order,
                key=f"payment_order:{order.id}", project_id=order.project_id, memo=source, at=now)


def _own_payment(actor: User, order: PaymentOrder) -> bool:
    """Whether ``actor`` made the payment: the one who pays never confirms that the money arrived."""
    return actor.id == order.payer_id


def confirm_bank_transfer(actor: User, order: PaymentOrder, *, now: datetime) -> PaymentOrder:
    """An official responsible for where the money goes, other than the payer, records that the bank
    transfer arrived."""
    policy.require(actor, "payment.confirm", order)
    if _own_payment(actor, order):
        raise PermissionDenied(_l("You made this payment: another official confirms that the money arrived."))
    order = _locked(PaymentOrder, order.id)
    if order.purpose == PaymentPurpose.APPROPRIATION:
        raise Conflict(_l("An appropriation is confirmed by another official of its department."))
    if order.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("This payment goes through Stripe; it is confirmed by Stripe, not by hand."))
    if order.status == PaymentStatus.PAID:
        raise Conflict(_l("This transfer was already confirmed."))
    if order.status != PaymentStatus.PENDING:
        raise Conflict(_l("Only transfers still awaiting confirmation can be confirmed."))
    order.confirmed_by_id = actor.id
    _credit(order, actor=actor, now=now, source="bank_transfer")
    return order


def reject_bank_transfer(actor: User, order: PaymentOrder, *, now: datetime, reason: str = "") -> PaymentOrder:
    """An official records that the promised transfer (or appropriation) never arrived; nothing is counted."""
    action = "appropriation.confirm" if order.purpose == PaymentPurpose.APPROPRIATION else "payment.confirm"
    policy.require(actor, action, order)
    order = _locked(PaymentOrder, order.id)
    if order.method == PaymentMethod.STRIPE_CHECKOUT or order.status != PaymentStatus.PENDING:
        raise Conflict(_l("Only transfers still awaiting confirmation can be marked as not received."))
    order.confirmed_by_id = actor.id
    order.failure_message = reason[:2000]
    order.updated_at = now
    transition(order, PaymentStatus.CANCELLED, actor=actor, action="payment.cancelled", after={"reason": reason[:500]})
    return order


# ---------------------------------------------------------------------------
# Appropriations: a government department puts budget money into its pool
# ---------------------------------------------------------------------------

def request_appropriation(actor: User, pool: FundingPool, amount_cents: int, document_ref: str, *,
                          now: datetime, currency: str = "cny") -> PaymentOrder:
    """Announce an appropriation (拨款) into a government pool; the money counts once another
    official of the department confirms it arrived."""
    policy.require(actor, "pool.manage", pool)
    if pool.funder.kind != OrgKind.GOVERNMENT:
        raise Conflict(_l("Only a government department's pool receives appropriations; top it up instead."))
    errors: dict[str, Any] = {}
    if amount_cents <= 0:
        errors["amount"] = _l("More than zero.")
    document_ref = (document_ref or "").strip()
    if len(document_ref) < 3:
        errors["document_ref"] = _l("Give the appropriation's document number (文号).")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    order = PaymentOrder(purpose=PaymentPurpose.APPROPRIATION, method=PaymentMethod.TREASURY,
                         status=PaymentStatus.PENDING, amount_cents=amount_cents, currency=currency.lower(),
                         pool_id=pool.id, payer_id=actor.id, payer_org_id=pool.funder_id,
                         document_ref=document_ref[:100], created_at=now, updated_at=now)
    db.session.add(order)
    db.session.flush()
    record(actor, "appropriation.requested", order, after={"pool_id": pool.id, "amount_cents": amount_cents,
                                                            "document_ref": order.document_ref})
    return order


def confirm_appropriation(actor: User, order: PaymentOrder, *, now: datetime) -> PaymentOrder:
    """Another official of the department confirms the appropriation arrived: the pool holds it from now."""
    policy.require(actor, "appropriation.confirm", order)
    order = _locked(PaymentOrder, order.id)
    if order.purpose != PaymentPurpose.APPROPRIATION:
        raise Conflict(_l("This is not an appropriation."))
    if order.status != PaymentStatus.PENDING:
        raise Conflict(_l("Only appropriations still awaiting confirmation can be confirmed."))
    order.confirmed_by_id = actor.id
    _credit(order, actor=actor, now=now, source=f"treasury:{order.document_ref}")
    return order


# ---------------------------------------------------------------------------
# Refunds
# ---------------------------------------------------------------------------

def idempotency_key_for_refund(order: PaymentOrder) -> str:
    return f"refund-order-{order.id}"


def refund_payment(actor: User, order: PaymentOrder, *, reason: str, gateway: StripeGateway | None,
                   now: datetime) -> PaymentOrder:
    """The finance office pays a received payment back, while the money is still unspent.

    Online payments are refunded through Stripe (idempotency key ``refund-order-<id>``); bank
    transfers and appropriations are paid back by the finance office and recorded here.
    """
    policy.require(actor, "payment.refund", order)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_l("Say why the money is paid back."), fields={"reason": _l("A reason is required.")})
    source = _locked_account_of(order)
    order = _locked(PaymentOrder, order.id)
    if order.status != PaymentStatus.PAID:
        raise Conflict(_l("Only received money can be refunded."))
    try:
        ledger.move(ledger.Movement.REFUND, order.amount_cents, source=source, target=ledger.OUTSIDE, actor=actor,
                    reference=order, key=f"refund:{order.id}", project_id=order.project_id, memo=reason[:500], at=now)
    except ledger.InsufficientFunds as error:
        raise Conflict(_l("This money was already pledged, reserved or paid out (only %(left)s of it is unspent), "
                          "so it cannot be refunded.", left=money(ledger.balance(source))),
                       code="already_spent") from error
    if order.method == PaymentMethod.STRIPE_CHECKOUT:
        if gateway is None:
            raise PaymentUnavailable(_l("Online payment is not configured; the card payment cannot be refunded now."))
        if not order.payment_intent_id:
            raise Conflict(_l("Stripe has not told us the payment's id yet; try again later."))
        try:
            gateway.create_refund(payment_intent=order.payment_intent_id, amount_cents=order.amount_cents,
                                  idempotency_key=idempotency_key_for_refund(order))
        except GatewayError as error:
            raise PaymentUnavailable(_l("Stripe refused the refund: %(error)s", error=error.message)) from error
    order.updated_at = now
    transition(order, PaymentStatus.REFUNDED, actor=actor, action="payment.refunded", after={"reason": reason[:500]})
    return order


def can_view_order(user: User, order: PaymentOrder) -> bool:
    return policy.can(user, "payment.view", order)


def orders_awaiting_confirmation(actor: User) -> list[PaymentOrder]:
    """Transfers and appropriations waiting for ``actor``'s confirmation, oldest first."""
    stmt = (select(PaymentOrder).where(PaymentOrder.method.in_((PaymentMethod.BANK_TRANSFER, PaymentMethod.TREASURY)),
                                       PaymentOrder.status == PaymentStatus.PENDING)
            .order_by(PaymentOrder.created_at, PaymentOrder.id))
    return [order for order in db.session.scalars(stmt.limit(2000)) if may_confirm(actor, order)]


def may_confirm(actor: User, order: PaymentOrder) -> bool:
    if order.purpose == PaymentPurpose.APPROPRIATION:
        return policy.can(actor, "appropriation.confirm", order)
    return policy.can(actor, "payment.confirm", order) and not _own_payment(actor, order)


def orders_of(user: User) -> Select:
    return select(PaymentOrder).where(PaymentOrder.payer_id == user.id).order_by(PaymentOrder.created_at.desc(),
                                                                                 PaymentOrder.id.desc())


def find_order_by_reference(reference: str) -> PaymentOrder | None:
    match = re.fullmatch(r"\s*(?:SRE-?)?0*(\d{1,12})\s*", reference or "", flags=re.IGNORECASE)
    return db.session.get(PaymentOrder, int(match.group(1))) if match else None


# ---------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------

HANDLED_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                  "checkout.session.async_payment_failed", "checkout.session.expired")


def _event_time(event: dict[str, Any]) -> datetime | None:
    created = event.get("created")
    if isinstance(created, int) and not isinstance(created, bool):
        try:
            return datetime.fromtimestamp(created, UTC)
        except (OverflowError, OSError, ValueError):  # not a moment a calendar can hold: keep the event, not the time
            return None
    return None


def _summary(event: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """The part of the event worth keeping (no customer details)."""
    keep = ("id", "object", "amount_total", "currency", "payment_status", "status", "client_reference_id",
            "payment_intent", "metadata")
    return {"id": event.get("id"), "type": event.get("type"), "created": event.get("created"),
            "object": {k: obj.get(k) for k in keep if k in obj}}


def record_webhook_event(event: dict[str, Any], *, now: datetime) -> WebhookEvent:
    """Store the event id once; raises :class:`DuplicateWebhook` if it was seen (then roll back)."""
    if db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event["id"])) is not None:
        raise DuplicateWebhook(event["id"])
    obj = event["data"].get("object") if isinstance(event["data"].get("object"), dict) else {}
    row = WebhookEvent(event_id=event["id"][:255], type=event["type"][:100], livemode=bool(event.get("livemode")),
                       object_id=str(obj.get("id") or "")[:255], created=_event_time(event), received_at=now,
                       payload=_summary(event, obj))
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:  # a concurrent delivery of the same event committed first
        raise DuplicateWebhook(event["id"]) from error
    return row


def _order_for(obj: dict[str, Any]) -> PaymentOrder | None:
    """The Checkout order whose session the event carries (locked), or None.

    Only the session id counts: an order id in the metadata that does not belong to this session,
    or an order that was never sent to Checkout (a bank transfer), is never credited by an event.
    """
    session_id = obj.get("id")
    if not isinstance(session_id, str) or not session_id:
        return None
    found = db.session.scalar(select(PaymentOrder.id).where(PaymentOrder.checkout_session_id == session_id))
    return _locked(PaymentOrder, found) if found else None


def handle_webhook_event(event: dict[str, Any], *, now: datetime | None = None,
                         gateway: StripeGateway | None = None) -> WebhookEvent:
    """Record a verified Stripe event once, then apply it. Returns the stored event with its outcome.

    Every verified event ends with an outcome (ignored, unknown_order, mismatch, applied,
    already_paid, awaiting_payment, no_change, refunded, refund_due), so Stripe's retries stop.
    Raises :class:`DuplicateWebhook` when the event was already recorded.
    """
    now = now or utcnow()
    row = record_webhook_event(event, now=now)
    if row.type not in HANDLED_EVENTS:
        row.outcome = "ignored"
        return row
    obj = event["data"].get("object") or {}
    order = _order_for(obj) if isinstance(obj, dict) else None
    if order is None or order.method != PaymentMethod.STRIPE_CHECKOUT:
        row.outcome, row.note = "unknown_order", "no Checkout order carries this session id"
        return row
    row.order_id = order.id
    if obj.get("currency") is not None and str(obj.get("currency")).lower() != order.currency:
        row.outcome, row.note = "mismatch", f"currency {obj.get('currency')} != {order.currency}"
    elif obj.get("amount_total") is not None and obj.get("amount_total") != order.amount_cents:
        row.outcome, row.note = "mismatch", f"amount_total {obj.get('amount_total')} != {order.amount_cents}"
    if row.outcome == "mismatch":
        record(None, "payment.mismatch", order, after={"event_id": row.event_id, "note": row.note})
        return row
    if isinstance(obj.get("payment_intent"), str):
        order.payment_intent_id = obj["payment_intent"]
    paid = (row.type == "checkout.session.async_payment_succeeded" or
            (row.type == "checkout.session.completed" and obj.get("payment_status") in ("paid", "no_payment_required")))
    if paid:
        if order.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            row.outcome = "already_paid"
        elif order.can_transition(PaymentStatus.PAID):
            _credit(order, actor=None, now=now, source=f"stripe:{row.event_id}")
            row.outcome = "applied"
        else:
            row.outcome, row.note = _refund_unwanted(order, gateway, row.event_id)
    elif row.type == "checkout.session.completed":
        row.outcome = "awaiting_payment"  # an asynchronous method: the money arrives later, or not
    elif order.status != PaymentStatus.PENDING:
        row.outcome = "no_change"  # e.g. an expiry delivered after the payment: the money stays counted
    else:
        target = PaymentStatus.EXPIRED if row.type == "checkout.session.expired" else PaymentStatus.FAILED
        order.updated_at = now
        transition(order, target, actor=None, action="payment.expired" if target == PaymentStatus.EXPIRED
                   else "payment.failed", after={"event_id": row.event_id})
        row.outcome = "applied"
    return row


def _refund_unwanted(order: PaymentOrder, gateway: StripeGateway | None, event_id: str) -> tuple[str, str]:
    """Money arrived for an order that can no longer take it: it is not counted, and goes back."""
    note = f"payment for an order that is {order.status}: not counted"
    if gateway is not None and order.payment_intent_id:
        try:
            gateway.create_refund(payment_intent=order.payment_intent_id, amount_cents=order.amount_cents,
                                  idempotency_key=idempotency_key_for_refund(order))
        except GatewayError as error:
            note += f"; the refund failed ({error.message[:200]}), refund it by hand"
        else:
            record(None, "payment.refunded_unwanted", order, after={"event_id": event_id})
            return "refunded", note + "; refunded through Stripe"
    record(None, "payment.refund_due", order, after={"event_id": event_id})
    return "refund_due", note + "; to be refunded by the finance office"


# ---------------------------------------------------------------------------
# Money out: milestone payouts
# ---------------------------------------------------------------------------

def _attempt_transfer(payout: Payout, milestone: Milestone, gateway: StripeGateway, actor: User | None,
                      now: datetime) -> None:
    provider = db.session.get(Organization, payout.provider_id)
    account = (provider.stripe_account_id or "") if provider else ""
    if not account:
        payout.last_error = NO_CONNECTED_ACCOUNT
        _payout_failed(payout, actor, {"error": "no connected account", "attempts": payout.attempts})
        return
    payout.destination_account = account
    payout.attempts += 1
    contract = milestone.contract
    try:
        transfer = gateway.create_transfer(
            amount_cents=payout.amount_cents, destination=account, idempotency_key=payout.idempotency_key,
            transfer_group=f"contract-{contract.id}",
            description=f"Milestone {milestone.seq} of contract {contract.id}",
            metadata={"payout_id": str(payout.id), "milestone_id": str(milestone.id),
                      "contract_id": str(contract.id), "project_id": str(contract.project_id)})
    except GatewayError as error:
        payout.last_error = error.message[:2000]
        _payout_failed(payout, actor, {"error": error.message[:500], "code": error.code, "attempts": payout.attempts})
        return
    if transfer.amount != payout.amount_cents:
        payout.last_error = f"Stripe transferred {transfer.amount}, expected {payout.amount_cents}"
        payout.transfer_id = transfer.id
        _payout_failed(payout, actor, {"transfer_id": transfer.id, "amount": transfer.amount}, "payout.mismatch")
        return
    payout.transfer_id = transfer.id
    _mark_payout_paid(payout, milestone, actor=actor, now=now, source=f"stripe:{transfer.id}")


def _payout_failed(payout: Payout, actor: User | None, details: dict[str, Any], action: str = "payout.failed") -> None:
    if payout.status == PayoutStatus.FAILED:
        record(actor, action, payout, after=details)  # a retry failed again: same status, a new record
    else:
        transition(payout, PayoutStatus.FAILED, actor=actor, action=action, after=details)


def _mark_payout_paid(payout: Payout, milestone: Milestone, *, actor: User | None, now: datetime, source: str) -> None:
    """The provider is paid: the pool money reserved for the contract pays as much of it as it can
    (the rest is the contracting department's own budget), and the milestone is paid."""
    payout.paid_at = now
    payout.last_error = ""
    contract = milestone.contract
    from_pools = _pay_from_commitments(payout, contract, actor=actor, now=now)
    transition(payout, PayoutStatus.PAID, actor=actor, action="payout.paid",
               after={"amount_cents": payout.amount_cents, "from_pools_cents": from_pools, "currency": payout.currency,
                      "milestone_id": milestone.id, "provider_id": payout.provider_id,
                      "transfer_id": payout.transfer_id, "source": source})
    milestone.paid_at = now
    transition(milestone, MilestoneStatus.PAID, actor=actor, action="milestone.paid", after={"payout_id": payout.id})
    if all(m.status == MilestoneStatus.PAID for m in contract.milestones):
        _settle_commitments(contract, actor=actor, now=now)


def _reserved(contract: Contract) -> list[FundingCommitment]:
    return list(db.session.scalars(select(FundingCommitment).where(
        FundingCommitment.contract_id == contract.id, FundingCommitment.status == CommitmentStatus.RESERVED)
        .order_by(FundingCommitment.id)))


def _pay_from_commitments(payout: Payout, contract: Contract, *, actor: User | None, now: datetime) -> int:
    """Move the payout's amount out of the contract's reserved pool money, oldest reservation first."""
    due = payout.amount_cents
    for commitment in _reserved(contract):
        if due <= 0:
            break
        held = ledger.balance(ledger.commitment(commitment.id))
        part = min(held, due)
        if part <= 0:
            continue
        ledger.move(ledger.Movement.PAYOUT, part, source=ledger.commitment(commitment.id), target=ledger.OUTSIDE,
                    actor=actor, reference=payout, key=f"payout:{payout.id}:commitment:{commitment.id}",
                    project_id=contract.project_id, at=now)
        due -= part
        if held == part:
            commitment.paid_at = now
            transition(commitment, CommitmentStatus.PAID, actor=actor, action="commitment.paid",
                       after={"pool_id": commitment.pool_id, "contract_id": contract.id})
    return payout.amount_cents - due


def _settle_commitments(contract: Contract, *, actor: User | None, now: datetime) -> None:
    """The contract is paid in full: pool money still reserved for it (less was needed) goes back to its pool."""
    for commitment in _reserved(contract):
        left = ledger.balance(ledger.commitment(commitment.id))
        if left > 0:
            _locked(FundingPool, commitment.pool_id)
            ledger.move(ledger.Movement.COMMITMENT_RELEASE, left, source=ledger.commitment(commitment.id),
                        target=ledger.pool(commitment.pool_id), actor=actor, reference=commitment,
                        key=f"commitment:{commitment.id}:settled", project_id=contract.project_id, at=now)
        paid = commitment.amount_cents - left
        commitment.paid_at = now if paid else None
        commitment.released_at = now if not paid else None
        transition(commitment, CommitmentStatus.PAID if paid else CommitmentStatus.RELEASED, actor=actor,
                   action="commitment.settled", after={"paid_cents": paid, "returned_cents": left})


def request_payout(milestone: Milestone, *, actor: User | None = None, gateway: Any = _FROM_CONFIG,
                   now: datetime | None = None) -> Payout:
    """Pay an approved milestone to its provider. Called right after an official approves it.

    Online: a Stripe Connect transfer to the provider's connected account with the
    idempotency key ``payout-milestone-<id>``; success marks the milestone paid,
    failure keeps the payout ``failed`` with the reason, for an official to retry.
    Offline: a bank transfer for the finance office, which an official confirms.
    Calling it again for the same milestone never pays twice.
    """
    now = now or utcnow()
    if gateway is _FROM_CONFIG:
        gateway = current_gateway()
    existing_id = db.session.scalar(select(Payout.id).where(Payout.milestone_id == milestone.id))
    payout = _locked(Payout, existing_id) if existing_id else None
    if payout is not None and payout.status == PayoutStatus.PAID:
        return payout
    if MilestoneStatus(milestone.status) != MilestoneStatus.APPROVED:
        raise Conflict(_l("Only an approved milestone can be paid."))
    if payout is None:
        contract = milestone.contract
        payout = Payout(milestone_id=milestone.id, provider_id=contract.provider_id, amount_cents=milestone.amount_cents,
                        currency=_currency(), idempotency_key=idempotency_key_for_payout(milestone),
                        method=PayoutMethod.STRIPE_TRANSFER if gateway else PayoutMethod.BANK_TRANSFER,
                        status=PayoutStatus.PENDING, requested_at=now, requested_by_id=getattr(actor, "id", None),
                        created_at=now, updated_at=now)
        db.session.add(payout)
        db.session.flush()
        record(actor, "payout.requested", payout, after={"amount_cents": payout.amount_cents, "method": payout.method,
                                                          "milestone_id": milestone.id})
    if payout.amount_cents == 0:
        _mark_payout_paid(payout, milestone, actor=actor, now=now, source="nothing to pay")
    elif payout.method == PayoutMethod.STRIPE_TRANSFER and gateway is not None:
        _attempt_transfer(payout, milestone, gateway, actor, now)
    return payout


def retry_payout(actor: User, payout: Payout, *, gateway: StripeGateway | None, now: datetime) -> Payout:
    """An official re-sends a failed transfer -- with the same idempotency key, so it can only pay once."""
    policy.require(actor, "payout.confirm", payout)
    payout = _locked(Payout, payout.id)
    if payout.status != PayoutStatus.FAILED or payout.method != PayoutMethod.STRIPE_TRANSFER:
        raise Conflict(_l("Only a failed Stripe transfer can be retried."))
    if gateway is None:
        raise PaymentUnavailable(_l("Online payment is not configured; confirm a bank transfer instead."))
    _attempt_transfer(payout, payout.milestone, gateway, actor, now)
    return payout


def confirm_payout(actor: User, payout: Payout, *, now: datetime) -> Payout:
    """An official records that the finance office paid the milestone by bank transfer."""
    policy.require(actor, "payout.confirm", payout)
    payout = _locked(Payout, payout.id)
    if payout.status == PayoutStatus.PAID:
        raise Conflict(_l("This payout was already confirmed."))
    if payout.method != PayoutMethod.BANK_TRANSFER:
        raise Conflict(_l("This payout goes through Stripe; retry it instead."))
    payout.confirmed_by_id = actor.id
    _mark_payout_paid(payout, payout.milestone, actor=actor, now=now, source="bank_transfer")
    return payout


def payouts_needing_attention(actor: User | None = None) -> Select:
    """Bank transfers to confirm and failed Stripe transfers, oldest first (in ``actor``'s streets)."""
    stmt = (select(Payout).where(Payout.status.in_((PayoutStatus.PENDING, PayoutStatus.FAILED)))
            .order_by(Payout.requested_at, Payout.id))
    if actor is not None and (policy.street_filter(actor) is not None or policy.district_filter(actor) is not None):
        stmt = (stmt.join(Milestone, Payout.milestone_id == Milestone.id).join(Contract, Milestone.contract_id == Contract.id)
                .join(Project, Contract.project_id == Project.id))
        stmt = limit_to_jurisdiction(stmt, actor, Project.street_id, Project.district_id)
    return stmt


def _currency() -> str:
    from flask import current_app, has_app_context

    return (current_app.config.get("CURRENCY") or "cny").lower() if has_app_context() else "cny"


# ---------------------------------------------------------------------------
# Connected accounts
# ---------------------------------------------------------------------------

def can_manage_payment_settings(user: User, org: Organization) -> bool:
    return policy.can(user, "organization.payment_settings", org)


def set_stripe_account(actor: User, org: Organization, account_id: str) -> Organization:
    """A member of ``org`` records the Stripe Connect account that receives its payouts (empty: none)."""
    policy.require(actor, "organization.payment_settings", org)
    value = (account_id or "").strip()
    if value and not STRIPE_ACCOUNT_PATTERN.match(value):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"stripe_account_id": _l("A Stripe account id looks like acct_1A2b3C4d5E.")})
    before = org.stripe_account_id
    org.stripe_account_id = value or None
    if before != org.stripe_account_id:
        record(actor, "organization.stripe_account", org, before={"stripe_account_id": before},
               after={"stripe_account_id": org.stripe_account_id})
    return org


def counts_for_officials(actor: User) -> dict[str, int]:
    payouts = payouts_needing_attention(actor).subquery()
    return {
        "transfers_to_confirm": len(orders_awaiting_confirmation(actor)),
        "payouts_to_confirm": db.session.scalar(select(func.count()).select_from(payouts).where(
            payouts.c.status == PayoutStatus.PENDING)) or 0,
        "payouts_failed": db.session.scalar(select(func.count()).select_from(payouts).where(
            payouts.c.status == PayoutStatus.FAILED)) or 0,
    }


# ---------------------------------------------------------------------------
# What the ledger must agree with (``flask ledger check``)
# ---------------------------------------------------------------------------

@ledger.register_check
def _commitments_match_the_ledger() -> list[str]:
    problems = []
    balances = ledger.balances(ledger.AccountKind.COMMITMENT)
    payouts = ledger.movement_totals(ledger.AccountKind.COMMITMENT, ledger.Movement.PAYOUT)
    for commitment in db.session.scalars(select(FundingCommitment).order_by(FundingCommitment.id)):
        held = balances.get(commitment.id, 0)
        paid = -payouts.get(commitment.id, 0)
        if commitment.status == CommitmentStatus.RESERVED and held + paid != commitment.amount_cents:
            problems.append(f"commitment {commitment.id} holds {held} and paid {paid}, "
                            f"but reserved {commitment.amount_cents}")
        if commitment.status != CommitmentStatus.RESERVED and held != 0:
            problems.append(f"commitment {commitment.id} is {commitment.status} but still holds {held}")
    return problems


@ledger.register_check
def _payouts_match_the_ledger() -> list[str]:
    problems = []
    paid_by_payout = dict(db.session.execute(
        select(ledger.Transfer.reference_id, func.sum(ledger.Transfer.amount_cents))
        .where(ledger.Transfer.movement == ledger.Movement.PAYOUT, ledger.Transfer.reference_type == "payouts")
        .group_by(ledger.Transfer.reference_id)).all())
    for payout in db.session.scalars(select(Payout).order_by(Payout.id)):
        from_pools = int(paid_by_payout.get(payout.id) or 0)
        if from_pools > payout.amount_cents:
            problems.append(f"payout {payout.id} took {from_pools} from pools for {payout.amount_cents} owed")
        if payout.status != PayoutStatus.PAID and from_pools:
            problems.append(f"payout {payout.id} is {payout.status} but took {from_pools} from pools")
    credited = set(db.session.scalars(select(ledger.Transfer.key).where(ledger.Transfer.key.like("payment_order:%"))))
    for order_id, status in db.session.execute(select(PaymentOrder.id, PaymentOrder.status).where(
            PaymentOrder.status.in_((PaymentStatus.PAID, PaymentStatus.REFUNDED))).order_by(PaymentOrder.id)):
        if f"payment_order:{order_id}" not in credited:
            problems.append(f"payment SRE-{order_id:07d} is {status} but no money arrived in the ledger")
    return problems


@milestone_approved.connect
def _pay_approved_milestone(milestone: Milestone, *, actor: User | None, now: datetime) -> None:
    """An official approved a milestone: its payout is requested at once."""
    request_payout(milestone, actor=actor, now=now)
