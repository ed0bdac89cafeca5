from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.core import policy
from market.core.db import db, utcnow
from market.orgs.models import Organization
from market.payments import services
from market.payments.forms import ActionForm, RefundForm, RejectTransferForm, StripeAccountForm
from market.payments.gateway import InvalidWebhook, current_gateway, parse_webhook, settings_defaults
from market.payments.models import PaymentOrder, PaymentPurpose, Payout
from market.ui.forms import handle_form, require_form, saved
from market.ui.guard import guard, public

bp = Blueprint("payments", __name__, url_prefix="/payments")
log = logging.getLogger(__name__)


@bp.record_once
def _defaults(state) -> None:
    for key, value in settings_defaults().items():
        state.app.config.setdefault(key, value)


@bp.app_context_processor
def _payment_helpers():
    return {"payments_online": lambda: bool(current_app.config.get("STRIPE_SECRET_KEY")),
            "payout_error": services.payout_error,
            "may_confirm_order": lambda order: services.may_confirm(current_user, order),
            "may_refund": lambda order: policy.can(current_user, "payment.refund", order)}


# ---------------------------------------------------------------- webhook

@bp.post("/stripe/webhook")
@public
def stripe_webhook():
    """Stripe's events: signature first, then recorded once, then applied; always answered in JSON.
    CSRF-exempt (signed instead)."""
    payload = request.get_data(cache=False)
    try:
        event = parse_webhook(payload, request.headers.get("Stripe-Signature"),
                              current_app.config.get("STRIPE_WEBHOOK_SECRET") or "")
    except InvalidWebhook as error:
        log.warning("rejected Stripe webhook: %s", error)
        return jsonify({"error": {"code": "invalid_webhook", "message": "invalid signature or payload",
                                  "fields": {}}}), 400
    try:
        row = services.handle_webhook_event(event, now=utcnow(), gateway=current_gateway())
    except services.DuplicateWebhook:
        db.session.rollback()
        return jsonify({"status": "duplicate", "event": event["id"]}), 200
    outcome = row.outcome
    db.session.commit()
    return jsonify({"status": "ok", "event": event["id"], "outcome": outcome}), 200


# ---------------------------------------------------------------- orders

@bp.get("/orders/<int:order_id>")
@guard("payment.view", PaymentOrder, "order_id", conceal=True)
def order(order: PaymentOrder):
    return render_template("payments/order.html", order=order, action=ActionForm(), reject_form=RejectTransferForm(),
                           refund_form=RefundForm(), bank_details=current_app.config.get("PAYMENT_BANK_DETAILS", ""),
                           reserved_until=services.transfer_reserved_until(order))


@bp.get("/orders/<int:order_id>/success")
@guard("payment.view", PaymentOrder, "order_id", conceal=True)
def success(order: PaymentOrder):
    """Back from Stripe Checkout. Nothing is counted here: only Stripe's signed webhook counts money."""
    return render_template("payments/returned.html", order=order, cancelled=False)


@bp.get("/orders/<int:order_id>/cancel")
@guard("payment.view", PaymentOrder, "order_id", conceal=True)
def cancel(order: PaymentOrder):
    return render_template("payments/returned.html", order=order, cancelled=True)


def _back(order: PaymentOrder):
    back_to_queue = request.form.get("next") == "queue"
    return redirect(url_for("payments.queue") if back_to_queue else url_for("payments.order", order_id=order.id))


@bp.post("/orders/<int:order_id>/confirm")
@guard("payment.confirm", PaymentOrder, "order_id")
def confirm_order(order: PaymentOrder):
    require_form(ActionForm())
    services.confirm_bank_transfer(current_user, order, now=utcnow())
    db.session.commit()
    flash(_("Transfer %(ref)s confirmed: the money now counts.", ref=order.reference), "success")
    return _back(order)


