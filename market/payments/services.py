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
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import Role, User
from market.audit.services import record
from market.contracts.models import Milestone, MilestoneStatus
from market.db import db, utcnow
from market.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.orgs.models import Organization
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


def is_official(user: User | None) -> bool:
    return getattr(user, "role", None) in (Role.OFFICIAL, Role.ADMIN)


def _require_official(actor: User) -> None:
    if not is_official(actor):
        raise PermissionDenied(_l("Only officials of the district finance office can do this."))


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
        order.transition(PaymentStatus.FAILED)
        order.failure_message = error.message[:2000]
        record(actor, "payment.checkout_failed", order, after={**audit_target, "error": error.message[:500]})
        return order
    order.checkout_session_id = session.id
    order.checkout_url = session.url
    record(actor, "payment.checkout_started", order, after={**audit_target, "checkout_session_id": session.id})
    return order


def _credit(order: PaymentOrder, *, actor: User | None, now: datetime, source: str) -> None:
    """Count the order's money as received: the project's funds or the pool grow. Audited."""
    previous = order.transition(PaymentStatus.PAID)
    order.paid_at = now
    if order.purpose == PaymentPurpose.DONATION:
        project = _locked(Project, order.project_id)
        before = {"funded_cents": project.funded_cents}
        project.funded_cents += order.amount_cents
        record(actor, "payment.received", order,
               before={"status": previous, **before},
               after={"status": order.status, "project_id": project.id, "funded_cents": project.funded_cents,
                      "amount_cents": order.amount_cents, "source": source})
    else:
        pool = _locked(FundingPool, order.pool_id)
        before = {"total_cents": pool.total_cents, "remaining_cents": pool.remaining_cents}
        pool.total_cents += order.amount_cents
        pool.remaining_cents += order.amount_cents
        record(actor, "payment.received", order,
               before={"status": previous, **before},
               after={"status": order.status, "pool_id": pool.id, "total_cents": pool.total_cents,
                      "remaining_cents": pool.remaining_cents, "amount_cents": order.amount_cents, "source": source})
    db.session.flush()


def confirm_bank_transfer(actor: User, order: PaymentOrder, *, now: datetime) -> PaymentOrder:
    """An official records that the bank transfer for ``order`` arrived: the money counts from now."""
    _require_official(actor)
    order = _locked(PaymentOrder, order.id)
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
    """An official records that the promised transfer never arrived; nothing is counted."""
    _require_official(actor)
    order = _locked(PaymentOrder, order.id)
    if order.method != PaymentMethod.BANK_TRANSFER or order.status != PaymentStatus.PENDING:
        raise Conflict(_l("Only transfers still awaiting confirmation can be marked as not received."))
    order.transition(PaymentStatus.CANCELLED)
    order.confirmed_by_id = actor.id
    order.failure_message = reason[:2000]
    order.updated_at = now
    record(actor, "payment.cancelled", order, before={"status": PaymentStatus.PENDING},
           after={"status": order.status, "reason": reason[:500]})
    return order


def can_view_order(user: User, order: PaymentOrder) -> bool:
    if not user.is_authenticated:
        return False
    if is_official(user) or order.payer_id == user.id:
        return True
    if order.pool is not None and user.organization_id == order.pool.funder_id:
        return True
    return order.payer_org_id is not None and user.organization_id == order.payer_org_id


def orders_awaiting_confirmation() -> Select:
    return (select(PaymentOrder).where(PaymentOrder.method == PaymentMethod.BANK_TRANSFER,
                                       PaymentOrder.status == PaymentStatus.PENDING)
            .order_by(PaymentOrder.created_at, PaymentOrder.id))


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
        return datetime.fromtimestamp(created, UTC)
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
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    raw = metadata.get("order_id") or obj.get("client_reference_id")
    order = None
    if isinstance(raw, str) and raw.isdigit():
        order = _locked(PaymentOrder, int(raw))
    if order is None and isinstance(obj.get("id"), str):
        found = db.session.scalar(select(PaymentOrder.id).where(PaymentOrder.checkout_session_id == obj["id"]))
        order = _locked(PaymentOrder, found) if found else None
    if order is not None and order.checkout_session_id and obj.get("id") != order.checkout_session_id:
        return None  # an order id that does not belong to this session: do not trust it
    return order


def handle_webhook_event(event: dict[str, Any], *, now: datetime | None = None) -> WebhookEvent:
    """Record a verified Stripe event once, then apply it. Returns the stored event with its outcome.

    Raises :class:`DuplicateWebhook` when the event was already recorded.
    """
    now = now or utcnow()
    row = record_webhook_event(event, now=now)
    if row.type not in HANDLED_EVENTS:
        row.outcome = "ignored"
        return row
    obj = event["data"].get("object") or {}
    order = _order_for(obj)
    if order is None:
        row.outcome, row.note = "unknown_order", "no payment order matches this Checkout session"
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
        if order.status == PaymentStatus.PAID:
            row.outcome = "already_paid"
        else:
            _credit(order, actor=None, now=now, source=f"stripe:{row.event_id}")
            row.outcome = "applied"
    elif row.type == "checkout.session.completed":
        row.outcome = "awaiting_payment"  # an asynchronous method: the money arrives later, or not
    elif order.status != PaymentStatus.PENDING:
        row.outcome = "no_change"  # e.g. an expiry delivered after the payment: the money stays counted
    else:
        target = PaymentStatus.EXPIRED if row.type == "checkout.session.expired" else PaymentStatus.FAILED
        order.transition(target)
        order.updated_at = now
        action = "payment.expired" if target == PaymentStatus.EXPIRED else "payment.failed"
        record(None, action, order, before={"status": PaymentStatus.PENDING},
               after={"status": target, "event_id": row.event_id})
        row.outcome = "applied"
    return row


