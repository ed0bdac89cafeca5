"""Refunds: the district finance office pays received money back while it is still unspent, once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core import ledger
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied
from market.funding import services as funding
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.payments import services
from market.payments.models import PaymentOrder, PaymentStatus
from market.projects.models import Project
from tests.market.payments.helpers import assert_ledger_ok, checkout_event, deliver

REASON = "捐赠人申请退款，核实无误。"


def _refunds():
    return db.session.scalars(select(ledger.Transfer).where(ledger.Transfer.movement == ledger.Movement.REFUND)
                              .order_by(ledger.Transfer.id)).all()


def _order(order):
    db.session.expire_all()
    return db.session.get(PaymentOrder, order.id)


def test_a_received_donation_is_refunded_once_by_the_district(public_project, donated, make_user, make_browser, geo):
    """A donation the project still holds goes back to the payer as a ledger REFUND, by a district
    official only (the finance office), and only once."""
    project = public_project(street=geo.streets[0], budget_cents=1_000_000)
    kept = donated(project, 30_000)
    order = donated(project, 50_000)
    assert db.session.get(Project, project.id).funded_cents == 80_000
    street_user = make_user(Role.OFFICIAL, street=geo.streets[0])
    street = make_browser()
    street.login(street_user)
    assert street.post(f"/payments/orders/{order.id}/refund", {"reason": REASON}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.refund_payment(street_user, order, reason=REASON, gateway=None, now=utcnow())
    db.session.rollback()
    payer = make_browser()
    payer.login(order.payer)
    assert "Pay the money back" not in payer.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert payer.post(f"/payments/orders/{order.id}/refund", {"reason": REASON}).status_code == 403
    assert _refunds() == []

    district = make_browser()
    district.login(make_user(Role.OFFICIAL))
    assert "Pay the money back" in district.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert district.post(f"/payments/orders/{order.id}/refund", {"reason": ""}).status_code == 400
    response = district.post(f"/payments/orders/{order.id}/refund", {"reason": REASON})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/payments/orders/{order.id}")
    assert _order(order).status == PaymentStatus.REFUNDED and _order(kept).status == PaymentStatus.PAID
    assert db.session.get(Project, project.id).funded_cents == 30_000
    [refund] = _refunds()
    assert (refund.amount_cents, refund.key, refund.project_id) == (50_000, f"refund:{order.id}", project.id)
    assert {(p.account_kind, p.account_ref, p.amount_cents) for p in refund.postings} == {
        (ledger.AccountKind.PROJECT, project.id, -50_000), (ledger.AccountKind.OUTSIDE, 0, 50_000)}
    assert_ledger_ok()

    again = district.post(f"/payments/orders/{order.id}/refund", {"reason": REASON})
    assert again.status_code == 409 and "Only received money can be refunded." in again.get_data(as_text=True)
    assert len(_refunds()) == 1 and db.session.get(Project, project.id).funded_cents == 30_000
    assert "Refunded" in district.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert_ledger_ok()


def test_money_already_pledged_cannot_be_refunded(make_org, make_user, make_pool, make_browser, public_project):
    """A top-up the pool has since pledged to a project is spent: refunding it would take money the
    project was promised. The refund is refused with a clear 409 and nothing moves."""
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    pool = make_pool(funder=foundation, total_cents=1_000_000, remaining_cents=0)
    order = funding.top_up_pool(funder, pool, 200_000, gateway=None, now=utcnow(), currency="cny",
                                return_urls=lambda o: ("", ""))
    district_user = make_user(Role.OFFICIAL)
    services.confirm_bank_transfer(district_user, order, now=utcnow())
    funding.pledge_from_pool(funder, pool, public_project(), 150_000, now=utcnow())
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        services.refund_payment(district_user, order, reason=REASON, gateway=None, now=utcnow())
    assert caught.value.code == "already_spent"
    db.session.rollback()
    district = make_browser()
    district.login(district_user)
    response = district.post(f"/payments/orders/{order.id}/refund", {"reason": REASON})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already pledged, reserved or paid out (only ¥500 of it is unspent)" in page
    assert _order(order).status == PaymentStatus.PAID and _refunds() == []
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.received_cents, pool.remaining_cents) == (200_000, 50_000)
    assert_ledger_ok()


def test_an_unspent_top_up_is_refunded_and_leaves_the_pools_received_money(make_org, make_user, make_pool):
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    pool = make_pool(funder=foundation, total_cents=1_000_000, remaining_cents=300_000)
    order = funding.top_up_pool(make_user(Role.FUNDER, organization=foundation), pool, 200_000, gateway=None,
                                now=utcnow(), currency="cny", return_urls=lambda o: ("", ""))
    district_user = make_user(Role.OFFICIAL)
    services.confirm_bank_transfer(district_user, order, now=utcnow())
    services.refund_payment(district_user, order, reason=REASON, gateway=None, now=utcnow())
    db.session.commit()
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.declared_cents, pool.received_cents, pool.remaining_cents) == (1_000_000, 300_000, 300_000)
    assert_ledger_ok()


def test_a_card_payment_is_refunded_through_stripe_or_not_at_all(client, checkout_order, online, make_user,
                                                                 make_browser):
    order = checkout_order(amount_cents=45_000)
    deliver(client, checkout_event(order))
    district = make_browser()
    district.login(make_user(Role.OFFICIAL))
    online.fail_next("/v1/refunds", 400, code="charge_disputed", message="The charge is disputed.")
    refused = district.post(f"/payments/orders/{order.id}/refund", {"reason": REASON})
    assert refused.status_code == 502 and "The charge is disputed." in refused.get_data(as_text=True)
    assert _order(order).status == PaymentStatus.PAID and _refunds() == []
    assert db.session.get(Project, order.project_id).funded_cents == 45_000
    assert_ledger_ok()
    assert district.post(f"/payments/orders/{order.id}/refund", {"reason": REASON}).status_code == 302
    calls = online.calls("/v1/refunds")
    assert [c.form for c in calls] == [{"payment_intent": f"pi_test_{order.id:06d}", "amount": "45000"}] * 2
    assert {c.headers["idempotency-key"] for c in calls} == {f"refund-order-{order.id}"}
    assert _order(order).status == PaymentStatus.REFUNDED
    assert db.session.get(Project, order.project_id).funded_cents == 0
    assert db.session.scalar(select(func.count(ledger.Transfer.id)).where(
        ledger.Transfer.movement == ledger.Movement.REFUND)) == 1
    assert_ledger_ok()
