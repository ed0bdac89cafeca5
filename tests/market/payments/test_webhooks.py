"""Stripe webhooks: verified, recorded once, and only then counting money -- whatever the order of delivery."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent, verify_chain
from market.core.db import db, utcnow
from market.funds.models import FundingPool
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus, WebhookEvent
from market.projects.models import Project
from tests.market.payments.helpers import assert_ledger_ok, checkout_event, deliver, signed

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
    assert audit.actor_label == "system" and audit.after["amount_cents"] == 88_800
    assert audit.after["source"] == f"stripe:{event['id']}"
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.donation"))
    assert moved.after["balances"] == {f"project:{order.project_id}": 88_800}
    assert verify_chain().ok
    assert_ledger_ok()


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
    assert_ledger_ok()


def test_expiry_then_a_late_payment_still_counts_once(client, checkout_order):
    order = checkout_order(amount_cents=30_000)
    assert deliver(client, checkout_event(order, "checkout.session.expired", payment_status="unpaid")).status_code == 200
    assert _state(order)["status"] == PaymentStatus.EXPIRED
    deliver(client, checkout_event(order, "checkout.session.completed"))
    deliver(client, checkout_event(order, "checkout.session.completed"))
    assert _state(order) == {"status": PaymentStatus.PAID, "funded": 30_000, "events": 3, "received": 1}
    assert_ledger_ok()


def test_asynchronous_payment_waits_then_counts_or_fails(client, checkout_order):
    order = checkout_order(amount_cents=40_000)
    response = deliver(client, checkout_event(order, payment_status="unpaid"))
    assert response.json["outcome"] == "awaiting_payment" and _state(order)["funded"] == 0
    deliver(client, checkout_event(order, "checkout.session.async_payment_succeeded"))
    assert _state(order)["funded"] == 40_000
    failing = checkout_order(amount_cents=40_000)
    deliver(client, checkout_event(failing, "checkout.session.async_payment_failed", payment_status="unpaid"))
    assert _state(failing)["status"] == PaymentStatus.FAILED and _state(failing)["funded"] == 0
    assert_ledger_ok()


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


def test_pool_top_up_grows_received_and_remaining_not_the_declared_total(client, checkout_order, make_pool):
    pool = make_pool(total_cents=1_000_000, remaining_cents=400_000)
    order = checkout_order(purpose=PaymentPurpose.POOL_TOPUP, amount_cents=250_000, pool=pool)
    deliver(client, checkout_event(order))
    deliver(client, checkout_event(order))
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.declared_cents, pool.received_cents, pool.remaining_cents) == (1_000_000, 650_000, 650_000)
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "money.top_up")
                               .order_by(AuditEvent.seq)).all()[-1]
    assert moved.after["amount_cents"] == 250_000 and moved.after["balances"] == {f"pool:{pool.id}": 650_000}
    assert_ledger_ok()


def _events_recorded():
    return db.session.scalar(select(func.count(WebhookEvent.id)))


def test_a_signature_dated_in_the_future_is_refused(client, checkout_order):
    """Attack: a signed delivery dated an hour ahead stays "fresh" for an hour longer than Stripe's
    five-minute tolerance allows, so a captured request could be replayed later. Stripe's own check
    refuses only old signatures; the old code accepted this one and counted the payment."""
    order = checkout_order(amount_cents=15_000)
    response = deliver(client, checkout_event(order), timestamp=int(time.time()) + 3600)
    assert response.status_code == 400 and response.is_json
    assert response.json["error"]["code"] == "invalid_webhook"
    assert _state(order) == {"status": PaymentStatus.PENDING, "funded": 0, "events": 0, "received": 0}
    assert deliver(client, checkout_event(order), timestamp=int(time.time()) + 60).json["outcome"] == "applied"
    assert_ledger_ok()


def test_an_event_naming_a_bank_transfer_order_credits_nothing(client, webhook_only, make_user, public_project):
    """Attack: a genuinely signed Checkout event (any session of the Stripe account) carrying the id of a
    bank-transfer pledge in its metadata counted that pledge as paid -- without the money arriving and
    without the finance office -- because the old code found the order by the metadata and skipped the
    session check for orders that never had a session. Only the order created for the event's session counts."""
    from market.payments import services

    order = services.start_payment(make_user(Role.RESIDENT), services.PaymentRequest(
        purpose=PaymentPurpose.DONATION, amount_cents=70_000, currency="cny", product_name="x",
        project=public_project()), gateway=None, now=utcnow(), return_urls=lambda o: ("", ""))
    db.session.commit()
    assert order.checkout_session_id is None
    event = checkout_event(order)  # metadata.order_id and client_reference_id name the bank-transfer order
    response = deliver(client, event)
    assert response.status_code == 200 and response.is_json
    assert (response.json["status"], response.json["outcome"]) == ("ok", "unknown_order")
    row = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["id"]))
    assert row.outcome == "unknown_order" and row.order_id is None
    assert _state(order) == {"status": PaymentStatus.PENDING, "funded": 0, "events": 1, "received": 0}
    assert_ledger_ok()


