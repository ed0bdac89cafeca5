"""Funding and payment panels render for every role and in both languages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from market.accounts.models import Role
from market.core.db import db, utcnow
from market.funding import services
from market.funding.models import MatchingRule
from market.payments import services as payments
from market.payments.models import PaymentPurpose
from tests.market.payments.helpers import assert_ledger_ok


@pytest.fixture
def scene(funder, public_project, make_user, make_milestone_like):
    user, pool = funder(total_cents=2_000_000)
    project = public_project(budget_cents=1_000_000)
    now = utcnow()
    services.pledge_from_pool(user, pool, project, 100_000, now=now)
    campaign = services.create_campaign(user, pool, services.CampaignInput(
        name="配捐", name_en="Match", rule=MatchingRule.ONE_TO_ONE, amount_cents=100_000,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5), project_ids=(project.id,)), now=now)
    resident = make_user(Role.RESIDENT)
    payments.start_payment(resident, payments.PaymentRequest(
        purpose=PaymentPurpose.DONATION, amount_cents=5_000, currency="cny", product_name="x", project=project),
        gateway=None, now=now, return_urls=lambda o: ("", ""))
    payments.request_payout(make_milestone_like(), gateway=None, now=now)
    db.session.commit()
    return {"funder": user, "pool": pool, "project": project, "campaign": campaign, "resident": resident,
            "official": make_user(Role.OFFICIAL)}


@pytest.fixture
def make_milestone_like(make_project, make_org):
    from datetime import date

    from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus

    def make():
        contract = Contract(project_id=make_project().id, provider_id=make_org().id, amount_cents=100_000,
                            status=ContractStatus.SIGNED)
        contract.milestones.append(Milestone(seq=1, title="阶段一", due_date=date(2026, 12, 1), amount_cents=100_000,
                                             status=MilestoneStatus.APPROVED))
        db.session.add(contract)
        db.session.flush()
        return contract.milestones[0]
    return make


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_render_for_each_role(scene, make_browser, lang):
    project, pool, campaign = scene["project"], scene["pool"], scene["campaign"]
    for who in ("funder", "resident", "official", None):
        browser = make_browser()
        if who:
            browser.login(scene[who])
        browser.get(f"/lang/{lang}")
        urls = [f"/projects/{project.id}", f"/funds/{pool.id}", "/funding/campaigns", f"/funding/campaigns/{campaign.id}"]
        if who:
            urls += ["/dashboard", f"/funding/projects/{project.id}/donate"]
        if who == "funder":
            urls += [f"/funding/projects/{project.id}/pledge", f"/funding/pools/{pool.id}/top-up",
                     f"/funding/pools/{pool.id}/campaigns/new"]
        if who == "official":
            urls += ["/payments/transfers"]
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, (who, lang, url)
    official = make_browser()
    official.login(scene["official"])
    dashboard = official.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Bank transfers awaiting confirmation" in dashboard and "Milestone payouts to confirm" in dashboard
    funder_dash = make_browser()
    funder_dash.login(scene["funder"])
    assert "pledges and top-ups" in funder_dash.get("/dashboard?lang=en").get_data(as_text=True)
    assert_ledger_ok()
