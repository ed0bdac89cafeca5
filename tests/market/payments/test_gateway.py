"""The Stripe gateway speaks to a local stand-in through the real SDK: what it sends and how it reads answers."""
from __future__ import annotations

import json
import time

import pytest

from market.payments.gateway import (
    GatewayError,
    InvalidWebhook,
    StripeGateway,
    gateway_from_config,
    parse_payment_methods,
    parse_webhook,
)
from tests.market.payments.helpers import WEBHOOK_SECRET, signed


@pytest.fixture
def gateway(stripe_stub):
    return StripeGateway("sk_test_suite", WEBHOOK_SECRET, currency="CNY", payment_methods=("card", "alipay", "wechat_pay"),
                         api_base=stripe_stub.url, max_network_retries=0)


def _checkout(gateway):
    params = gateway.checkout_params(amount_cents=12_345, product_name="Donation: 助餐服务", description="Meals",
                                     success_url="http://localhost/s?session_id={CHECKOUT_SESSION_ID}",
                                     cancel_url="http://localhost/c", metadata={"order_id": "7", "purpose": "donation"},
                                     client_reference_id="7", customer_email="a@example.org", expires_at=2_000_000_000)
    return gateway.create_checkout_session(params, idempotency_key="checkout-order-7")


def test_checkout_session_sends_amount_currency_methods_metadata_and_key(gateway, stripe_stub):
    session = _checkout(gateway)
    assert session.id.startswith("cs_test_") and session.url.startswith("https://checkout.stripe.com/")
    [call] = stripe_stub.calls("/v1/checkout/sessions")
    form = call.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "12345"
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][product_data][name]"] == "Donation: 助餐服务"
    assert [form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert form["payment_method_options[wechat_pay][client]"] == "web"
    assert form["metadata[order_id]"] == "7" and form["payment_intent_data[metadata][order_id]"] == "7"
    assert form["client_reference_id"] == "7" and form["expires_at"] == "2000000000"
    assert call.headers["idempotency-key"] == "checkout-order-7"
    assert call.headers["authorization"] == "Bearer sk_test_suite"
    assert "stripe-account" not in call.headers


def test_card_only_sends_no_wechat_options(stripe_stub):
    gateway = StripeGateway("sk_test_suite", currency="cny", api_base=stripe_stub.url, max_network_retries=0)
    _checkout(gateway)
    form = stripe_stub.calls("/v1/checkout/sessions")[0].form
    assert form["payment_method_types[0]"] == "card" and "payment_method_types[1]" not in form
    assert not any(k.startswith("payment_method_options") for k in form)


def test_transfer_goes_from_the_platform_to_the_connected_account(gateway, stripe_stub):
    transfer = gateway.create_transfer(amount_cents=500_000, destination="acct_1ProvTest01",
                                       idempotency_key="payout-milestone-3", metadata={"milestone_id": "3"},
                                       transfer_group="contract-1")
    assert transfer.id.startswith("tr_test_") and transfer.amount == 500_000
    [call] = stripe_stub.calls("/v1/transfers")
    assert call.form["amount"] == "500000" and call.form["currency"] == "cny"
    assert call.form["destination"] == "acct_1ProvTest01" and call.form["metadata[milestone_id]"] == "3"
    assert call.headers["idempotency-key"] == "payout-milestone-3"
    assert "stripe-account" not in call.headers  # the platform pays; no acting on behalf of the account


def test_errors_become_gateway_errors(gateway, stripe_stub):
    stripe_stub.fail_next("/v1/transfers", 400, code="resource_missing", message="No such destination: 'acct_x'")
    with pytest.raises(GatewayError) as caught:
        gateway.create_transfer(amount_cents=1, destination="acct_x", idempotency_key="k", metadata={})
    assert "No such destination" in caught.value.message and caught.value.code == "resource_missing"
    assert caught.value.status == 400 and not caught.value.retryable
    stripe_stub.fail_next("/v1/checkout/sessions", 500)
    with pytest.raises(GatewayError) as caught:
        _checkout(gateway)
    assert caught.value.retryable


def test_payment_methods_setting():
    assert parse_payment_methods("card, alipay,wechat_pay,card") == ("card", "alipay", "wechat_pay")
    assert parse_payment_methods("") == ("card",)
    with pytest.raises(ValueError, match="MARKET_PAYMENT_METHODS"):
        parse_payment_methods("card,bitcoin")


def test_offline_without_a_key():
    assert gateway_from_config({"STRIPE_SECRET_KEY": ""}) is None
    assert gateway_from_config({"STRIPE_SECRET_KEY": "sk_test_x", "PAYMENT_METHODS": "card,alipay"}).payment_methods == (
        "card", "alipay")


def test_webhook_signature_is_checked():
    event = {"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {"object": {}}}
    payload, headers = signed(event)
    assert parse_webhook(payload.encode(), headers["Stripe-Signature"], WEBHOOK_SECRET)["id"] == "evt_1"
    with pytest.raises(InvalidWebhook):
        parse_webhook(payload.replace("evt_1", "evt_2").encode(), headers["Stripe-Signature"], WEBHOOK_SECRET)
    with pytest.raises(InvalidWebhook):
        parse_webhook(payload.encode(), headers["Stripe-Signature"], "whsec_other")
    with pytest.raises(InvalidWebhook):
        parse_webhook(payload.encode(), None, WEBHOOK_SECRET)
    with pytest.raises(InvalidWebhook):
        parse_webhook(payload.encode(), headers["Stripe-Signature"], "")
    stale_payload, stale = signed(event, timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidWebhook, match="tolerance"):
        parse_webhook(stale_payload.encode(), stale["Stripe-Signature"], WEBHOOK_SECRET)
    not_event, header = signed(json.dumps({"id": "x"}))
    with pytest.raises(InvalidWebhook, match="not a Stripe event"):
        parse_webhook(not_event.encode(), header["Stripe-Signature"], WEBHOOK_SECRET)
