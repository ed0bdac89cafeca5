"""Duplicate webhooks delivered at the same moment count the money once (unique key + row lock; on SQLite the lock
is the database's write lock, taken before the order is read)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from market.core.audit import AuditEvent
from market.core.db import db
from market.payments.models import PaymentOrder, PaymentStatus, WebhookEvent
from market.projects.models import Project
from tests.market.payments.helpers import assert_ledger_ok, checkout_event, signed


def _deliver_together(app, deliveries):
    barrier = threading.Barrier(len(deliveries))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(payload, headers):
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post("/payments/stripe/webhook", data=payload, headers=headers).status_code)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=send, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


def _totals(order):
    db.session.expire_all()
    return (db.session.get(PaymentOrder, order.id).status, db.session.get(Project, order.project_id).funded_cents,
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment.received")))


def test_same_event_delivered_eight_times_at_once_counts_once(app, checkout_order):
    order = checkout_order(amount_cents=66_600)
    delivery = signed(checkout_event(order))
    statuses = _deliver_together(app, [delivery] * 8)
    assert statuses == [200] * 8
    assert _totals(order) == (PaymentStatus.PAID, 66_600, 1)
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1
    assert_ledger_ok()


def test_different_paid_events_for_one_order_at_once_count_once(app, checkout_order):
    order = checkout_order(amount_cents=12_300)
    deliveries = [signed(checkout_event(order, kind)) for kind in
                  ["checkout.session.completed", "checkout.session.async_payment_succeeded"] * 3]
    assert _deliver_together(app, deliveries) == [200] * 6
    assert _totals(order) == (PaymentStatus.PAID, 12_300, 1)
    outcomes = sorted(db.session.scalars(select(WebhookEvent.outcome)))
    assert outcomes == ["already_paid"] * 5 + ["applied"]
    assert_ledger_ok()
