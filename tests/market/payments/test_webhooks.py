"""Stripe webhooks: verified, recorded once, and only then counting money -- whatever the order of delivery."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.audit.services import verify_chain
from market.db import db
from market.funds.models import FundingPool
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus, WebhookEvent
from market.projects.models import Project
from tests.market.payments.helpers import checkout_event, deliver, signed

URL = "/payments/stripe/webhook"


def _state(order):
    db.session.expire_all()
    order = db.session.get(PaymentOrder, order.id)
    project = db.session.get(Project, order.project_id) if order.project_id else None
    return {
        "status": order.status,
        "funded": project.funded_cents if project else None,
        "events": db.session.scalar(select(func.count(WebhookEvent.id))),
        "received": db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment.received")),
    }


def test_completed_checkout_counts_the_donation_once(client, checkout_order):
    order = checkout_order(amount_cents=88_800)
    assert _state(order)["funded"] == 0
    event = checkout_event(order)
    response = deliver(client, event)
    assert response.status_code == 200 and response.json["outcome"] == "applied"
    after = _state(order)
    assert after == {"status": PaymentStatus.PAID, "funded": 88_800, "events": 1, "received": 1}
    # Stripe delivers again (a timeout on its side): 200, nothing counted twice.
    again = deliver(client, event)
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert _state(order) == after
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.received"))
    assert audit.actor_label == "system" and audit.after["funded_cents"] == 88_800
    assert audit.after["source"] == f"stripe:{event['id']}"
    assert verify_chain().ok


def test_tampered_body_is_refused_and_changes_nothing(client, checkout_order):
    order = checkout_order(amount_cents=10_000)
    payload, headers = signed(checkout_event(order))
    tampered = payload.replace('"amount_total": 10000', '"amount_total": 99999999')
    assert tampered != payload
    response = client.post(URL, data=tampered, headers=headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_webhook"
    assert _state(order) == {"status": PaymentStatus.PENDING, "funded": 0, "events": 0, "received": 0}


def test_wrong_secret_missing_signature_and_garbage_are_refused(client, checkout_order):
    order = checkout_order()
    event = checkout_event(order)
    assert deliver(client, event, secret="whsec_attacker").status_code == 400
    assert client.post(URL, data=json.dumps(event), headers={"Content-Type": "application/json"}).status_code == 400
    payload, headers = signed("not json at all")
    assert client.post(URL, data=payload, headers=headers).status_code == 400
    assert client.get(URL).status_code == 405
    assert _state(order)["events"] == 0 and _state(order)["funded"] == 0


def test_stale_signature_is_refused(client, checkout_order):
    order = checkout_order()
    response = deliver(client, checkout_event(order), timestamp=int(time.time()) - 10 * 60)
    assert response.status_code == 400
    assert _state(order) == {"status": PaymentStatus.PENDING, "funded": 0, "events": 0, "received": 0}


def test_webhook_needs_no_csrf_token_but_the_secret_must_be_configured(client, checkout_order, app, monkeypatch):
    order = checkout_order()
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    assert deliver(client, checkout_event(order)).status_code == 400
    assert _state(order)["events"] == 0


def test_out_of_order_events_never_count_twice(client, checkout_order):
    order = checkout_order(amount_cents=20_000)
    assert deliver(client, checkout_event(order, "checkout.session.completed")).json["outcome"] == "applied"
    # Another "paid" event with a new id (async success), then an expiry delivered late: no change.
    assert deliver(client, checkout_event(order, "checkout.session.async_payment_succeeded")).json["outcome"] \
        == "already_paid"
    assert deliver(client, checkout_event(order, "checkout.session.expired", payment_status="unpaid")).json["outcome"] \
        == "no_change"
    assert deliver(client, checkout_event(order, "checkout.session.async_payment_failed",
                                          payment_status="unpaid")).json["outcome"] == "no_change"
    assert _state(order) == {"status": PaymentStatus.PAID, "funded": 20_000, "events": 4, "received": 1}


def test_expiry_then_a_late_payment_still_counts_once(client, checkout_order):
    order = checkout_order(amount_cents=30_000)
    assert deliver(client, checkout_event(order, "checkout.session.expired", payment_status="unpaid")).status_code == 200
    assert _state(order)["status"] == PaymentStatus.EXPIRED
    deliver(client, checkout_event(order, "checkout.session.completed"))
    deliver(client, checkout_event(order, "checkout.session.completed"))
    assert _state(order) == {"status": PaymentStatus.PAID, "funded": 30_000, "events": 3, "received": 1}


def test_asynchronous_payment_waits_then_counts_or_fails(client, checkout_order):
    order = checkout_order(amount_cents=40_000)
    response = deliver(client, checkout_event(order, payment_status="unpaid"))
    assert response.json["outcome"] == "awaiting_payment" and _state(order)["funded"] == 0
    deliver(client, checkout_event(order, "checkout.session.async_payment_succeeded"))
    assert _state(order)["funded"] == 40_000
    failing = checkout_order(amount_cents=40_000)
    deliver(client, checkout_event(failing, "checkout.session.async_payment_failed", payment_status="unpaid"))
    assert _state(failing)["status"] == PaymentStatus.FAILED and _state(failing)["funded"] == 0


def test_amount_or_currency_mismatch_counts_nothing(client, checkout_order):
    order = checkout_order(amount_cents=50_000)
    assert deliver(client, checkout_event(order, amount=5)).json["outcome"] == "mismatch"
    assert deliver(client, checkout_event(order, currency="usd")).json["outcome"] == "mismatch"
    state = _state(order)
    assert state["status"] == PaymentStatus.PENDING and state["funded"] == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment.mismatch")) == 2


def test_an_order_id_from_another_session_is_not_trusted(client, checkout_order):
    order = checkout_order()
    event = checkout_event(order, session_id="cs_test_forged")
    assert deliver(client, event).json["outcome"] == "unknown_order"
    assert _state(order)["funded"] == 0


def test_unrelated_events_are_recorded_and_ignored(client, webhook_only):
    event = {"id": "evt_charge_1", "object": "event", "type": "charge.refunded", "created": int(time.time()),
             "livemode": False, "data": {"object": {"id": "ch_1", "object": "charge"}}}
    response = deliver(client, event)
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert db.session.scalar(select(WebhookEvent.type)) == "charge.refunded"


def test_pool_top_up_grows_total_and_remaining(client, checkout_order, make_pool):
    pool = make_pool(total_cents=1_000_000, remaining_cents=400_000)
    order = checkout_order(purpose=PaymentPurpose.POOL_TOPUP, amount_cents=250_000, pool=pool)
    deliver(client, checkout_event(order))
    deliver(client, checkout_event(order))
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.total_cents, pool.remaining_cents) == (1_250_000, 650_000)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.received"))
    assert audit.before["remaining_cents"] == 400_000 and audit.after["remaining_cents"] == 650_000
