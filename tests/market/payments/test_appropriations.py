"""Appropriations (拨款): a government department's budget money counts in its pool only after a second
official of the same department confirms it arrived (four eyes)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.payments import services
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus
from tests.market.payments.helpers import assert_ledger_ok

DOCUMENT = "福财预〔2027〕12号"


@pytest.fixture
def department(make_org, make_user, make_pool, geo):
    """A district department with an empty pool, two of its officials, an official of another
    department, a street official (of the street office) and a district official of no department."""
    dept = make_org(OrgKind.GOVERNMENT, categories=(), name="福田区民政局")

    class Department:
        org = dept
        pool = make_pool(funder=dept, total_cents=5_000_000, remaining_cents=0)
        requester = make_user(Role.OFFICIAL, organization=dept)
        colleague = make_user(Role.OFFICIAL, organization=dept)
        other_department = make_user(Role.OFFICIAL, organization=make_org(OrgKind.GOVERNMENT, categories=()))
        street_official = make_user(Role.OFFICIAL, street=geo.streets[0],
                                    organization=make_org(OrgKind.GOVERNMENT, categories=(), name="福田街道办事处"))
        finance_office = make_user(Role.OFFICIAL)

    return Department


def _pool(department):
    db.session.expire_all()
    pool = db.session.get(FundingPool, department.pool.id)
    return pool.received_cents, pool.remaining_cents


def test_an_appropriation_counts_only_once_another_official_of_the_department_confirms(department):
    """Attack: one department official alone put budget money into the department's pool -- the old pool
    edit turned a larger total into money, and the old finance queue let the same official confirm their
    own top-up. Now an appropriation is only announced by one official; the requester, an official of
    another department, a street official and the finance office cannot make it count."""
    d = department
    with pytest.raises(PermissionDenied):
        services.request_appropriation(d.other_department, d.pool, 2_000_000, DOCUMENT, now=utcnow())
    order = services.request_appropriation(d.requester, d.pool, 2_000_000, DOCUMENT, now=utcnow())
    db.session.commit()
    assert (order.purpose, order.status, order.document_ref) == (PaymentPurpose.APPROPRIATION, PaymentStatus.PENDING,
                                                                 DOCUMENT)
    assert _pool(d) == (0, 0)
    for intruder in (d.requester, d.other_department, d.street_official, d.finance_office):
        with pytest.raises(PermissionDenied):
            services.confirm_appropriation(intruder, order, now=utcnow())
        db.session.rollback()
        with pytest.raises(PermissionDenied):
            services.reject_bank_transfer(intruder, order, now=utcnow(), reason="未到账")
        db.session.rollback()
        assert not services.may_confirm(intruder, order)
    with pytest.raises(Conflict):  # the finance office confirms bank transfers, not appropriations
        services.confirm_bank_transfer(d.finance_office, order, now=utcnow())
    db.session.rollback()
    assert _pool(d) == (0, 0)
    assert db.session.get(PaymentOrder, order.id).status == PaymentStatus.PENDING
    assert_ledger_ok()

    assert services.may_confirm(d.colleague, order)
    services.confirm_appropriation(d.colleague, order, now=utcnow())
    db.session.commit()
    assert _pool(d) == (2_000_000, 2_000_000)
    order = db.session.get(PaymentOrder, order.id)
    assert order.status == PaymentStatus.PAID and order.confirmed_by_id == d.colleague.id
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.appropriation"))
    assert moved.actor_id == d.colleague.id and moved.after["to"] == f"pool:{d.pool.id}"
    with pytest.raises(Conflict):
        services.confirm_appropriation(d.colleague, order, now=utcnow())
    db.session.rollback()
    assert _pool(d) == (2_000_000, 2_000_000)
    assert_ledger_ok()


def test_only_a_government_pool_takes_appropriations(make_org, make_user, make_pool):
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    pool = make_pool(funder=foundation, remaining_cents=0)
    with pytest.raises(Conflict):
        services.request_appropriation(make_user(Role.FUNDER, organization=foundation), pool, 100_000, DOCUMENT,
                                       now=utcnow())


def test_appropriation_pages_refuse_all_but_a_colleague_of_the_requester(department, make_browser):
    d = department
    browsers = {}
    for name in ("requester", "colleague", "other_department", "street_official", "finance_office"):
        browsers[name] = make_browser()
        browsers[name].login(getattr(d, name))
    requester = browsers["requester"]
    assert "Record an appropriation" in requester.get(f"/funds/{d.pool.id}").get_data(as_text=True)
    assert browsers["other_department"].post(f"/funding/pools/{d.pool.id}/appropriation",
                                             {"amount": "20000", "document_ref": DOCUMENT}).status_code == 403
    assert requester.post(f"/funding/pools/{d.pool.id}/appropriation",
                          {"amount": "20000", "document_ref": "x"}).status_code == 400  # no document number
    response = requester.post(f"/funding/pools/{d.pool.id}/appropriation", {"amount": "20000", "document_ref": DOCUMENT})
    order = db.session.scalar(select(PaymentOrder).where(PaymentOrder.purpose == PaymentPurpose.APPROPRIATION))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/payments/orders/{order.id}")
    page = requester.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert DOCUMENT in page and "Another official of the department confirms" in page and "The money arrived" not in page

    for name in ("requester", "other_department", "street_official", "finance_office"):
        browser = browsers[name]
        assert order.reference not in browser.get("/payments/transfers").get_data(as_text=True), name
        assert browser.post(f"/payments/orders/{order.id}/confirm-appropriation").status_code == 403, name
        assert browser.post(f"/payments/orders/{order.id}/reject", {"reason": "未到账"}).status_code == 403, name
    assert requester.post(f"/payments/orders/{order.id}/confirm").status_code == 403  # their own payment
    assert browsers["finance_office"].post(f"/payments/orders/{order.id}/confirm").status_code == 409
    assert browsers["street_official"].post(f"/payments/orders/{order.id}/confirm").status_code == 403
    assert _pool(d) == (0, 0)
    assert_ledger_ok()

    colleague = browsers["colleague"]
    assert order.reference in colleague.get("/payments/transfers").get_data(as_text=True)
    assert "The money arrived" in colleague.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert colleague.post(f"/payments/orders/{order.id}/confirm-appropriation", {"next": "queue"}).status_code == 302
    assert _pool(d) == (2_000_000, 2_000_000)
    assert colleague.post(f"/payments/orders/{order.id}/confirm-appropriation").status_code == 409
    assert _pool(d) == (2_000_000, 2_000_000)
    assert_ledger_ok()


def test_a_colleague_records_an_appropriation_that_never_came(department, make_browser):
    d = department
    order = services.request_appropriation(d.requester, d.pool, 1_000_000, DOCUMENT, now=utcnow())
    db.session.commit()
    colleague = make_browser()
    colleague.login(d.colleague)
    assert colleague.post(f"/payments/orders/{order.id}/reject", {"reason": "国库未拨付"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PaymentOrder, order.id).status == PaymentStatus.CANCELLED
    assert colleague.post(f"/payments/orders/{order.id}/confirm-appropriation").status_code == 409
    assert _pool(d) == (0, 0)
    assert_ledger_ok()
