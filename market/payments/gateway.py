"""The one place that talks to Stripe.

Services receive a :class:`StripeGateway` (or ``None`` for offline mode) and never
import ``stripe`` themselves; :func:`gateway_from_config` builds one from the app's
settings. Every outgoing call carries an idempotency key chosen by the caller from
the business operation (``checkout-order-<id>``, ``payout-milestone-<id>``), so a
retried call can never charge or pay twice.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import stripe

DEFAULT_PAYMENT_METHODS = ("card",)
# Methods Stripe Checkout accepts in ``payment_method_types`` that this app knows how to configure.
KNOWN_PAYMENT_METHODS = ("card", "alipay", "wechat_pay")
WEBHOOK_TOLERANCE_SECONDS = 300


class GatewayError(Exception):
    """A call to Stripe failed. ``message`` is safe to show; ``code`` is Stripe's error code if any."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retryable = retryable


class InvalidWebhook(Exception):
    """The webhook's signature is missing, wrong or too old, or the body is not an event."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    payment_status: str
    expires_at: int | None = None


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str


def parse_payment_methods(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"card,alipay,wechat_pay"`` → ``("card", "alipay", "wechat_pay")``; unknown names raise ``ValueError``."""
    if value is None or value == "":
        return DEFAULT_PAYMENT_METHODS
    items = value.split(",") if isinstance(value, str) else list(value)
    methods = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [m for m in methods if m not in KNOWN_PAYMENT_METHODS]
    if unknown:
        raise ValueError(f"MARKET_PAYMENT_METHODS: unknown payment method(s) {', '.join(unknown)}; "
                         f"use {', '.join(KNOWN_PAYMENT_METHODS)}")
    return methods or DEFAULT_PAYMENT_METHODS


