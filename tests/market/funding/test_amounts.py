"""Every money form reads amounts with the one amount parser: what is not plainly yuan and fen is a
field error (400), never a crash and never a silently rounded or exponent-scaled sum.

Attack: the old amount field was a ``DecimalField``. ``Infinity`` and ``sNaN`` made it raise inside the
request (500), ``1e5`` and ``1_000`` were read as 100000 and 1000 yuan, ``10.005`` was quietly rounded
to 10.00, and ``99999999999999999999`` passed the form and overflowed the database column (500).
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.funding.models import MatchingCampaign, Pledge
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.payments.models import PaymentOrder
from tests.market.payments.helpers import assert_ledger_ok, field_errors

NOT_YUAN = "Type an amount in yuan, for example 1200 or 1200.50."
BAD_AMOUNTS = {
    "Infinity": NOT_YUAN,
    "NaN": NOT_YUAN,
    "sNaN": NOT_YUAN,
    "1e5": NOT_YUAN,
    "1_000": NOT_YUAN,
    "10.005": "At most two decimal places (fen).",
    "-1": "Cannot be negative.",
    "99999999999999999999": "Too large: at most ¥1,000,000,000,000.",
    "١٢٠٠": NOT_YUAN,
}


def _written():
    """Everything a money form could write: orders, pledges, pools and their money, campaigns, audit events."""
    pools = db.session.execute(select(FundingPool.id, FundingPool.declared_cents, FundingPool.received_cents,
                                      FundingPool.remaining_cents, FundingPool.max_grant_cents)
                               .order_by(FundingPool.id)).all()
    return (db.session.scalar(select(func.count(PaymentOrder.id))), db.session.scalar(select(func.count(Pledge.id))),
            db.session.scalar(select(func.count(MatchingCampaign.id))),
            db.session.scalar(select(func.count(AuditEvent.id))), [tuple(p) for p in pools])


def _refused_everywhere(browser, url, data, field="amount"):
    db.session.expire_all()
    before = _written()
    for raw, message in BAD_AMOUNTS.items():
        response = browser.post(url, {**data, field: raw})
        assert response.status_code == 400, (url, raw, response.status_code)
        assert field_errors(response.get_data(as_text=True), field) == [message], (url, raw)
    db.session.expire_all()
    assert _written() == before, url
    assert_ledger_ok()


@pytest.fixture
def foundation(make_org, make_user, make_pool):
    org = make_org(OrgKind.FOUNDATION, categories=())
    return make_user(Role.FUNDER, organization=org), make_pool(funder=org, total_cents=10_000_000)


def test_donation_form(public_project, make_user, make_browser):
    project = public_project()
    browser = make_browser()
    browser.login(make_user(Role.RESIDENT))
    _refused_everywhere(browser, f"/funding/projects/{project.id}/donate", {})


def test_pledge_form(foundation, public_project, make_browser):
    user, pool = foundation
    project = public_project()
    browser = make_browser()
    browser.login(user)
    _refused_everywhere(browser, f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id})


def test_top_up_form(foundation, make_browser):
    user, pool = foundation
    browser = make_browser()
    browser.login(user)
    _refused_everywhere(browser, f"/funding/pools/{pool.id}/top-up", {})


def test_appropriation_form(make_org, make_user, make_pool, make_browser):
    department = make_org(OrgKind.GOVERNMENT, categories=())
    pool = make_pool(funder=department, remaining_cents=0)
    browser = make_browser()
    browser.login(make_user(Role.OFFICIAL, organization=department))
    _refused_everywhere(browser, f"/funding/pools/{pool.id}/appropriation", {"document_ref": "福财预〔2027〕12号"})


def test_campaign_form(foundation, public_project, make_browser):
    from market.core.db import utcnow

    user, pool = foundation
    project = public_project()
    browser = make_browser()
    browser.login(user)
    today = utcnow().date()
    _refused_everywhere(browser, f"/funding/pools/{pool.id}/campaigns/new", {
        "name": "配捐", "rule": "one_to_one", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
        "project_ids": [str(project.id)]})


@pytest.mark.parametrize("field", ["total", "max_grant"])
def test_pool_forms(foundation, make_browser, field):
    user, pool = foundation
    browser = make_browser()
    browser.login(user)
    data = {"name": "长者关爱基金", "name_en": "Elder Care Fund", "year": "2026", "total": "2000000",
            "max_grant": "300000", "max_share_percent": "50", "is_open": "y"}
    _refused_everywhere(browser, "/funds/new", data, field)
    _refused_everywhere(browser, f"/funds/{pool.id}/edit", data, field)