@bp.post("/orders/<int:order_id>/confirm-appropriation")
@guard("appropriation.confirm", PaymentOrder, "order_id")
def confirm_appropriation(order: PaymentOrder):
    require_form(ActionForm())
    services.confirm_appropriation(current_user, order, now=utcnow())
    db.session.commit()
    flash(_("Appropriation %(ref)s confirmed: the pool holds the money now.", ref=order.reference), "success")
    return _back(order)


def _reject_action(order: PaymentOrder) -> str:
    return "appropriation.confirm" if order.purpose == PaymentPurpose.APPROPRIATION else "payment.confirm"


@bp.post("/orders/<int:order_id>/reject")
@guard("finance.review", PaymentOrder, "order_id")
def reject_order(order: PaymentOrder):
    policy.require(current_user, _reject_action(order), order)
    form = require_form(RejectTransferForm())
    services.reject_bank_transfer(current_user, order, now=utcnow(), reason=form.reason.data or "")
    db.session.commit()
    flash(_("Transfer %(ref)s marked as not received.", ref=order.reference), "warning")
    return redirect(url_for("payments.queue"))


@bp.post("/orders/<int:order_id>/refund")
@guard("payment.refund", PaymentOrder, "order_id")
def refund_order(order: PaymentOrder):
    form = RefundForm()
    return handle_form(form, "payments/order.html",
                       lambda: services.refund_payment(current_user, order, reason=form.reason.data or "",
                                                       gateway=current_gateway(), now=utcnow()),
                       lambda _done: saved(_("Refunded: %(ref)s.", ref=order.reference),
                                           url_for("payments.order", order_id=order.id)),
                       order=order, action=ActionForm(), reject_form=RejectTransferForm(), refund_form=form,
                       bank_details=current_app.config.get("PAYMENT_BANK_DETAILS", ""))


# ---------------------------------------------------------------- officials' queue

@bp.get("/transfers")
@guard("finance.review")
def queue():
    reference = (request.args.get("ref") or "").strip()
    found = services.find_order_by_reference(reference) if reference else None
    if found is not None and not services.can_view_order(current_user, found):
        found = None
    orders = services.orders_awaiting_confirmation(current_user)[:200]
    payouts = db.session.scalars(services.payouts_needing_attention(current_user).limit(200)).all()
    return render_template("payments/queue.html", orders=orders, payouts=payouts, action=ActionForm(),
                           reference=reference, found=found)


@bp.post("/payouts/<int:payout_id>/retry")
@guard("payout.confirm", Payout, "payout_id")
def retry_payout(payout: Payout):
    require_form(ActionForm())
    payout = services.retry_payout(current_user, payout, gateway=current_gateway(), now=utcnow())
    db.session.commit()
    if payout.status == "paid":
        flash(_("Payout sent."), "success")
    else:
        flash(_("The transfer failed again: %(error)s", error=services.payout_error(payout)), "danger")
    return redirect(url_for("payments.queue"))


@bp.post("/payouts/<int:payout_id>/confirm")
@guard("payout.confirm", Payout, "payout_id")
def confirm_payout(payout: Payout):
    require_form(ActionForm())
    services.confirm_payout(current_user, payout, now=utcnow())
    db.session.commit()
    flash(_("Bank transfer to the provider confirmed; the milestone is paid."), "success")
    return redirect(url_for("payments.queue"))


# ---------------------------------------------------------------- connected account

@bp.route("/organizations/<int:org_id>/settings", methods=["GET", "POST"])
@guard("organization.payment_settings", Organization, "org_id")
def settings(org: Organization):
    form = StripeAccountForm(obj=org)
    payouts = db.session.scalars(services.payouts_needing_attention().where(Payout.provider_id == org.id)).all()
    return handle_form(form, "payments/settings.html",
                       lambda: services.set_stripe_account(current_user, org, form.stripe_account_id.data or ""),
                       lambda _org: saved(_("Payment settings saved."), url_for("payments.settings", org_id=org.id)),
                       org=org, payouts=payouts)
