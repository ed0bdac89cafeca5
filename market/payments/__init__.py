"""Payments: Stripe Checkout and Connect transfers, signed webhooks, and the offline bank-transfer mode."""
