from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.permissions import official_required
from market.db import db, utcnow
from market.orgs.models import Organization
from market.payments import services
from market.payments.forms import ActionForm, RejectTransferForm, StripeAccountForm
from market.payments.gateway import InvalidWebhook, current_gateway, parse_webhook, settings_defaults
from market.payments.models import PaymentOrder, Payout
from market.web.forms import handle_form, saved

bp = Blueprint("payments", __name__, url_prefix="/payments")
log = logging.getLogger(__name__)


@bp.record_once
def _defaults(state) -> None:
    for key, value in settings_defaults().items():
        state.app.config.setdefault(key, value)


@bp.app_context_processor
def _payment_helpers():
    return {"payments_online": lambda: bool(current_app.config.get("STRIPE_SECRET_KEY")),
            "payout_error": services.payout_error}


# ---------------------------------------------------------------- webhook

@bp.post("/stripe/webhook")
def stripe_webhook():
    """Stripe's events: signature first, then recorded once, then applied. CSRF-exempt (signed instead)."""
    payload = request.get_data(cache=False)
    try:
        event = parse_webhook(payload, request.headers.get("Stripe-Signature"),
                              current_app.config.get("STRIPE_WEBHOOK_SECRET") or "")
    except InvalidWebhook as error:
        log.warning("rejected Stripe webhook: %s", error)
        return jsonify({"error": {"code": "invalid_webhook", "message": "invalid signature or payload",
                                  "fields": {}}}), 400
    try:
        row = services.handle_webhook_event(event, now=utcnow())
    except services.DuplicateWebhook:
        db.session.rollback()
        return jsonify({"status": "duplicate", "event": event["id"]}), 200
    outcome = row.outcome
    db.session.commit()
    return jsonify({"status": "ok", "event": event["id"], "outcome": outcome}), 200


# ---------------------------------------------------------------- orders

def _order_for_viewer(order_id: int) -> PaymentOrder:
    order = db.get_or_404(PaymentOrder, order_id)
    if not services.can_view_order(current_user, order):
        abort(404)
    return order


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    order = _order_for_viewer(order_id)
    return render_template("payments/order.html", order=order, action=ActionForm(), reject_form=RejectTransferForm(),
                           bank_details=current_app.config.get("PAYMENT_BANK_DETAILS", ""))


@bp.get("/orders/<int:order_id>/success")
@login_required
def success(order_id: int):
    """Back from Stripe Checkout. Nothing is counted here: only Stripe's signed webhook counts money."""
    order = _order_for_viewer(order_id)
    return render_template("payments/returned.html", order=order, cancelled=False)


@bp.get("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    order = _order_for_viewer(order_id)
    return render_template("payments/returned.html", order=order, cancelled=True)


@bp.post("/orders/<int:order_id>/confirm")
@official_required
def confirm_order(order_id: int):
    order = db.get_or_404(PaymentOrder, order_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.confirm_bank_transfer(current_user, order, now=utcnow())
    db.session.commit()
    flash(_("Transfer %(ref)s confirmed: the money now counts.", ref=order.reference), "success")
    back_to_queue = request.form.get("next") == "queue"
    return redirect(url_for("payments.queue") if back_to_queue else url_for("payments.order", order_id=order.id))


@bp.post("/orders/<int:order_id>/reject")
@official_required
def reject_order(order_id: int):
    order = db.get_or_404(PaymentOrder, order_id)
    form = RejectTransferForm()
    if not form.validate_on_submit():
        abort(400)
    services.reject_bank_transfer(current_user, order, now=utcnow(), reason=form.reason.data or "")
    db.session.commit()
    flash(_("Transfer %(ref)s marked as not received.", ref=order.reference), "warning")
    return redirect(url_for("payments.queue"))


# ---------------------------------------------------------------- officials' queue

@bp.get("/transfers")
@official_required
def queue():
    reference = (request.args.get("ref") or "").strip()
    found = services.find_order_by_reference(reference) if reference else None
    orders = db.session.scalars(services.orders_awaiting_confirmation().limit(200)).all()
    payouts = db.session.scalars(services.payouts_needing_attention().limit(200)).all()
    return render_template("payments/queue.html", orders=orders, payouts=payouts, action=ActionForm(),
                           reference=reference, found=found)


@bp.post("/payouts/<int:payout_id>/retry")
@official_required
def retry_payout(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    payout = services.retry_payout(current_user, payout, gateway=current_gateway(), now=utcnow())
    db.session.commit()
    if payout.status == "paid":
        flash(_("Payout sent."), "success")
    else:
        flash(_("The transfer failed again: %(error)s", error=services.payout_error(payout)), "danger")
    return redirect(url_for("payments.queue"))


@bp.post("/payouts/<int:payout_id>/confirm")
@official_required
def confirm_payout(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.confirm_payout(current_user, payout, now=utcnow())
    db.session.commit()
    flash(_("Bank transfer to the provider confirmed; the milestone is paid."), "success")
    return redirect(url_for("payments.queue"))


# ---------------------------------------------------------------- connected account

@bp.route("/organizations/<int:org_id>/settings", methods=["GET", "POST"])
@login_required
def settings(org_id: int):
    org = db.get_or_404(Organization, org_id)
    if not services.can_manage_payment_settings(current_user, org):
        abort(403)
    form = StripeAccountForm(obj=org)
    payouts = db.session.scalars(services.payouts_needing_attention().where(Payout.provider_id == org.id)).all()
    return handle_form(form, "payments/settings.html",
                       lambda: services.set_stripe_account(current_user, org, form.stripe_account_id.data or ""),
                       lambda _org: saved(_("Payment settings saved."), url_for("payments.settings", org_id=org.id)),
                       org=org, payouts=payouts)

