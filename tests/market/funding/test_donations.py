"""Donations by residents and firms, and pool top-ups by funders: online through Checkout, offline by bank transfer."""
from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.db import db
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.payments.models import PaymentMethod, PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project, ProjectStatus
from tests.market.payments.helpers import assert_ledger_ok, checkout_event, deliver

OFFLINE_NOTICE = ("Online payment is not configured: this is recorded as a bank-transfer pledge; the district "
                  "finance office confirms it when the money arrives.")


def _orders():
    return db.session.scalars(select(PaymentOrder).order_by(PaymentOrder.id)).all()


def test_offline_donation_is_a_bank_transfer_pledge(public_project, make_user, make_browser):
    project = public_project(budget_cents=1_000_000)
    browser = make_browser()
    browser.login(make_user(Role.RESIDENT))
    detail = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert OFFLINE_NOTICE in detail and "Still needed" in detail
    page = browser.get(f"/funding/projects/{project.id}/donate").get_data(as_text=True)
    assert OFFLINE_NOTICE in page and "Record my bank-transfer pledge" in page
    response = browser.post(f"/funding/projects/{project.id}/donate", {"amount": "200", "anonymous": "y"})
    [order] = _orders()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/payments/orders/{order.id}")
    assert (order.method, order.status, order.amount_cents, order.anonymous) == (
        PaymentMethod.BANK_TRANSFER, PaymentStatus.PENDING, 20_000, True)
    assert db.session.get(Project, project.id).funded_cents == 0
    follow = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert order.reference in follow and OFFLINE_NOTICE in follow


def test_online_donation_goes_to_stripe_checkout(online, public_project, make_user, make_browser, client):
    project = public_project(budget_cents=1_000_000)
    donor = make_user(Role.RESIDENT)
    browser = make_browser()
    browser.login(donor)
    page = browser.get(f"/funding/projects/{project.id}/donate").get_data(as_text=True)
    assert OFFLINE_NOTICE not in page and "Pay online" in page
    response = browser.post(f"/funding/projects/{project.id}/donate", {"amount": "88.80"})
    [order] = _orders()
    assert response.status_code == 303 and response.headers["Location"] == order.checkout_url
    [call] = online.calls("/v1/checkout/sessions")
    assert call.form["line_items[0][price_data][unit_amount]"] == "8880"
    assert call.form["metadata[order_id]"] == str(order.id) and call.form["metadata[project_id]"] == str(project.id)
    assert call.headers["idempotency-key"] == f"checkout-order-{order.id}"
    assert call.form["success_url"].endswith(f"/payments/orders/{order.id}/success?session_id={{CHECKOUT_SESSION_ID}}")
    assert call.form["customer_email"] == donor.email
    deliver(client, checkout_event(order))
    db.session.expire_all()
    assert db.session.get(Project, project.id).funded_cents == 8_880
    detail = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert donor.display_name in detail and "¥88.80" in detail
    assert_ledger_ok()


def test_donation_rules(public_project, make_user, make_browser, make_org, donated):
    project = public_project(budget_cents=100_000)
    donated(project, 60_000)
    orders_before = len(_orders())
    browser = make_browser()
    browser.login(make_user(Role.RESIDENT))
    url = f"/funding/projects/{project.id}/donate"
    too_small = browser.post(url, {"amount": "9.99"})
    assert too_small.status_code == 400 and "At least ¥10" in too_small.get_data(as_text=True)
    too_big = browser.post(url, {"amount": "400.01"})
    assert too_big.status_code == 400 and "at most ¥400" in too_big.get_data(as_text=True)
    assert browser.post(url, {"amount": "-5"}).status_code == 400
    assert browser.post(url, {"amount": "lots"}).status_code == 400
    assert browser.post(url, {"amount": "100", "as_organisation": "y"}).status_code == 400  # no organisation
    assert browser.post(url, {"amount": "300"}, csrf=False).status_code == 400
    assert len(_orders()) == orders_before
    assert browser.post(url, {"amount": "300"}).status_code == 302
    # The pending 300 is reserved: only 100 more fits until it is paid or refused.
    assert browser.post(url, {"amount": "100.01"}).status_code == 400
    firm = make_org(OrgKind.ENTERPRISE)
    member = make_browser()
    member.login(make_user(Role.PROVIDER, organization=firm))
    assert member.post(url, {"amount": "100", "as_organisation": "y"}).status_code == 302
    assert _orders()[-1].payer_org_id == firm.id
    assert db.session.get(Project, project.id).funded_cents == 60_000  # pending pledges are not money yet
    assert_ledger_ok()