# ---------------------------------------------------------------------------
# Money out: milestone payouts
# ---------------------------------------------------------------------------

def _attempt_transfer(payout: Payout, milestone: Milestone, gateway: StripeGateway, actor: User | None,
                      now: datetime) -> None:
    provider = db.session.get(Organization, payout.provider_id)
    account = (provider.stripe_account_id or "") if provider else ""
    if not account:
        payout.status = PayoutStatus.FAILED
        payout.last_error = NO_CONNECTED_ACCOUNT
        record(actor, "payout.failed", payout, after={"error": "no connected account", "attempts": payout.attempts})
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
        payout.status = PayoutStatus.FAILED
        payout.last_error = error.message[:2000]
        record(actor, "payout.failed", payout, after={"error": error.message[:500], "code": error.code,
                                                      "attempts": payout.attempts})
        return
    if transfer.amount != payout.amount_cents:
        payout.status = PayoutStatus.FAILED
        payout.last_error = f"Stripe transferred {transfer.amount}, expected {payout.amount_cents}"
        payout.transfer_id = transfer.id
        record(actor, "payout.mismatch", payout, after={"transfer_id": transfer.id, "amount": transfer.amount})
        return
    payout.transfer_id = transfer.id
    _mark_payout_paid(payout, milestone, actor=actor, now=now, source=f"stripe:{transfer.id}")


def _mark_payout_paid(payout: Payout, milestone: Milestone, *, actor: User | None, now: datetime, source: str) -> None:
    previous = payout.status
    payout.status = PayoutStatus.PAID
    payout.paid_at = now
    payout.last_error = ""
    milestone.transition(MilestoneStatus.PAID)
    milestone.paid_at = now
    record(actor, "payout.paid", payout, before={"status": previous},
           after={"status": payout.status, "amount_cents": payout.amount_cents, "currency": payout.currency,
                  "milestone_id": milestone.id, "provider_id": payout.provider_id, "transfer_id": payout.transfer_id,
                  "source": source})
    contract = milestone.contract
    if all(m.status == MilestoneStatus.PAID for m in contract.milestones):
        _settle_commitments(contract.id, actor=actor, now=now)


def _settle_commitments(contract_id: int, *, actor: User | None, now: datetime) -> None:
    """The contract is paid in full: the pool money reserved for it has been paid out."""
    commitments = db.session.scalars(select(FundingCommitment).where(
        FundingCommitment.contract_id == contract_id, FundingCommitment.status == CommitmentStatus.RESERVED)
        .order_by(FundingCommitment.id).with_for_update())
    for commitment in commitments:
        commitment.transition(CommitmentStatus.PAID)
        commitment.paid_at = now
        record(actor, "commitment.paid", commitment, before={"status": CommitmentStatus.RESERVED},
               after={"status": commitment.status, "pool_id": commitment.pool_id, "contract_id": contract_id,
                      "amount_cents": commitment.amount_cents})


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
    _require_official(actor)
    payout = _locked(Payout, payout.id)
    if payout.status != PayoutStatus.FAILED or payout.method != PayoutMethod.STRIPE_TRANSFER:
        raise Conflict(_l("Only a failed Stripe transfer can be retried."))
    if gateway is None:
        raise PaymentUnavailable(_l("Online payment is not configured; confirm a bank transfer instead."))
    _attempt_transfer(payout, payout.milestone, gateway, actor, now)
    return payout


def confirm_payout(actor: User, payout: Payout, *, now: datetime) -> Payout:
    """An official records that the finance office paid the milestone by bank transfer."""
    _require_official(actor)
    payout = _locked(Payout, payout.id)
    if payout.status == PayoutStatus.PAID:
        raise Conflict(_l("This payout was already confirmed."))
    if payout.method != PayoutMethod.BANK_TRANSFER:
        raise Conflict(_l("This payout goes through Stripe; retry it instead."))
    payout.confirmed_by_id = actor.id
    _mark_payout_paid(payout, payout.milestone, actor=actor, now=now, source="bank_transfer")
    return payout


def payouts_needing_attention() -> Select:
    """Bank transfers to confirm and failed Stripe transfers, oldest first."""
    return (select(Payout).where(Payout.status.in_((PayoutStatus.PENDING, PayoutStatus.FAILED)))
            .order_by(Payout.requested_at, Payout.id))


def _currency() -> str:
    from flask import current_app, has_app_context

    return (current_app.config.get("CURRENCY") or "cny").lower() if has_app_context() else "cny"


# ---------------------------------------------------------------------------
# Connected accounts
# ---------------------------------------------------------------------------

def can_manage_payment_settings(user: User, org: Organization) -> bool:
    return user.is_authenticated and (user.role == Role.ADMIN or user.organization_id == org.id)


def set_stripe_account(actor: User, org: Organization, account_id: str) -> Organization:
    """A member of ``org`` records the Stripe Connect account that receives its payouts (empty: none)."""
    if not can_manage_payment_settings(actor, org):
        raise PermissionDenied(_l("Only the organisation's members can change its payment settings."))
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


def counts_for_officials() -> dict[str, int]:
    return {
        "transfers_to_confirm": db.session.scalar(select(func.count()).select_from(
            orders_awaiting_confirmation().subquery())) or 0,
        "payouts_to_confirm": db.session.scalar(select(func.count(Payout.id)).where(
            Payout.status == PayoutStatus.PENDING)) or 0,
        "payouts_failed": db.session.scalar(select(func.count(Payout.id)).where(
            Payout.status == PayoutStatus.FAILED)) or 0,
    }