class StripeGateway:
    """Stripe Checkout for money in, Connect transfers for money out, signed webhooks."""

    online = True

    def __init__(self, secret_key: str, webhook_secret: str = "", *, currency: str = "cny",  # nosec B107 (empty: offline mode)
                 payment_methods: Sequence[str] = DEFAULT_PAYMENT_METHODS, api_base: str | None = None,
                 max_network_retries: int = 2, webhook_tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> None:
        if not secret_key:
            raise ValueError("secret_key: required for the Stripe gateway")
        self.currency = currency.lower()
        self.payment_methods = tuple(payment_methods)
        self.webhook_secret = webhook_secret
        self.webhook_tolerance = webhook_tolerance
        base_addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(secret_key, base_addresses=base_addresses,
                                          max_network_retries=max_network_retries)

    # -- money in -----------------------------------------------------------

    def checkout_params(self, *, amount_cents: int, product_name: str, description: str, success_url: str,
                        cancel_url: str, metadata: Mapping[str, str], client_reference_id: str,
                        customer_email: str | None = None, expires_at: int | None = None) -> dict[str, Any]:
        """The Checkout Session parameters for one payment of ``amount_cents``."""
        params: dict[str, Any] = {
            "mode": "payment",
            "payment_method_types": list(self.payment_methods),
            "line_items": [{
                "quantity": 1,
                "price_data": {"currency": self.currency, "unit_amount": amount_cents,
                               "product_data": {"name": product_name[:250], "description": description[:500]}},
            }],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": client_reference_id,
            "metadata": dict(metadata),
            "payment_intent_data": {"metadata": dict(metadata), "description": product_name[:250]},
        }
        if "wechat_pay" in self.payment_methods:
            # Stripe requires the client type for WeChat Pay; the web client shows a QR code.
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        if customer_email:
            params["customer_email"] = customer_email
        if expires_at:
            params["expires_at"] = expires_at
        return params

    def create_checkout_session(self, params: Mapping[str, Any], *, idempotency_key: str) -> CheckoutSession:
        try:
            session = self.client.v1.checkout.sessions.create(params=dict(params),  # type: ignore[arg-type]
                                                              options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error) from error
        return CheckoutSession(id=session.id, url=session.url or "", payment_status=session.payment_status,
                               expires_at=getattr(session, "expires_at", None))

    # -- money out ----------------------------------------------------------

    def create_transfer(self, *, amount_cents: int, destination: str, idempotency_key: str,
                        metadata: Mapping[str, str], transfer_group: str = "", description: str = "") -> Transfer:
        """A Connect transfer from the platform's balance to ``destination`` (no Stripe-Account header)."""
        params: dict[str, Any] = {"amount": amount_cents, "currency": self.currency, "destination": destination,
                                  "metadata": dict(metadata)}
        if transfer_group:
            params["transfer_group"] = transfer_group
        if description:
            params["description"] = description[:500]
        try:
            transfer = self.client.v1.transfers.create(params=params,  # type: ignore[arg-type]
                                                       options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error) from error
        return Transfer(id=transfer.id, amount=transfer.amount, currency=transfer.currency,
                        destination=str(transfer.destination))

    def create_refund(self, *, payment_intent: str, amount_cents: int, idempotency_key: str) -> str:
        """Refund ``amount_cents`` of a payment; returns the refund's id."""
        try:
            refund = self.client.v1.refunds.create(params={"payment_intent": payment_intent,  # type: ignore[arg-type]
                                                           "amount": amount_cents},
                                                   options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error) from error
        return str(refund.id)

    # -- webhooks -----------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        return parse_webhook(payload, signature_header, self.webhook_secret, tolerance=self.webhook_tolerance)


def _signature_time(header: str) -> int | None:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def parse_webhook(payload: bytes, signature_header: str | None, secret: str,
                  *, tolerance: int = WEBHOOK_TOLERANCE_SECONDS, now: float | None = None) -> dict[str, Any]:
    """Verify the ``Stripe-Signature`` header (HMAC and timestamp) and return the event as a dict."""
    if not secret:
        raise InvalidWebhook("webhook secret not configured")
    try:
        payload.decode("utf-8")  # Stripe's check decodes it and would raise on anything else
    except UnicodeDecodeError as error:
        raise InvalidWebhook("body is not UTF-8") from error
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(str(error)) from error
    # Stripe's check refuses signatures that are too old; one dated in the future is refused too.
    stamp = _signature_time(signature_header or "")
    if stamp is None or stamp > (now if now is not None else time.time()) + tolerance:
        raise InvalidWebhook("timestamp outside the tolerance")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than any event is
        raise InvalidWebhook("body is not JSON") from error
    if not isinstance(event, dict) or event.get("object") != "event" or not isinstance(event.get("id"), str) \
            or not isinstance(event.get("type"), str) or not isinstance(event.get("data"), dict):
        raise InvalidWebhook("body is not a Stripe event")
    return event


def _gateway_error(error: stripe.StripeError) -> GatewayError:
    status = error.http_status
    code = error.code or ""
    message = error.user_message or str(error) or "Stripe did not answer."
    # 4xx other than 409/429 will fail the same way again until something changes (an account id, a balance).
    retryable = status is None or status >= 500 or status in (409, 429)
    return GatewayError(message, code=code, status=status, retryable=retryable)


def settings_defaults() -> dict[str, Any]:
    """Payment settings read from the environment (added to ``app.config`` when absent)."""
    return {
        "PAYMENT_METHODS": os.environ.get("MARKET_PAYMENT_METHODS", "card"),
        "STRIPE_API_BASE": os.environ.get("MARKET_STRIPE_API_BASE", ""),
        "STRIPE_MAX_NETWORK_RETRIES": int(os.environ.get("MARKET_STRIPE_MAX_NETWORK_RETRIES", "2")),
        "PAYMENT_BANK_DETAILS": os.environ.get("MARKET_BANK_DETAILS", ""),
    }


def gateway_from_config(config: Mapping[str, Any]) -> StripeGateway | None:
    """A Stripe gateway when ``STRIPE_SECRET_KEY`` is set, else ``None`` (offline mode: bank transfers)."""
    secret = config.get("STRIPE_SECRET_KEY") or ""
    if not secret:
        return None
    return StripeGateway(
        secret, config.get("STRIPE_WEBHOOK_SECRET") or "",
        currency=config.get("CURRENCY") or "cny",
        payment_methods=parse_payment_methods(config.get("PAYMENT_METHODS")),
        api_base=config.get("STRIPE_API_BASE") or None,
        max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
    )


def current_gateway() -> StripeGateway | None:
    """The gateway for the running Flask app (a factory for routes and callers without one)."""
    from flask import current_app

    return gateway_from_config(current_app.config)