def _cancel(order):
    """An order that can no longer take money (what the finance office does when a payment is called off)."""
    from market.core.state import transition

    order = db.session.get(PaymentOrder, order.id)
    transition(order, PaymentStatus.CANCELLED, actor=None, action="payment.cancelled", after={"reason": "test"})
    db.session.commit()
    return order


def test_a_payment_for_a_cancelled_order_is_refunded_and_answered_in_json(client, checkout_order, online):
    """Attack: money paid at Stripe for an order already called off made the old webhook fail (an
    illegal status change answered with an HTML error page), so Stripe retried for days and the payer's
    money was neither counted nor given back. Now the event is recorded, nothing is counted, the
    payment is refunded through Stripe, and every delivery is answered 2xx in JSON."""
    order = _cancel(checkout_order(amount_cents=25_000))
    event = checkout_event(order)
    response = deliver(client, event)
    assert response.status_code == 200 and response.is_json and response.json["outcome"] == "refunded"
    [refund] = online.calls("/v1/refunds")
    assert refund.form == {"payment_intent": f"pi_test_{order.id:06d}", "amount": "25000"}
    assert refund.headers["idempotency-key"] == f"refund-order-{order.id}"
    row = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["id"]))
    assert row.outcome == "refunded" and row.order_id == order.id
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "payment.refunded_unwanted")) == 1
    assert _state(order) == {"status": PaymentStatus.CANCELLED, "funded": 0, "events": 1, "received": 0}
    replay = deliver(client, event)
    assert replay.status_code == 200 and replay.is_json and replay.json["status"] == "duplicate"
    assert len(online.calls("/v1/refunds")) == 1
    assert _state(order)["events"] == 1
    assert_ledger_ok()


def test_a_payment_for_a_cancelled_order_is_due_back_when_stripe_cannot_refund(client, checkout_order, online, app,
                                                                                monkeypatch):
    """The same, when Stripe refuses the refund or online payment is switched off meanwhile: recorded as
    ``refund_due`` for the finance office, answered 200 in JSON, nothing counted."""
    failing = _cancel(checkout_order(amount_cents=30_000))
    online.fail_next("/v1/refunds", 400, code="charge_already_refunded", message="Charge has already been refunded.")
    response = deliver(client, checkout_event(failing))
    assert response.status_code == 200 and response.is_json and response.json["outcome"] == "refund_due"
    row = db.session.scalar(select(WebhookEvent).where(WebhookEvent.order_id == failing.id))
    assert "already been refunded" in row.note
    offline = _cancel(checkout_order(amount_cents=40_000))
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")
    response = deliver(client, checkout_event(offline))
    assert response.status_code == 200 and response.is_json and response.json["outcome"] == "refund_due"
    assert len(online.calls("/v1/refunds")) == 1  # only the failed attempt
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment.refund_due")) == 2
    assert [_state(o)["funded"] for o in (failing, offline)] == [0, 0]
    assert_ledger_ok()


