"""Helpers for payment tests: signed Stripe webhooks and Checkout events, the ledger's verdict."""
from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

import stripe

WEBHOOK_SECRET = "whsec_test_secret_for_the_suite"
_events = itertools.count(1)


def checkout_event(order, type_: str = "checkout.session.completed", *, payment_status: str = "paid",
                   event_id: str | None = None, amount: int | None = None, currency: str | None = None,
                   session_id: str | None = None, created: int | None = None) -> dict[str, Any]:
    """A Stripe event about ``order``'s Checkout session, shaped like the real thing."""
    session_id = session_id or order.checkout_session_id or f"cs_test_unknown_{order.id}"
    return {
        "id": event_id or f"evt_test_{next(_events):06d}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type_,
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "amount_total": order.amount_cents if amount is None else amount,
            "currency": currency or order.currency, "client_reference_id": str(order.id),
            "metadata": {"order_id": str(order.id), "purpose": str(order.purpose)},
            "payment_intent": f"pi_test_{order.id:06d}", "payment_status": payment_status,
            "status": "expired" if type_ == "checkout.session.expired" else "complete",
            "customer_details": {"email": "donor@example.org"},
        }},
    }


def signed(event: dict[str, Any] | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
           ) -> tuple[str, dict[str, str]]:
    payload = event if isinstance(event, str) else json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}


def deliver(client, event, **kwargs):
    payload, headers = signed(event, **kwargs)
    return client.post("/payments/stripe/webhook", data=payload, headers=headers)


def assert_ledger_ok() -> None:
    """Every balance recomputed from the postings agrees with the accounts, the cached columns and
    the domains' checks (what ``flask ledger check`` says), as the database holds it now."""
    from market.core import ledger
    from market.core.db import db

    db.session.flush()
    db.session.expire_all()
    report = ledger.check()
    assert report.ok, "ledger.check() found problems:\n" + "\n".join(report.problems)


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown next to the form field ``name`` (empty when it has none)."""
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', html, flags=re.S):
        if re.search(rf'name="{re.escape(name)}"', block):
            return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<small class="error"[^>]*>(.*?)</small>', block,
                                                                          flags=re.S)]
    raise AssertionError(f"no field {name!r} on the page")
