"""How money reaches the demo's pools and projects: through the payment services, offline.

A pool holds money only once an appropriation (a government department's, confirmed by another
official of the department) or a top-up (a funder's bank transfer, confirmed by a district
official) arrived; a project only once a bank transfer to it was confirmed by an official
responsible for its street. Every step is the service's own: policy checked, ledger movement,
audit event. The demo passes the clock (``now``) so that two loads give the same rows.
"""
from __future__ import annotations

from datetime import datetime

from market.accounts.models import User
from market.funding import services as funding
from market.funds.models import FundingPool
from market.payments import services as payments
from market.payments.models import PaymentOrder, PaymentPurpose
from market.projects.models import Project

CURRENCY = "cny"


def no_urls(order: PaymentOrder) -> tuple[str, str]:
    """Return URLs of an online payment: none, the demo pays offline."""
    return "", ""


def appropriate(requester: User, confirmer: User, pool: FundingPool, amount_cents: int, document_ref: str, *,
                requested_at: datetime, confirmed_at: datetime) -> PaymentOrder:
    """A department's budget money into its pool: one official requests it, another confirms it arrived."""
    order = payments.request_appropriation(requester, pool, amount_cents, document_ref, now=requested_at,
                                           currency=CURRENCY)
    return payments.confirm_appropriation(confirmer, order, now=confirmed_at)


def top_up(member: User, official: User, pool: FundingPool, amount_cents: int, *, at: datetime,
           confirmed_at: datetime) -> PaymentOrder:
    """A funder's member announces a bank transfer into the pool; a district official confirms it arrived."""
    order = funding.top_up_pool(member, pool, amount_cents, gateway=None, now=at, currency=CURRENCY,
                                return_urls=no_urls)
    return payments.confirm_bank_transfer(official, order, now=confirmed_at)


def receive(payer: User, official: User, project: Project, amount_cents: int, *, at: datetime,
            confirmed_at: datetime) -> PaymentOrder:
    """Money that reached a public-benefit project by bank transfer, confirmed by ``official``.

    While the project seeks funds this is a donation as the project page makes it; for a project
    the demo creates in a later status (awarded, in progress, cancelled, ...) it is the transfer
    made back when it still sought funds, through the same payment service.
    """
    if funding.seeks_funds(project):
        order = funding.donate(payer, project, funding.DonationInput(amount_cents), gateway=None, now=at,
                               currency=CURRENCY, return_urls=no_urls)
    else:
        order = payments.start_payment(payer, payments.PaymentRequest(
            purpose=PaymentPurpose.DONATION, amount_cents=amount_cents, currency=CURRENCY,
            product_name=project.title, description=project.title_en or project.title, project=project),
            gateway=None, now=at, return_urls=no_urls)
    return payments.confirm_bank_transfer(official, order, now=confirmed_at)