def test_a_paid_event_for_a_refunded_order_counts_nothing_again(client, checkout_order, online, make_user):
    """A late "paid" event (a new event id) for an order already paid and refunded is the same payment:
    it is neither counted again nor refunded twice."""
    from market.payments import services
    from market.payments.gateway import current_gateway

    order = checkout_order(amount_cents=60_000)
    assert deliver(client, checkout_event(order)).json["outcome"] == "applied"
    order = db.session.get(PaymentOrder, order.id)
    services.refund_payment(make_user(Role.OFFICIAL), order, reason="捐赠人申请退款", gateway=current_gateway(),
                            now=utcnow())
    db.session.commit()
    late = deliver(client, checkout_event(order, "checkout.session.async_payment_succeeded"))
    assert late.status_code == 200 and late.is_json and late.json["outcome"] == "already_paid"
    assert len(online.calls("/v1/refunds")) == 1
    assert _state(order) == {"status": PaymentStatus.REFUNDED, "funded": 0, "events": 2, "received": 1}
    assert_ledger_ok()


def test_every_answer_of_the_webhook_is_json(client, checkout_order):
    """Stripe reads the webhook's answers: whatever arrives (forged, stale, future-dated, garbage,
    unknown, duplicated, or signed with a date no calendar holds), the answer is JSON, never an HTML page."""
    order = checkout_order()
    good = checkout_event(order)
    absurd = {**checkout_event(order, "checkout.session.expired", payment_status="unpaid"), "created": 10**20}
    payload, headers = signed(good)
    not_an_event, not_an_event_headers = signed("[1, 2, 3]")
    responses = [
        client.post(URL, data=payload.replace('"paid"', '"unpaid"'), headers=headers),
        client.post(URL, data=payload, headers={"Content-Type": "application/json"}),
        deliver(client, good, secret="whsec_attacker"),
        deliver(client, good, timestamp=int(time.time()) + 3600),
        deliver(client, good, timestamp=int(time.time()) - 3600),
        client.post(URL, data=not_an_event, headers=not_an_event_headers),
        deliver(client, absurd),
        deliver(client, good),
        deliver(client, good),
        deliver(client, {**good, "id": "evt_other_type", "type": "payment_intent.created"}),
    ]
    assert [r.status_code for r in responses] == [400] * 6 + [200] * 4
    assert all(r.is_json for r in responses), [r.content_type for r in responses]
    assert [r.json.get("outcome", r.json.get("status")) for r in responses[6:]] == [
        "applied", "applied", "duplicate", "ignored"]
    assert _state(order)["status"] == PaymentStatus.PAID and _events_recorded() == 3
    assert_ledger_ok()


def test_bodies_that_are_not_text_or_nest_too_deep_are_refused_in_json(client, checkout_order):
    """Attack: a body of bytes that are not UTF-8 made Stripe's signature check raise (500, with or without a
    signature header), and a signed body nested 100,000 levels deep made the JSON parser raise (500).
    Both are refused as the bad requests they are, in JSON, and record nothing."""
    import hashlib
    import hmac

    from tests.market.payments.helpers import WEBHOOK_SECRET

    order = checkout_order()
    raw = b"\xff\xfe"
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    for headers in ({}, {"Stripe-Signature": "garbage"}, {"Stripe-Signature": f"t={stamp},v1=deadbeef"},
                    {"Stripe-Signature": f"t={stamp},v1={mac}"}):
        answer = client.post(URL, data=raw, headers=headers)
        assert answer.status_code == 400 and answer.is_json, headers
    deep = "[" * 100_000 + "]" * 100_000
    payload, headers = signed(deep)
    answer = client.post(URL, data=payload, headers=headers)
    assert answer.status_code == 400 and answer.is_json
    assert _events_recorded() == 0 and _state(order)["status"] == PaymentStatus.PENDING
