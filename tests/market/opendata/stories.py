"""A whole marketplace story on the real clock (the exports compare with the real "now"):
a split tender, bids, opening, matching, award, notice, signed contracts, milestones, a payout,
pool money committed to a public-benefit project, a released pledge and a closed matching campaign.
The two winning providers and the foundation have verified unified social credit codes (invented,
with a right check character); the other organisations have none."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

SECRET_COMPETITOR = "保密竞争者社工中心"
SECRET_COMPETITOR_EN = "Sealed Competitor Centre"
SECRET_PRICE = 27_654_321  # ¥276,543.21
SECRET_PRICE_FORMS = ("27654321", "276543.21", "276,543.21", "276543")
LATE_BIDDER = "逾期未开标机构"


def credit_code(body: str) -> str:
    """An invented unified social credit code: 17 characters and their check character."""
    from market.orgs.credit_code import check_character

    return body + check_character(body)


CODES = {"福田长者之家": credit_code("52440304MJL00001X"), "景田邻里中心": credit_code("52440304MJL00002Y"),
         "福田慈善基金会": credit_code("53440300MJ0000030")}


@dataclass
class Story:
    project: Any  # the split government-service tender, awarded and under way
    lots: list
    bids: dict  # name -> bid
    award: Any
    contracts: list
    paid_payout: Any
    completed_contract: Any
    pb_project: Any  # public-benefit project funded by a pool through the award process
    pb_award: Any
    pool: Any
    pledge: Any
    pledge_project: Any
    campaign: Any
    campaign_project: Any
    cancelled: Any
    base: Any


@pytest.fixture
def story(market, make_pool, make_user, make_org, geo) -> Story:
    from market.accounts.models import Role
    from market.bids.services import lots_of
    from market.contracts import services as contract_services
    from market.contracts.models import ContractStatus
    from market.core.db import db, utcnow
    from market.funding import services as funding
    from market.funding.models import MatchingRule
    from market.orgs.models import OrgKind
    from market.payments import services as payments
    from market.payments.models import PaymentPurpose, Payout
    from market.projects.models import ProjectKind, ProjectStatus
    from market.review import awards

    base = utcnow() - timedelta(days=60)
    deadline = base + timedelta(days=10)
    opening = deadline + timedelta(hours=1)
    project = market.tendered(lots=(("个案服务", 18_000_000), ("社区活动", 12_000_000)), deadline=deadline, now=base,
                              title="福田街道长者助餐与探访服务", start_date=(base + timedelta(days=30)).date(),
                              end_date=(base + timedelta(days=200)).date())
    lots = lots_of(project)
    users = {name: market.provider(name=name, rating_grade=grade, credit_code=CODES.get(name, ""))
             for name, grade in (("福田长者之家", 5), ("莲花社工服务社", 3), ("景田邻里中心", 4))}
    bids = {"福田长者之家": market.bid(users["福田长者之家"], project, 17_000_000, lot=lots[0], now=base + timedelta(days=1)),
            "莲花社工服务社": market.bid(users["莲花社工服务社"], project, 17_900_000, lot=lots[0],
                                    now=base + timedelta(days=2)),
            "景田邻里中心": market.bid(users["景田邻里中心"], project, 11_000_055, lot=lots[1],
                                   now=base + timedelta(days=2))}
    market.open(project, now=opening)

    applicant = market.org(name="梅岭社区互助会")
    member = market.provider(applicant)
    pb_project = market.received(market.make_project(
        kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=10_000_000, owner=member, title="梅岭社区长者食堂",
        community=geo.communities[3], street=geo.streets[1], start_date=(base + timedelta(days=20)).date(),
        end_date=(base + timedelta(days=120)).date()), 4_000_000)
    pool = make_pool(total_cents=50_000_000)
    decided = opening + timedelta(hours=2)  # the officials decide after looking at the engine's proposals
    run = market.match([project, pb_project], official=market.district_official, now=opening + timedelta(hours=1),
                       fund_government_services=True)
    award = awards.approve_proposal(market.district_official, market.proposal(run, project),
                                    reason="综合得分最高，报价合理。", now=decided)
    pb_award = awards.approve_proposal(market.district_official, market.proposal(run, pb_project), now=decided)
    db.session.commit()
    signing = max(award.notice_ends_at, pb_award.notice_ends_at) + timedelta(minutes=1)
    contract_services.sign_due_contracts(now=signing)
    db.session.commit()

    contracts = contract_services.contracts_of(award)
    by_org = {u.organization_id: u for u in users.values()}
    first, second = contracts
    milestone = first.milestones[0]
    contract_services.submit_milestone(by_org[first.provider_id], milestone, "已完成需求评估与团队组建。", now=signing + timedelta(days=1))
    contract_services.approve_milestone(market.official, milestone, now=signing + timedelta(days=2))
    db.session.commit()
    payout = db.session.query(Payout).filter_by(milestone_id=milestone.id).one()
    payments.confirm_payout(market.official, payout, now=signing + timedelta(days=3))
    for i, step in enumerate(second.milestones):
        contract_services.submit_milestone(by_org[second.provider_id], step, "本阶段服务已交付。", now=signing + timedelta(days=4 + i))
        contract_services.approve_milestone(market.official, step, now=signing + timedelta(days=4 + i, hours=2))
    db.session.commit()
    assert second.status == ContractStatus.COMPLETED

    foundation = make_org(OrgKind.FOUNDATION, categories=(), name="福田慈善基金会", credit_code=CODES["福田慈善基金会"])
    funder = make_user(Role.FUNDER, organization=foundation)
    fund = make_pool(funder=foundation, total_cents=20_000_000)
    pledge_project = market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=3_000_000, owner=member,
                                         title="岗厦社区儿童托管", start_date=(base + timedelta(days=10)).date(),
                                         end_date=(base + timedelta(days=100)).date())
    pledge = funding.pledge_from_pool(funder, fund, pledge_project, 1_234_567, now=base + timedelta(days=3))
    funding.release_pledge(funder, pledge, now=base + timedelta(days=5))
    campaign_project = market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=2_000_000, owner=member,
                                           title="莲花山公园义务导览", start_date=(base + timedelta(days=35)).date(),
                                           end_date=(base + timedelta(days=95)).date())
    campaign = funding.create_campaign(funder, fund, funding.CampaignInput(
        name="邻里配捐行动", rule=MatchingRule.ONE_TO_ONE, amount_cents=500_000, starts_at=base,
        ends_at=base + timedelta(days=30), project_ids=(campaign_project.id,)), now=base - timedelta(days=1))
    donor = make_user(Role.RESIDENT)
    order = payments.start_payment(donor, payments.PaymentRequest(
        purpose=PaymentPurpose.DONATION, amount_cents=100_000, currency="cny", product_name="捐赠",
        project=campaign_project), gateway=None, now=base + timedelta(days=5), return_urls=lambda o: ("", ""))
    payments.confirm_bank_transfer(market.official, order, now=base + timedelta(days=5, hours=1))
    funding.close_campaign(funder, campaign, now=base + timedelta(days=31))
    db.session.commit()

    cancelled = market.make_project(status=ProjectStatus.CANCELLED, title="已取消的政府购买服务",
                                    published_at=base + timedelta(days=1))
    return Story(project=project, lots=lots, bids=bids, award=award, contracts=contracts, paid_payout=payout,
                 completed_contract=second, pb_project=pb_project, pb_award=pb_award, pool=pool, pledge=pledge,
                 pledge_project=pledge_project, campaign=campaign, campaign_project=campaign_project,
                 cancelled=cancelled, base=base)


@dataclass
class Sealed:
    project: Any  # deadline ahead, bids in
    unopened: Any  # deadline passed, bids never opened


@pytest.fixture
def sealed(market) -> Sealed:
    from market.core.db import utcnow

    now = utcnow()
    project = market.tendered(deadline=now + timedelta(days=5), now=now - timedelta(days=1), title="保密招标项目")
    competitor = market.provider(name=SECRET_COMPETITOR, name_en=SECRET_COMPETITOR_EN)
    market.bid(competitor, project, SECRET_PRICE, proposal="绝密方案", now=now - timedelta(hours=2))
    unopened = market.tendered(deadline=now - timedelta(days=2), now=now - timedelta(days=10), title="截止未开标项目")
    late = market.provider(name=LATE_BIDDER)
    market.bid(late, unopened, 23_456_789, now=now - timedelta(days=5))
    return Sealed(project=project, unopened=unopened)
