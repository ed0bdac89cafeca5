"""Payment pages: bank transfers confirmed by officials, return pages, connected-account settings."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.core.errors import PermissionDenied
from market.orgs.models import Organization
from market.payments import services
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project
from tests.market.payments.helpers import assert_ledger_ok

OFFLINE_NOTICE = "Online payment is not configured: this is recorded as a bank-transfer pledge"


@pytest.fixture
def bank_order(app, make_user, public_project):
    def make(amount_cents=20_000, payer=None, project=None):
        payer = payer or make_user(Role.RESIDENT)
        project = project or public_project()
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
    assert audit.after["source"] == "bank_transfer" and audit.after["amount_cents"] == 35_000
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.donation"))
    assert moved.after["balances"] == {f"project:{order.project_id}": 35_000}
    assert_ledger_ok()


def test_official_records_a_transfer_that_never_came(bank_order, make_user, make_browser):
    order = bank_order()
    official = make_browser()
    official.login(make_user(Role.OFFICIAL))
    assert official.post(f"/payments/orders/{order.id}/reject", {"reason": "无到账记录"}).status_code == 302
    db.session.expire_all()
    order = db.session.get(PaymentOrder, order.id)
    assert order.status == PaymentStatus.CANCELLED and order.failure_message == "无到账记录" and _funded(order) == 0
    assert official.post(f"/payments/orders/{order.id}/confirm").status_code == 409
    assert_ledger_ok()


def test_orders_are_private_to_payer_and_officials(bank_order, make_user, make_browser, client):
    order = bank_order()
    other = make_browser()
    other.login(make_user(Role.RESIDENT))
    assert other.get(f"/payments/orders/{order.id}").status_code == 404
    assert other.get(f"/payments/orders/{order.id}/success").status_code == 404
    assert other.get("/payments/orders/999999").status_code == 404
    # A visitor who is not logged in sees nothing of it, and cannot tell an order that exists from one that does not.
    anonymous, missing = client.get(f"/payments/orders/{order.id}"), client.get("/payments/orders/999999")
    assert anonymous.status_code == missing.status_code and anonymous.status_code in (302, 404)
    assert order.reference not in anonymous.get_data(as_text=True)
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


def test_street_officials_confirm_only_their_streets_transfers(bank_order, public_project, make_user, make_browser,
                                                              geo):
    """Attack: an official of another street confirmed (or refused) a resident's bank transfer to a project
    of 福田街道 without any sight of that street's account, counting money that may never have arrived; the
    old rule let every official confirm every transfer. Now only officials governing the project's street
    (or the district's) can, on the page, in the queue and in the service."""
    project = public_project(street=geo.streets[0])
    order = bank_order(amount_cents=40_000, project=project)
    rejected = bank_order(amount_cents=10_000, project=project)
    outsider_user = make_user(Role.OFFICIAL, street=geo.streets[1])
    outsider = make_browser()
    outsider.login(outsider_user)
    assert order.reference not in outsider.get("/payments/transfers").get_data(as_text=True)
    assert "The money arrived" not in outsider.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert outsider.post(f"/payments/orders/{order.id}/confirm").status_code == 403
    assert outsider.post(f"/payments/orders/{rejected.id}/reject", {"reason": "没看到"}).status_code == 403
    for act in (lambda: services.confirm_bank_transfer(outsider_user, order, now=utcnow()),
                lambda: services.reject_bank_transfer(outsider_user, rejected, now=utcnow(), reason="没看到")):
        with pytest.raises(PermissionDenied):
            act()
        db.session.rollback()
    db.session.expire_all()
    assert {db.session.get(PaymentOrder, o.id).status for o in (order, rejected)} == {PaymentStatus.PENDING}
    assert _funded(order) == 0
    assert_ledger_ok()

    own = make_browser()
    own.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert order.reference in own.get("/payments/transfers").get_data(as_text=True)
    assert own.post(f"/payments/orders/{order.id}/confirm").status_code == 302
    assert own.post(f"/payments/orders/{rejected.id}/reject", {"reason": "无到账记录"}).status_code == 302
    assert _funded(order) == 40_000
    assert db.session.get(PaymentOrder, rejected.id).status == PaymentStatus.CANCELLED
    assert_ledger_ok()


def test_pool_top_ups_are_confirmed_by_district_officials_only(make_pool, make_user, make_browser, make_org, geo):
    """Attack: a street official confirmed a foundation's bank-transfer top-up of a district-wide pool,
    putting money into the pool that the district finance office never saw (the old rule let any
    official confirm any transfer). A pool's money is the district's: only district officials confirm."""
    from market.funding import services as funding
    from market.funds.models import FundingPool
    from market.orgs.models import OrgKind

    foundation = make_org(OrgKind.FOUNDATION, categories=())
    pool = make_pool(funder=foundation, total_cents=1_000_000, remaining_cents=0)
    order = funding.top_up_pool(make_user(Role.FUNDER, organization=foundation), pool, 500_000, gateway=None,
                                now=utcnow(), currency="cny", return_urls=lambda o: ("", ""))
    db.session.commit()
    street_user = make_user(Role.OFFICIAL, street=geo.streets[0])
    street = make_browser()
    street.login(street_user)
    assert order.reference not in street.get("/payments/transfers").get_data(as_text=True)
    assert street.post(f"/payments/orders/{order.id}/confirm").status_code == 403
    assert street.post(f"/payments/orders/{order.id}/reject", {"reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.confirm_bank_transfer(street_user, order, now=utcnow())
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(FundingPool, pool.id).remaining_cents == 0
    district = make_browser()
    district.login(make_user(Role.OFFICIAL))
    assert order.reference in district.get("/payments/transfers").get_data(as_text=True)
    assert district.post(f"/payments/orders/{order.id}/confirm").status_code == 302
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.received_cents, pool.remaining_cents) == (500_000, 500_000)
    assert_ledger_ok()


def test_an_official_never_confirms_their_own_transfer(public_project, make_user, make_browser, make_org):
    """Attack: a district official announced a bank-transfer donation (or a top-up of their department's pool)
    and confirmed it themselves: money that never arrived counted, and a donation in the name of a verified
    organisation even drew matching money from a campaign. The payer never confirms their own payment;
    another official does. A department's pool takes no bank-transfer top-up at all: its money comes by
    appropriation, which another official of the department confirms."""
    from market.core.errors import Conflict
    from market.funding import services as funding
    from market.funds.models import FundingPool
    from market.orgs.models import OrgKind

    department = make_org(OrgKind.GOVERNMENT, categories=())
    payer_user = make_user(Role.OFFICIAL, organization=department)
    project = public_project()
    donation = funding.donate(payer_user, project, funding.DonationInput(amount_cents=50_000, as_organisation=True),
                              gateway=None, now=utcnow(), currency="cny", return_urls=lambda o: ("", ""))
    pool = FundingPool(funder_id=department.id, name="区民政局专项资金", declared_cents=1_000_000)
    db.session.add(pool)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        funding.top_up_pool(payer_user, pool, 300_000, gateway=None, now=utcnow(), currency="cny",
                            return_urls=lambda o: ("", ""))
    assert refused.value.code == "appropriation_only"
    db.session.rollback()
    payer = make_browser()
    payer.login(payer_user)
    assert donation.reference not in payer.get("/payments/transfers").get_data(as_text=True)
    assert "The money arrived" not in payer.get(f"/payments/orders/{donation.id}").get_data(as_text=True)
    assert payer.post(f"/payments/orders/{donation.id}/confirm").status_code == 403
    with pytest.raises(PermissionDenied):
        services.confirm_bank_transfer(payer_user, donation, now=utcnow())
    db.session.rollback()
    db.session.expire_all()
    assert (_funded(donation), db.session.get(FundingPool, pool.id).remaining_cents) == (0, 0)
    colleague = make_browser()
    colleague.login(make_user(Role.OFFICIAL))
    assert colleague.post(f"/payments/orders/{donation.id}/confirm").status_code == 302
    db.session.expire_all()
    assert _funded(donation) == 50_000
    assert_ledger_ok()
