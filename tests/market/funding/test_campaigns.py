"""Matching campaigns: money reserved from the pool, shared by the engine at close, the rest returned."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent, verify_chain
from market.core.calendar import local_date
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.funding import services
from market.funding.models import CampaignStatus, MatchingCampaign, MatchingRule
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.payments import services as payments
from market.payments.models import PaymentPurpose
from market.projects.models import Project
from tests.market.payments.helpers import assert_ledger_ok

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def give(make_user):
    """A donation made at ``at`` and confirmed by the finance office (bank transfer)."""
    official = {}

    def make(donor, project, amount_cents, at, *, as_org=None):
        order = payments.start_payment(donor, payments.PaymentRequest(
            purpose=PaymentPurpose.DONATION, amount_cents=amount_cents, currency="cny", product_name="x",
            project=project, payer_org=as_org), gateway=None, now=at, return_urls=lambda o: ("", ""))
        if "user" not in official:
            official["user"] = make_user(Role.OFFICIAL)
        payments.confirm_bank_transfer(official["user"], order, now=at + timedelta(hours=1))
        return order

    return make


def _campaign(user, pool, projects, rule=MatchingRule.ONE_TO_ONE, amount=100_000, **fields):
    data = services.CampaignInput(name="配捐行动", rule=rule, amount_cents=amount, starts_at=T0,
                                  ends_at=T0 + timedelta(days=30), project_ids=tuple(p.id for p in projects), **fields)
    return services.create_campaign(user, pool, data, now=T0 - timedelta(days=1))


def test_creating_a_campaign_reserves_its_money(funder, public_project):
    user, pool = funder(total_cents=1_000_000)
    campaign = _campaign(user, pool, [public_project()], amount=300_000)
    db.session.commit()
    assert _fresh(FundingPool, pool.id).remaining_cents == 700_000
    assert campaign.status == CampaignStatus.OPEN
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.created"))
    assert audit.after["reserved_cents"] == 300_000 and audit.after["pool_id"] == pool.id
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.campaign_reserve"))
    assert moved.after["balances"] == {f"campaign:{campaign.id}": 300_000, f"pool:{pool.id}": 700_000}
    assert_ledger_ok()


def test_campaign_validation(funder, public_project, make_project, make_user):
    user, pool = funder(total_cents=100_000, focus=("elderly_care",))
    project = public_project()
    with pytest.raises(ValidationFailed) as caught:
        _campaign(user, pool, [project], amount=100_001)
    assert "amount" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        _campaign(user, pool, [make_project()])  # not a public-benefit project
    assert "project_ids" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        _campaign(user, pool, [public_project(category_code="community_education")])  # outside the focus
    assert "project_ids" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.create_campaign(user, pool, services.CampaignInput(
            name="x", rule=MatchingRule.QUADRATIC, amount_cents=1_000, starts_at=T0, ends_at=T0,
            project_ids=(project.id,)), now=T0)
    assert "ends_on" in caught.value.fields
    with pytest.raises(PermissionDenied):
        _campaign(make_user(Role.FUNDER), pool, [project])
    assert db.session.scalar(select(func.count(MatchingCampaign.id))) == 0
    assert _fresh(FundingPool, pool.id).remaining_cents == 100_000


def test_one_to_one_close_pays_matches_and_returns_the_rest(funder, public_project, make_user, give, make_org):
    user, pool = funder(total_cents=1_000_000)
    a, b = public_project(budget_cents=1_000_000), public_project(budget_cents=1_000_000)
    campaign = _campaign(user, pool, [a, b], amount=100_000, per_donor_cap_cents=30_000)
    residents = [make_user(Role.RESIDENT) for _ in range(3)]
    unverified = make_user(Role.RESIDENT, verified=False)
    firm = make_org(OrgKind.ENTERPRISE)
    firm_member = make_user(Role.PROVIDER, organization=firm)
    give(residents[0], a, 20_000, T0 - timedelta(days=1))  # before the campaign: not matched
    give(residents[0], a, 50_000, T0 + timedelta(days=1))  # matched 30,000 (donor cap)
    give(unverified, a, 40_000, T0 + timedelta(days=2))  # not verified: not matched
    give(residents[1], b, 10_000, T0 + timedelta(days=3))  # matched 10,000
    give(firm_member, b, 50_000, T0 + timedelta(days=4), as_org=firm)  # matched 30,000 (donor cap)
    give(residents[2], b, 60_000, T0 + timedelta(days=5))  # matched 30,000 (donor cap) -> cap left: 0
    give(residents[1], a, 10_000, T0 + timedelta(days=40))  # after the campaign: not matched
    funded_before = {p.id: _fresh(Project, p.id).funded_cents for p in (a, b)}
    services.close_campaign(user, _fresh(MatchingCampaign, campaign.id), now=T0 + timedelta(days=31))
    db.session.commit()
    campaign = _fresh(MatchingCampaign, campaign.id)
    allocation = {x.project_id: x.match_cents for x in campaign.allocations}
    assert allocation == {a.id: 30_000, b.id: 70_000}
    assert campaign.matched_cents == 100_000 and campaign.status == CampaignStatus.CLOSED
    assert _fresh(Project, a.id).funded_cents == funded_before[a.id] + 30_000
    assert _fresh(Project, b.id).funded_cents == funded_before[b.id] + 70_000
    assert _fresh(FundingPool, pool.id).remaining_cents == 900_000  # all 100,000 used
    counts = {x.project_id: (x.donations, x.contributors) for x in campaign.allocations}
    assert counts == {a.id: (2, 1), b.id: (3, 3)}
    paid = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "money.campaign_match")).all()
    assert sorted((e.after["to"], e.after["amount_cents"]) for e in paid) == [
        (f"project:{a.id}", 30_000), (f"project:{b.id}", 70_000)]
    assert verify_chain().ok
    assert_ledger_ok()


def test_unused_match_goes_back_to_the_pool(funder, public_project, make_user, give):
    user, pool = funder(total_cents=1_000_000)
    project = public_project()
    campaign = _campaign(user, pool, [project], amount=200_000)
    give(make_user(Role.RESIDENT), project, 30_000, T0 + timedelta(days=1))
    services.close_campaign(user, campaign, now=T0 + timedelta(days=30))
    assert _fresh(FundingPool, pool.id).remaining_cents == 1_000_000 - 30_000
    closed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.closed"))
    assert closed.after["returned_to_pool_cents"] == 170_000
    assert_ledger_ok()


def test_quadratic_many_small_gifts_beat_one_large(funder, public_project, make_user, give):
    user, pool = funder(total_cents=1_000_000)
    many, one, split = public_project(), public_project(), public_project()
    campaign = _campaign(user, pool, [many, one, split], rule=MatchingRule.QUADRATIC, amount=100_000)
    for i in range(10):
        give(make_user(Role.RESIDENT), many, 1_000, T0 + timedelta(hours=i + 1))
    give(make_user(Role.RESIDENT), one, 10_000, T0 + timedelta(hours=1))
    splitter = make_user(Role.RESIDENT)
    for i in range(10):  # one person's ten gifts are one contributor
        give(splitter, split, 1_000, T0 + timedelta(hours=i + 1))
    services.close_campaign(user, campaign, now=T0 + timedelta(days=30))
    allocation = {x.project_id: x for x in _fresh(MatchingCampaign, campaign.id).allocations}
    assert allocation[many.id].match_cents == 100_000
    assert allocation[one.id].match_cents == 0 and allocation[one.id].reason == "single_contributor"
    assert allocation[split.id].match_cents == 0 and allocation[split.id].contributors == 1
    assert _fresh(FundingPool, pool.id).remaining_cents == 900_000
    assert_ledger_ok()


def test_match_never_exceeds_what_a_project_still_needs(funder, public_project, make_user, give):
    user, pool = funder(total_cents=1_000_000)
    small = public_project(budget_cents=50_000)
    campaign = _campaign(user, pool, [small], amount=100_000)
    give(make_user(Role.RESIDENT), small, 40_000, T0 + timedelta(days=1))
    services.close_campaign(user, campaign, now=T0 + timedelta(days=30))
    assert _fresh(Project, small.id).funded_cents == 50_000  # 40,000 given + 10,000 matched
    assert _fresh(FundingPool, pool.id).remaining_cents == 990_000
    assert_ledger_ok()


def test_cancel_only_before_the_start_and_close_only_after(funder, public_project, make_user):
    user, pool = funder(total_cents=500_000)
    campaign = _campaign(user, pool, [public_project()], amount=100_000)
    with pytest.raises(Conflict):
        services.close_campaign(user, campaign, now=T0 - timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.cancel_campaign(make_user(Role.FUNDER), campaign, now=T0 - timedelta(hours=1))
    with pytest.raises(Conflict):
        services.cancel_campaign(user, campaign, now=T0 + timedelta(hours=1))
    services.cancel_campaign(user, campaign, now=T0 - timedelta(hours=1))
    assert _fresh(FundingPool, pool.id).remaining_cents == 500_000
    with pytest.raises(Conflict):
        services.close_campaign(user, _fresh(MatchingCampaign, campaign.id), now=T0 + timedelta(days=31))
    assert_ledger_ok()


def test_who_closes_a_campaign_and_when(funder, public_project, make_user, geo):
    """The funder closes its campaign any time after the start; a district official only once its
    period is over (the nightly close); a street official or anyone else never. (Officials used to
    close any campaign at any time after the start, ending the funder's offer to donors early.)"""
    user, pool = funder()
    campaign = _campaign(user, pool, [public_project()])
    district_official = make_user(Role.OFFICIAL)
    street_official = make_user(Role.OFFICIAL, street=geo.streets[0])
    during, after = T0 + timedelta(days=10), T0 + timedelta(days=31)
    for intruder, when in ((make_user(Role.RESIDENT), after), (make_user(Role.FUNDER), after),
                           (street_official, after), (district_official, during)):
        with pytest.raises(PermissionDenied):
            services.close_campaign(intruder, campaign, now=when)
        db.session.rollback()
    assert _fresh(MatchingCampaign, campaign.id).status == CampaignStatus.OPEN
    services.close_campaign(district_official, _fresh(MatchingCampaign, campaign.id), now=after)
    assert _fresh(MatchingCampaign, campaign.id).status == CampaignStatus.CLOSED
    early = _campaign(user, pool, [public_project()])
    services.close_campaign(user, early, now=during)
    assert _fresh(MatchingCampaign, early.id).status == CampaignStatus.CLOSED
    assert _fresh(MatchingCampaign, early.id).ends_at == during  # closed early: the period ended then
    assert_ledger_ok()


def test_campaign_pages_and_forms(funder, public_project, make_user, make_browser, give):
    user, pool = funder(total_cents=1_000_000)
    project = public_project()
    browser = make_browser()
    browser.login(user)
    form = browser.get(f"/funding/pools/{pool.id}/campaigns/new").get_data(as_text=True)
    assert project.title_en in form
    today = local_date(utcnow())  # the district's today: a campaign starts today at the earliest
    data = {"name": "暖冬配捐", "name_en": "Warm winter match", "rule": "quadratic", "amount": "1000",
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=10)).isoformat(),
            "project_ids": [str(project.id)]}
    bad = browser.post(f"/funding/pools/{pool.id}/campaigns/new", {**data, "rule": "lottery"})
    assert bad.status_code == 400
    bad = browser.post(f"/funding/pools/{pool.id}/campaigns/new", {**data, "amount": "10000000"})
    assert bad.status_code == 400 and "the money left in the pool" in bad.get_data(as_text=True)
    for cap in ("per_project_cap", "per_donor_cap"):  # zero is not "no limit"
        bad = browser.post(f"/funding/pools/{pool.id}/campaigns/new", {**data, "rule": "one_to_one", cap: "0"})
        assert bad.status_code == 400 and "Leave empty for no limit" in bad.get_data(as_text=True), cap
    assert db.session.scalar(select(func.count(MatchingCampaign.id))) == 0
    assert browser.post(f"/funding/pools/{pool.id}/campaigns/new", data).status_code == 302
    campaign = db.session.scalar(select(MatchingCampaign))
    assert campaign.ends_at - campaign.starts_at == timedelta(days=11)
    give(make_user(Role.RESIDENT), project, 10_000, utcnow() - timedelta(minutes=5))
    give(make_user(Role.RESIDENT), project, 10_000, utcnow() - timedelta(minutes=4))
    page = browser.get(f"/funding/campaigns/{campaign.id}").get_data(as_text=True)
    assert "If the campaign closed now" in page and "Close early" in page and "¥1,000" in page
    project_page = make_browser().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Donations are matched" in project_page and "Warm winter match" in project_page
    listing = make_browser().get("/funding/campaigns").get_data(as_text=True)
    assert "Warm winter match" in listing
    assert make_browser().get("/funding/campaigns?status=bogus").status_code == 200
    outsider = make_browser()
    outsider.login(make_user(Role.FUNDER))
    assert outsider.get(f"/funding/pools/{pool.id}/campaigns/new").status_code == 403
    assert outsider.post(f"/funding/campaigns/{campaign.id}/close").status_code == 403
    assert browser.post(f"/funding/campaigns/{campaign.id}/close").status_code == 302
    closed = browser.get(f"/funding/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Allocation" in closed and "Back to the pool" in closed
    assert _fresh(Project, project.id).funded_cents == 20_000 + 100_000
    assert browser.post(f"/funding/campaigns/{campaign.id}/close").status_code == 409
    assert_ledger_ok()


def test_pool_rules_hold_for_matches_too(funder, public_project, make_user, give):
    """A 50% co-funding pool that already pledged 40% of a budget can match only 10% more."""
    user, pool = funder(total_cents=10_000_000, max_share_percent=50)
    project = public_project(budget_cents=1_000_000)
    services.pledge_from_pool(user, pool, project, 400_000, now=T0 - timedelta(days=2))
    campaign = _campaign(user, pool, [project], amount=500_000)
    give(make_user(Role.RESIDENT), project, 300_000, T0 + timedelta(days=1))
    services.close_campaign(user, campaign, now=T0 + timedelta(days=30))
    assert _fresh(MatchingCampaign, campaign.id).matched_cents == 100_000
    assert services.pledge_limit(_fresh(FundingPool, pool.id), _fresh(Project, project.id)).amount == 0
    assert_ledger_ok()


def test_officials_cannot_close_the_district_campaign_early(funder, public_project, make_user, make_browser, geo):
    """Attack: a street official (or a district official, before the end) closed a foundation's running
    matching campaign from its page: the match stopped for every donor who was still promised one and
    the reserve went back to the pool. The old rule let any official close any campaign after its
    start; now the page hides the button and the route refuses (403) all but the funder until the end."""
    user, pool = funder(total_cents=1_000_000)
    project = public_project(street=geo.streets[0])
    now = utcnow()
    running = services.create_campaign(user, pool, services.CampaignInput(
        name="暖冬配捐", name_en="Warm winter match", rule=MatchingRule.ONE_TO_ONE, amount_cents=200_000,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=10), project_ids=(project.id,)),
        now=now - timedelta(days=2))
    ended = services.create_campaign(user, pool, services.CampaignInput(
        name="秋季配捐", name_en="Autumn match", rule=MatchingRule.ONE_TO_ONE, amount_cents=100_000,
        starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=10), project_ids=(project.id,)),
        now=now - timedelta(days=41))
    db.session.commit()
    street = make_browser()
    street.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    district = make_browser()
    district.login(make_user(Role.OFFICIAL))
    for official in (street, district):
        assert "Close early" not in official.get(f"/funding/campaigns/{running.id}").get_data(as_text=True)
        assert official.post(f"/funding/campaigns/{running.id}/close").status_code == 403
    assert street.post(f"/funding/campaigns/{ended.id}/close").status_code == 403  # never the street's to close
    assert _fresh(MatchingCampaign, running.id).status == CampaignStatus.OPEN
    assert _fresh(MatchingCampaign, ended.id).status == CampaignStatus.OPEN
    assert _fresh(FundingPool, pool.id).remaining_cents == 700_000
    assert_ledger_ok()
    assert district.post(f"/funding/campaigns/{ended.id}/close").status_code == 302  # its period is over
    owner = make_browser()
    owner.login(user)
    assert owner.post(f"/funding/campaigns/{running.id}/close").status_code == 302
    assert {_fresh(MatchingCampaign, c.id).status for c in (running, ended)} == {CampaignStatus.CLOSED}
    assert _fresh(FundingPool, pool.id).remaining_cents == 1_000_000  # nobody gave: both reserves came back
    assert_ledger_ok()
