"""Payment pages: bank transfers confirmed by officials, return pages, connected-account settings."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.audit.models import AuditEvent
from market.db import db, utcnow
from market.orgs.models import Organization
from market.payments import services
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project

OFFLINE_NOTICE = "Online payment is not configured: this is recorded as a bank-transfer pledge"


@pytest.fixture
def bank_order(app, make_user, public_project):
    def make(amount_cents=20_000, payer=None):
        payer = payer or make_user(Role.RESIDENT)
        project = public_project()
        order = services.start_payment(payer, services.PaymentRequest(
            purpose=PaymentPurpose.DONATION, amount_cents=amount_cents, currency="cny", product_name="x",
            project=project), gateway=None, now=utcnow(), return_urls=lambda o: ("", ""))
        db.session.commit()
        return order
    return make


def _funded(order):
    db.session.expire_all()
    return db.session.get(Project, db.session.get(PaymentOrder, order.id).project_id).funded_cents


def test_bank_transfer_pledge_counts_only_after_an_official_confirms(bank_order, make_user, make_browser):
    order = bank_order(amount_cents=35_000)
    assert order.method == "bank_transfer" and order.status == PaymentStatus.PENDING and _funded(order) == 0
    payer = make_browser()
    payer.login(order.payer)
    page = payer.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert OFFLINE_NOTICE in page and order.reference in page and "The money arrived" not in page
    assert payer.post(f"/payments/orders/{order.id}/confirm").status_code == 403
    assert _funded(order) == 0

    official = make_browser()
    official.login(make_user(Role.OFFICIAL))
    queue = official.get("/payments/transfers").get_data(as_text=True)
    assert order.reference in queue
    found = official.get(f"/payments/transfers?ref={order.reference.lower()}").get_data(as_text=True)
    assert "Found" in found
    assert official.post(f"/payments/orders/{order.id}/confirm", {"next": "queue"}).headers["Location"].endswith(
        "/payments/transfers")
    assert _funded(order) == 35_000
    # Confirming twice (a double click) does not count twice.
    assert official.post(f"/payments/orders/{order.id}/confirm").status_code == 409
    assert _funded(order) == 35_000
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.received"))
    assert audit.after["source"] == "bank_transfer" and audit.after["funded_cents"] == 35_000


def test_official_records_a_transfer_that_never_came(bank_order, make_user, make_browser):
    order = bank_order()
    official = make_browser()
    official.login(make_user(Role.OFFICIAL))
    assert official.post(f"/payments/orders/{order.id}/reject", {"reason": "无到账记录"}).status_code == 302
    db.session.expire_all()
    order = db.session.get(PaymentOrder, order.id)
    assert order.status == PaymentStatus.CANCELLED and order.failure_message == "无到账记录" and _funded(order) == 0
    assert official.post(f"/payments/orders/{order.id}/confirm").status_code == 409


def test_orders_are_private_to_payer_and_officials(bank_order, make_user, make_browser, client):
    order = bank_order()
    other = make_browser()
    other.login(make_user(Role.RESIDENT))
    assert other.get(f"/payments/orders/{order.id}").status_code == 404
    assert other.get(f"/payments/orders/{order.id}/success").status_code == 404
    assert other.get("/payments/orders/999999").status_code == 404
    assert client.get(f"/payments/orders/{order.id}").status_code == 302  # to the log-in page
    assert other.get("/payments/transfers").status_code == 403


def test_success_page_does_not_count_money(online, checkout_order, make_browser):
    order = checkout_order(amount_cents=10_000)
    browser = make_browser()
    browser.login(order.payer)
    page = browser.get(f"/payments/orders/{order.id}/success?session_id={order.checkout_session_id}")
    assert page.status_code == 200 and "Stripe is confirming your payment" in page.get_data(as_text=True)
    assert _funded(order) == 0 and db.session.get(PaymentOrder, order.id).status == PaymentStatus.PENDING
    cancelled = browser.get(f"/payments/orders/{order.id}/cancel").get_data(as_text=True)
    assert "Nothing was charged" in cancelled and OFFLINE_NOTICE not in cancelled


def test_members_set_their_organisations_connected_account(make_org, make_user, make_browser):
    org = make_org()
    member = make_browser()
    member.login(make_user(Role.PROVIDER, organization=org))
    page = member.get(f"/payments/organizations/{org.id}/settings").get_data(as_text=True)
    assert "Stripe Connect account id" in page and OFFLINE_NOTICE in page
    assert member.post(f"/payments/organizations/{org.id}/settings", {"stripe_account_id": "not-an-account"}
                       ).status_code == 400
    assert member.post(f"/payments/organizations/{org.id}/settings", {"stripe_account_id": " acct_1Abc234Def "}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stripe_account_id == "acct_1Abc234Def"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "organization.stripe_account")) == 1
    outsider = make_browser()
    outsider.login(make_user(Role.PROVIDER, organization=make_org()))
    assert outsider.get(f"/payments/organizations/{org.id}/settings").status_code == 403
    assert outsider.post(f"/payments/organizations/{org.id}/settings", {"stripe_account_id": "acct_1Evil00001"}
                         ).status_code == 403
    assert member.post(f"/payments/organizations/{org.id}/settings", {"stripe_account_id": "acct_1Abc234Def"},
                       csrf=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stripe_account_id == "acct_1Abc234Def"


def test_stripe_outage_keeps_a_failed_order_and_charges_nothing(online, public_project, make_user, make_browser):
    project = public_project()
    online.fail_next("/v1/checkout/sessions", 500)
    browser = make_browser()
    browser.login(make_user(Role.RESIDENT))
    response = browser.post(f"/funding/projects/{project.id}/donate", {"amount": "50"}, follow_redirects=True)
    assert response.status_code == 200 and "did not answer" in response.get_data(as_text=True)
    order = db.session.scalar(select(PaymentOrder))
    assert order.status == PaymentStatus.FAILED and _funded(order) == 0
