"""An official of another street is refused every decision on this street's tenders, matches,
awards, contracts and milestones: 403 (404 where the object is hidden), and nothing is written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.bids import services as bid_services
from market.contracts import services as contract_services
from market.contracts.models import ContractStatus, MilestoneStatus
from market.core.db import db, utcnow
from market.projects.models import ProjectStatus
from market.review import awards, services
from market.review.models import AwardObjectionStatus, AwardStatus, DecisionKind, MatchProposalStatus
from tests.market.bids.helpers import refused


@pytest.fixture
def outsider(browser, market):
    """The browser of an official of the other street, logged in."""
    browser.login(market.other_official)
    return browser


@pytest.fixture
def closed(market):
    """A tender of the first street whose deadline passed a minute ago, with two sealed bids."""
    now = utcnow()
    project = market.tendered(deadline=now - timedelta(minutes=1), now=now - timedelta(days=3))
    winner = market.provider()
    market.bid(winner, project, 27_000_000, now=now - timedelta(days=1))
    market.bid(market.provider(), project, 29_000_000, now=now - timedelta(days=1))
    return project, winner


@pytest.fixture
def proposed(market, closed):
    """The tender's bids opened and matched by the street's official: a proposal awaits a decision."""
    project, winner = closed
    market.open(project, now=utcnow())
    run = market.match([project], now=utcnow())
    return run, market.proposal(run, project), winner


@pytest.fixture
def awarded(market, proposed):
    run, proposal, winner = proposed
    award = awards.approve_proposal(market.official, proposal, reason="综合得分最高", now=utcnow())
    db.session.commit()
    [contract] = contract_services.contracts_of(award)
    return award, contract, winner


@pytest.fixture
def signed(market, awarded):
    """The notice period over, the contract signed, the first milestone reported done."""
    award, contract, winner = awarded
    award.notice_ends_at = contract.notice_ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    contract_services.sign_contract(market.official, contract, now=utcnow())
    contract_services.submit_milestone(winner, contract.milestones[0], "完成需求评估和团队组建", now=utcnow())
    db.session.commit()
    return contract


def test_publishing_a_tender_of_another_street_is_refused(market, outsider):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    deadline = (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    data = {"bid_deadline": deadline, "requirements": "须有长者服务经验。", "criteria-0-name": "方案",
            "criteria-0-weight": "100"}
    assert outsider.get(f"/bids/projects/{project.id}/tender").status_code == 403
    refused(outsider, f"/bids/projects/{project.id}/tender", data)
    assert project.status == ProjectStatus.DRAFT and bid_services.tender_of(project) is None


def test_opening_the_bids_of_another_street_is_refused(market, closed, outsider):
    project, _ = closed
    assert outsider.get(f"/bids/projects/{project.id}/opened").status_code == 403
    refused(outsider, f"/bids/projects/{project.id}/open")
    assert not bid_services.tender_of(project).is_opened and project.status == ProjectStatus.OPEN


@pytest.mark.parametrize("action, data", [("approve", {"reason": "越权批准", "notice_days": "5"}),
                                          ("reject", {"reason": "越权否决的理由"})])
def test_deciding_on_a_proposal_of_another_street_is_refused(market, proposed, outsider, action, data):
    _, proposal, _ = proposed
    refused(outsider, f"/review/proposals/{proposal.id}/{action}", data)
    assert proposal.status == MatchProposalStatus.PROPOSED and proposal.project.status == ProjectStatus.EVALUATING


@pytest.mark.parametrize("kind", [DecisionKind.PIN, DecisionKind.FORBID])
def test_pinning_or_forbidding_on_another_streets_project_is_refused(market, proposed, outsider, kind):
    run, proposal, winner = proposed
    data = {"kind": kind.value, "target": f"provider:{winner.organization_id}", "lot_id": "",
            "reason": "越权的决定理由"}
    refused(outsider, f"/review/runs/{run.id}/projects/{proposal.project_id}/decisions", data)
    # A decision already taken by the street cannot be revoked from the other street either.
    decision = services.add_decision(market.official, run, services.DecisionInput(
        project_id=proposal.project_id, kind=kind, provider_id=winner.organization_id, reason="本街道的决定理由"),
        now=utcnow())
    db.session.commit()
    refused(outsider, f"/review/decisions/{decision.id}/revoke")
    assert services.decisions_for([proposal.project_id]) == [decision] and decision.revoked_at is None


@pytest.mark.parametrize("outcome", ["dismiss", "uphold"])
def test_answering_an_objection_to_another_streets_award_is_refused(market, awarded, outsider, make_user, outcome):
    award, contract, _ = awarded
    objection = awards.file_objection(make_user(Role.RESIDENT), award, "中标机构的人员配置是否满足要求？",
                                      now=utcnow())
    db.session.commit()
    refused(outsider, f"/review/objections/{objection.id}/answer", {"outcome": outcome, "answer": "越权的答复内容"})
    assert objection.status == AwardObjectionStatus.OPEN and award.status == AwardStatus.IN_NOTICE
    assert contract.status == ContractStatus.IN_NOTICE


def test_signing_a_contract_of_another_street_is_refused(market, awarded, outsider):
    award, contract, _ = awarded
    award.notice_ends_at = contract.notice_ends_at = utcnow() - timedelta(minutes=1)  # signable now
    db.session.commit()
    assert not contract_services.signing_blockers(contract, utcnow())
    refused(outsider, f"/review/contracts/{contract.id}/sign")
    assert contract.status == ContractStatus.IN_NOTICE and contract.project.status == ProjectStatus.AWARDED


@pytest.mark.parametrize("action, data", [("approve", {}), ("return", {"reason": "越权退回的理由"})])
def test_deciding_on_a_milestone_of_another_street_is_refused(market, signed, outsider, action, data):
    milestone = signed.milestones[0]
    refused(outsider, f"/review/milestones/{milestone.id}/{action}", data)
    assert milestone.status == MilestoneStatus.SUBMITTED and milestone.approved_by_id is None


def test_the_streets_own_official_may_do_what_the_other_street_may_not(browser, market, signed):
    """The same requests succeed for the project's own official (so the refusals above are about the street)."""
    milestone = signed.milestones[0]
    browser.login(market.official)
    assert browser.post(f"/review/milestones/{milestone.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(type(milestone), milestone.id).status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID)
    assert db.session.scalar(select(type(milestone).approved_by_id).where(type(milestone).id == milestone.id)) \
        == market.official.id
