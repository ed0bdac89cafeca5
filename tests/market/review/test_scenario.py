"""The whole marketplace path: publish → bids → deadline → matching → approval → notice →
contract signed → milestone submitted → approved."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market.bids.models import Bid, BidStatus
from market.contracts import services as contract_services
from market.contracts.models import Contract, ContractStatus, MilestoneStatus
from market.core.audit import AuditEvent, verify_chain
from market.core.db import db
from market.funds.models import FundingCommitment
from market.orgs.models import OrgKind
from market.projects.models import ProjectKind, ProjectStatus
from market.review import adapter, awards, services
from market.review.models import AwardStatus, RunStatus
from tests.market.bids.helpers import AFTER, T0


def test_publish_bid_match_approve_notice_sign_and_milestones(market, make_pool):
    project = market.tendered(kind=ProjectKind.GOVERNMENT_SERVICE, budget_cents=30_000_000,
                              start_date=(T0 + timedelta(days=40)).date(), end_date=(T0 + timedelta(days=400)).date())
    assert project.status == ProjectStatus.OPEN
    strong = market.provider(name="福田长者之家", rating_grade=5, capacity=3)
    weak = market.provider(name="莲花社工", rating_grade=3, kind=OrgKind.ENTERPRISE)
    market.bid(strong, project, 28_000_000)
    market.bid(weak, project, 29_500_000)
    tender = market.open(project)
    assert tender.opened_bid_count == 2 and project.status == ProjectStatus.EVALUATING

    official = market.official
    run = services.start_run(official, [project.id], adapter.RunOptions(time_limit=20), now=AFTER)
    db.session.commit()
    services.execute_run(run, now=AFTER)
    db.session.commit()
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100
    [proposal] = run.proposals
    assert proposal.units[0]["provider_id"] == strong.organization_id
    assert proposal.units[0]["cost"] == 28_000_000

    award = awards.approve_proposal(official, proposal, reason="综合得分最高，报价合理。", now=AFTER)
    db.session.commit()
    assert project.status == ProjectStatus.AWARDED and award.status == AwardStatus.IN_NOTICE
    [contract] = db.session.scalars(select(Contract).where(Contract.project_id == project.id)).all()
    assert contract.status == ContractStatus.IN_NOTICE and contract.amount_cents == 28_000_000
    assert [m.amount_cents for m in contract.milestones] == [8_400_000, 11_200_000, 8_400_000]
    assert contract.milestones[0].due_date == project.start_date and contract.milestones[-1].due_date == project.end_date
    bids = {b.organization_id: b.status for b in db.session.scalars(select(Bid).where(Bid.project_id == project.id))}
    assert bids == {strong.organization_id: BidStatus.AWARDED, weak.organization_id: BidStatus.NOT_AWARDED}
    assert db.session.scalar(select(FundingCommitment)) is None  # paid from the department's budget

    assert contract_services.signing_blockers(contract, AFTER)  # still in notice
    signed = contract_services.sign_due_contracts(now=award.notice_ends_at + timedelta(minutes=1))
    db.session.commit()
    assert signed == [contract] and contract.status == ContractStatus.SIGNED
    assert award.status == AwardStatus.CONFIRMED and project.status == ProjectStatus.IN_PROGRESS

    first = contract.milestones[0]
    contract_services.submit_milestone(strong, first, "已完成服务对象需求评估和团队组建。", now=award.notice_ends_at + timedelta(days=2))
    contract_services.approve_milestone(official, first, now=award.notice_ends_at + timedelta(days=3))
    db.session.commit()
    assert first.status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID) and first.approved_by_id == official.id
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"tender.published", "bid.submitted", "tender.opened", "match_run.created", "award.approved",
            "contract.signed", "milestone.submitted", "milestone.approved"} <= actions
    assert verify_chain().ok
