"""A pool's page says where its allocated money went, in lines that add up to the allocated figure."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from market.accounts.models import Role
from market.core import ledger
from market.core.db import db, utcnow
from market.funding import services
from market.funding.models import MatchingRule
from market.funds import services as pools
from market.funds.models import FundingPool
from market.orgs.models import OrgKind
from market.projects.models import ProjectKind
from tests.market.bids.helpers import AFTER, market  # noqa: F401
from tests.market.payments.helpers import assert_ledger_ok


def _cents(text: str) -> int:
    yuan, _, fen = text.strip().lstrip("¥").replace(",", "").partition(".")
    return int(yuan) * 100 + int(fen or 0)


def _where_it_went(browser, pool_id: int) -> tuple[list[int], int]:
    """The amounts of the page's "where the allocated money went" lines, and its "Allocated" total."""
    page = browser.get(f"/funds/{pool_id}").get_data(as_text=True)
    section = page.split("Where the allocated money went", 1)[1]
    summary = section.split("</table>", 1)[0]
    body, _, foot = section.split("<details>", 1)[1].split("</table>", 1)[0].partition("<tfoot>")
    lines = [_cents(m) for m in re.findall(r'<td class="num">([^<]*)</td>', body)]
    [total] = re.findall(r'<th class="num">([^<]*)</th>', foot)
    by_kind = [_cents(m) for m in re.findall(r'<td class="num">(¥[^<]*)</td>', summary.partition("<tfoot>")[0])]
    assert sum(by_kind) == _cents(total)  # the summary by kind adds up to the same figure
    return lines, _cents(total)


def _adds_up(browser, pool) -> dict:
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    lines = pools.allocation_lines(pool)
    assert sum(line.amount_cents for line in lines) == pool.allocated_cents
    shown, total = _where_it_went(browser, pool.id)
    assert sorted(shown) == sorted(line.amount_cents for line in lines)
    assert sum(shown) == total == pool.allocated_cents == pool.received_cents - pool.remaining_cents
    assert_ledger_ok()
    return {(line.movement, line.counterparty): line.amount_cents for line in lines}


def test_the_lines_add_up_after_every_kind_of_allocation(market, make_org, make_user, make_pool, make_browser,  # noqa: F811
                                                         donated):
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    pool = make_pool(funder=foundation, total_cents=20_000_000)
    applicant = market.provider()

    def project(budget):
        return market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=budget, owner=applicant)

    browser = make_browser()
    kept, released, withdrawn, awarded, matched = (project(b) for b in (
        3_000_000, 3_000_000, 3_000_000, 3_000_000, 3_000_000))
    now = utcnow()

    pledge = services.pledge_from_pool(funder, pool, kept, 1_000_000, now=now)
    db.session.commit()
    assert _adds_up(browser, pool) == {(ledger.Movement.PLEDGE, ledger.pledge(pledge.id)): 1_000_000}

    paid = services.pledge_from_pool(funder, pool, released, 500_000, now=now)
    services.release_pledge(funder, paid, now=now)
    db.session.commit()
    assert _adds_up(browser, pool)[(ledger.Movement.PLEDGE, ledger.pledge(paid.id))] == 500_000

    taken_back = services.pledge_from_pool(funder, pool, withdrawn, 300_000, now=now)
    services.withdraw_pledge(funder, taken_back, now=now)
    db.session.commit()
    lines = _adds_up(browser, pool)
    assert (ledger.Movement.PLEDGE, ledger.pledge(taken_back.id)) not in lines and len(lines) == 2

    from market.funds.models import FundingCommitment
    from market.review import awards

    awards.approve_proposal(market.official, market.proposal(market.match([awarded]), awarded), now=AFTER)
    db.session.commit()
    [commitment] = db.session.scalars(select(FundingCommitment)).all()
    lines = _adds_up(browser, pool)
    assert lines[(ledger.Movement.COMMITMENT, ledger.commitment(commitment.id))] == commitment.amount_cents > 0

    start = now - timedelta(days=20)
    campaign = services.create_campaign(funder, pool, services.CampaignInput(
        name="配捐", rule=MatchingRule.ONE_TO_ONE, amount_cents=200_000, starts_at=start,
        ends_at=start + timedelta(days=10), project_ids=(matched.id,)), now=start - timedelta(days=1))
    db.session.commit()
    assert _adds_up(browser, pool)[(ledger.Movement.CAMPAIGN_RESERVE, ledger.campaign(campaign.id))] == 200_000
    donated(matched, 30_000, at=start + timedelta(days=1))
    services.close_campaign(funder, campaign, now=start + timedelta(days=11))
    db.session.commit()
    lines = _adds_up(browser, pool)
    assert lines[(ledger.Movement.CAMPAIGN_RESERVE, ledger.campaign(campaign.id))] == 30_000  # the rest came back
    assert sum(lines.values()) == 1_000_000 + 500_000 + commitment.amount_cents + 30_000


def test_an_opening_balance_is_money_received_not_an_allocation(make_org, make_user, make_pool, make_browser,
                                                                public_project):
    """A pool carried over from before the ledger starts with an opening balance from outside; it is
    received money like a top-up, so it must not show as a (negative) allocation line."""
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    pool = make_pool(funder=foundation, total_cents=2_000_000, remaining_cents=500_000)
    ledger.move(ledger.Movement.OPENING, 1_500_000, source=ledger.OUTSIDE, target=ledger.pool(pool.id), actor=None,
                reference_type="upgrade", reference_id=pool.id)
    pledge = services.pledge_from_pool(funder, pool, public_project(), 700_000, now=utcnow())
    db.session.commit()
    assert _adds_up(make_browser(), pool) == {(ledger.Movement.PLEDGE, ledger.pledge(pledge.id)): 700_000}
    pool = db.session.get(FundingPool, pool.id)
    assert (pool.received_cents, pool.remaining_cents) == (2_000_000, 1_300_000)