def test_no_donations_to_projects_not_seeking_funds(public_project, make_project, make_user, make_browser):
    browser = make_browser()
    browser.login(make_user(Role.RESIDENT))
    for project in (public_project(status=ProjectStatus.IN_PROGRESS), make_project()):
        response = browser.post(f"/funding/projects/{project.id}/donate", {"amount": "100"})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/projects/{project.id}")
    draft = public_project(status=ProjectStatus.DRAFT)
    assert browser.get(f"/funding/projects/{draft.id}/donate").status_code == 404
    assert browser.get("/funding/projects/999999/donate").status_code == 404
    assert _orders() == []


def test_donating_needs_an_account(public_project, client):
    project = public_project()
    assert client.get(f"/funding/projects/{project.id}/donate").status_code == 302


def test_pool_top_up_by_its_funder(funder, make_user, make_browser, online, client):
    user, pool = funder(total_cents=1_000_000, remaining_cents=100_000)
    browser = make_browser()
    browser.login(user)
    assert "Top up" in browser.get(f"/funds/{pool.id}").get_data(as_text=True)
    assert browser.post(f"/funding/pools/{pool.id}/top-up", {"amount": "99"}).status_code == 400
    response = browser.post(f"/funding/pools/{pool.id}/top-up", {"amount": "5000"})
    [order] = _orders()
    assert response.status_code == 303 and order.purpose == PaymentPurpose.POOL_TOPUP and order.payer_org_id == pool.funder_id
    assert online.calls("/v1/checkout/sessions")[0].form["metadata[pool_id]"] == str(pool.id)
    deliver(client, checkout_event(order))
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.declared_cents, pool.received_cents, pool.remaining_cents) == (1_000_000, 600_000, 600_000)
    assert_ledger_ok()
    dashboard = browser.get("/dashboard").get_data(as_text=True)
    assert "My organisation&#39;s pledges and top-ups" in dashboard or "pledges and top-ups" in dashboard


def test_only_the_funder_tops_up(funder, make_user, make_browser):
    _, pool = funder()
    browser = make_browser()
    browser.login(make_user(Role.FUNDER))
    assert "Top up" not in browser.get(f"/funds/{pool.id}").get_data(as_text=True)
    assert browser.get(f"/funding/pools/{pool.id}/top-up").status_code == 403
    assert browser.post(f"/funding/pools/{pool.id}/top-up", {"amount": "5000"}).status_code == 403
    assert db.session.scalar(select(func.count(PaymentOrder.id))) == 0


def test_unpaid_transfer_promises_do_not_block_a_project_for_ever(public_project, make_user, make_browser):
    """Attack: a resident promised bank transfers for a project's whole remaining need and never paid: the
    promises kept the project "fully funded" for ever and nobody else could give. A promise holds the room
    for a week, one promise per donor and project at a time; a late transfer still counts when it arrives."""
    from datetime import timedelta

    from market.core.db import utcnow
    from market.funding import services as funding
    from market.payments import services as payments

    project = public_project(budget_cents=100_000)
    squatter = make_browser()
    squatter_user = make_user(Role.RESIDENT)
    squatter.login(squatter_user)
    assert squatter.post(f"/funding/projects/{project.id}/donate", {"amount": "600"}).status_code == 302
    again = squatter.post(f"/funding/projects/{project.id}/donate", {"amount": "400"})
    assert again.status_code == 400 and "still awaiting confirmation" in again.get_data(as_text=True)
    [promise] = _orders()
    order_page = squatter.get(f"/payments/orders/{promise.id}").get_data(as_text=True)
    assert "The project keeps this amount for you until" in order_page
    other = make_browser()
    other.login(make_user(Role.RESIDENT))
    assert "at most ¥400" in other.post(f"/funding/projects/{project.id}/donate",
                                        {"amount": "500"}).get_data(as_text=True)
    project = db.session.get(Project, project.id)
    later = utcnow() + payments.BANK_TRANSFER_HOLD + timedelta(minutes=1)
    assert funding.funding_summary(project).room == 40_000
    assert funding.funding_summary(project, now=later).room == 100_000
    promise.created_at = utcnow() - payments.BANK_TRANSFER_HOLD - timedelta(minutes=1)  # a week has passed
    db.session.commit()
    assert other.post(f"/funding/projects/{project.id}/donate", {"amount": "1000"}).status_code == 302
    assert squatter.post(f"/funding/projects/{project.id}/donate", {"amount": "1"}).status_code == 400  # no room
    official = make_browser()
    official.login(make_user(Role.OFFICIAL))
    assert official.post(f"/payments/orders/{promise.id}/confirm").status_code == 302  # the money came late
    db.session.expire_all()
    assert db.session.get(Project, project.id).funded_cents == 60_000
    assert_ledger_ok()
