"""The matching console's services: runs, decisions, approvals and the money they move,
objections, signing and milestones."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.bids.models import Bid, BidStatus
from market.contracts import services as contract_services
from market.contracts.models import Contract, ContractStatus
from market.core import ledger
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.projects.models import ProjectKind, ProjectStatus
from market.review import adapter, awards, services
from market.review.models import AwardObjectionStatus, AwardStatus, DecisionKind, MatchProposalStatus, RunStatus
from tests.market.bids.helpers import AFTER


@pytest.fixture
def evaluated(market):
    """A tender with two opened bids."""
    project = market.tendered(start_date=(AFTER + timedelta(days=30)).date(),
                              end_date=(AFTER + timedelta(days=210)).date())
    best, second = market.provider(rating_grade=5), market.provider(rating_grade=3)
    market.bid(best, project, 26_000_000)
    market.bid(second, project, 29_000_000)
    market.open(project)
    return project, best, second


# ---------------------------------------------------------------- runs

def test_runs_are_for_officials_on_projects_they_may_match(market, evaluated, geo):
    project, *_ = evaluated
    options = adapter.RunOptions()
    with pytest.raises(PermissionDenied):
        services.start_run(market.provider(), [project.id], options, now=AFTER)
    with pytest.raises(ValidationFailed):
        services.start_run(market.other_official, [project.id], options, now=AFTER)
    with pytest.raises(ValidationFailed) as caught:
        services.start_run(market.official, [], options, now=AFTER)
    assert "project_ids" in caught.value.fields
    for bad in (adapter.RunOptions(solver="gurobi"), adapter.RunOptions(time_limit=0),
                adapter.RunOptions(max_provider_share=1.5)):
        with pytest.raises(ValidationFailed):
            services.start_run(market.official, [project.id], bad, now=AFTER)
    run = services.start_run(market.district_official, [project.id], options, now=AFTER)
    assert run.status == RunStatus.QUEUED and run.parameters["project_ids"] == [project.id]


def test_the_same_request_runs_once_at_a_time(market, evaluated):
    project, *_ = evaluated
    options = adapter.RunOptions()
    first = services.start_run(market.official, [project.id], options, now=AFTER)
    db.session.commit()
    with pytest.raises(services.RunUnderWay) as caught:  # again, from any official of the same street
        services.start_run(market.official, [project.id], options, now=AFTER)
    assert caught.value.run.id == first.id and caught.value.status_code == 409
    db.session.rollback()
    other = services.start_run(market.official, [project.id], adapter.RunOptions(time_limit=30), now=AFTER)
    assert other.id != first.id  # other options: another request
    services.fail_run(first, "stopped")
    again = services.start_run(market.official, [project.id], options, now=AFTER)
    assert again.id not in (first.id, other.id)  # once it ended, the request may run again


def test_matchable_groups(market, evaluated, geo):
    project, *_ = evaluated
    micro = market.make_project(kind=ProjectKind.MICRO)
    benefit = market.received(market.make_project(kind=ProjectKind.PUBLIC_BENEFIT), 1_000_000)
    funded = market.received(market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=30_000_000), 30_000_000)
    elsewhere = market.make_project(kind=ProjectKind.MICRO, street=geo.streets[1])
    groups = services.matchable_projects(market.official)
    assert [p.id for p in groups["evaluating"]] == [project.id]
    assert [p.id for p in groups["micro"]] == [micro.id]
    assert [p.id for p in groups["public_benefit"]] == [benefit.id]
    assert funded.id not in services.matchable_ids(market.district_official)
    assert elsewhere.id in services.matchable_ids(market.district_official)


def test_a_run_proposes_with_scores_and_funding_and_is_audited(market, evaluated, make_pool):
    project, best, second = evaluated
    micro = market.make_project(kind=ProjectKind.MICRO, budget_cents=4_000_000)
    pool = make_pool(total_cents=10_000_000)
    run = market.match([project, micro])
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100 and run.seconds is not None
    tender_proposal = market.proposal(run, project)
    assert tender_proposal.units[0]["provider_id"] == best.organization_id
    assert set(tender_proposal.units[0]["components"]) >= {"text", "price", "reputation", "geography"}
    micro_proposal = market.proposal(run, micro)
    assert micro_proposal.funding == [{"pool_id": pool.id, "amount": 4_000_000}]
    view = services.run_view(run, "en")
    assert len(view.proposals) == 2 and view.unmatched == []
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"match_run.created", "match_run.finished"} <= actions


def test_unmatched_projects_say_why_in_the_readers_language(market, category):
    project = market.make_project(kind=ProjectKind.MICRO, category_code="youth")
    run = market.match([project])
    [stored] = run.result["unmatched"]
    assert (stored["code"], stored["params"]["category"]) == ("no_provider_for_category", "youth")
    youth = category("youth")
    [english] = services.run_view(run, "en").unmatched
    assert english.code == "no_provider_for_category"
    assert english.reason == f"No provider offers {youth.tr('name', 'en')}."
    [chinese] = services.run_view(run, "zh").unmatched
    assert chinese.code == "no_provider_for_category" and youth.name in chinese.reason


def test_failed_run_keeps_the_error(market, evaluated, monkeypatch):
    project, *_ = evaluated
    run = services.start_run(market.official, [project.id], adapter.RunOptions(), now=AFTER)
    db.session.commit()
    services.fail_run(run, "ValueError: boom")
    assert run.status == RunStatus.FAILED and run.error == "ValueError: boom"
    with pytest.raises(IllegalTransition):
        transition(run, RunStatus.RUNNING, actor=None, action="match_run.started")
    assert run.status == RunStatus.FAILED


# ---------------------------------------------------------------- decisions

def test_decisions_need_a_reason_and_the_right_official_and_change_the_next_run(market, evaluated):
    project, best, second = evaluated
    run = market.match([project])
    forbid = services.DecisionInput(project_id=project.id, kind=DecisionKind.FORBID,
                                    provider_id=best.organization_id, reason="  ")
    with pytest.raises(ValidationFailed) as caught:
        services.add_decision(market.official, run, forbid, now=AFTER)
    assert "reason" in caught.value.fields
    forbid = services.DecisionInput(project_id=project.id, kind=DecisionKind.FORBID,
                                    provider_id=best.organization_id, reason="该机构存在未整改的投诉")
    with pytest.raises(PermissionDenied):
        services.add_decision(market.other_official, run, forbid, now=AFTER)
    with pytest.raises(ValidationFailed):
        services.add_decision(market.official, run, services.DecisionInput(
            project_id=project.id, kind=DecisionKind.PIN, reason="两者都给了", provider_id=1, pool_id=1), now=AFTER)
    decision = services.add_decision(market.official, run, forbid, now=AFTER)
    db.session.commit()
    again = services.rerun(market.official, run, now=AFTER)
    db.session.commit()
    services.execute_run(again, now=AFTER)
    assert again.parent_id == run.id
    assert market.proposal(again, project).units[0]["provider_id"] == second.organization_id
    services.revoke_decision(market.official, decision, now=AFTER)
    with pytest.raises(Conflict):
        services.revoke_decision(market.official, decision, now=AFTER)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match_decision.forbid")).after["reason"] \
        == "该机构存在未整改的投诉"


def test_a_new_decision_on_the_same_pair_replaces_the_old_one(market, evaluated):
    project, best, _ = evaluated
    run = market.match([project])
    for kind in (DecisionKind.FORBID, DecisionKind.PIN):
        services.add_decision(market.official, run, services.DecisionInput(
            project_id=project.id, kind=kind, provider_id=best.organization_id, reason="改变主意的理由"), now=AFTER)
    active = services.decisions_for([project.id])
    assert [d.kind for d in active] == [DecisionKind.PIN]


def test_reject_needs_a_reason(market, evaluated):
    project, *_ = evaluated
    proposal = market.proposal(market.match([project]), project)
    with pytest.raises(ValidationFailed):
        services.reject_proposal(market.official, proposal, "", now=AFTER)
    with pytest.raises(PermissionDenied):
        services.reject_proposal(market.other_official, proposal, "不合适的原因", now=AFTER)
    services.reject_proposal(market.official, proposal, "报价不合理，需要重新评估", now=AFTER)
    assert proposal.status == MatchProposalStatus.REJECTED
    with pytest.raises(Conflict):
        awards.approve_proposal(market.official, proposal, now=AFTER)


# ---------------------------------------------------------------- approval and money

def test_approval_reserves_money_and_never_overspends(market, make_pool):
    market.org()
    first = market.make_project(kind=ProjectKind.MICRO, budget_cents=6_000_000)
    second = market.make_project(kind=ProjectKind.MICRO, budget_cents=6_000_000)
    pool = make_pool(total_cents=20_000_000, remaining_cents=10_000_000)
    run_a = market.match([first])
    run_b = market.match([second])  # each run saw the whole 100,000
    award = awards.approve_proposal(market.official, market.proposal(run_a, first), now=AFTER)
    db.session.commit()
    db.session.refresh(pool)
    assert pool.remaining_cents == 4_000_000 and first.status == ProjectStatus.AWARDED
    [commitment] = db.session.scalars(select(FundingCommitment)).all()
    assert (commitment.amount_cents, commitment.status, commitment.award_id) == (6_000_000, CommitmentStatus.RESERVED,
                                                                                 award.id)
    with pytest.raises(Conflict) as caught:
        awards.approve_proposal(market.official, market.proposal(run_b, second), now=AFTER)
    assert caught.value.code == "pool_exhausted"
    db.session.rollback()
    db.session.refresh(pool)
    assert pool.remaining_cents == 4_000_000 and second.status == ProjectStatus.OPEN
    assert ledger.balance(ledger.pool(pool.id)) == 4_000_000
    assert ledger.balance(ledger.commitment(commitment.id)) == 6_000_000
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "money.commitment")).all()
    assert event.after["amount_cents"] == 6_000_000 and event.after["project_id"] == first.id
    assert (event.after["from"], event.after["to"]) == (f"pool:{pool.id}", f"commitment:{commitment.id}")
    assert event.after["balances"][f"pool:{pool.id}"] == 4_000_000
    assert ledger.check().ok


def test_approval_is_refused_once_the_providers_verification_is_withdrawn(market, evaluated):
    from market.orgs import services as orgs

    project, best, _ = evaluated
    proposal = market.proposal(market.match([project]), project)
    assert proposal.units[0]["provider_id"] == best.organization_id
    orgs.refuse(market.official, best.organization, "资质证书已过期，撤销认证")
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        awards.approve_proposal(market.official, proposal, now=AFTER)
    assert caught.value.code == "provider_unverified"
    db.session.rollback()
    assert proposal.status == MatchProposalStatus.PROPOSED and db.session.scalar(select(func.count(Contract.id))) == 0


def test_a_project_is_awarded_once_even_from_two_runs(market, evaluated):
    project, *_ = evaluated
    one, two = market.match([project]), market.match([project])
    awards.approve_proposal(market.official, market.proposal(one, project), now=AFTER)
    db.session.commit()
    assert market.proposal(two, project).status == MatchProposalStatus.SUPERSEDED
    with pytest.raises(Conflict):
        awards.approve_proposal(market.district_official, market.proposal(two, project), now=AFTER)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_only_the_projects_officials_approve(market, evaluated):
    project, *_ = evaluated
    proposal = market.proposal(market.match([project]), project)
    for actor in (market.other_official, market.provider()):
        with pytest.raises(PermissionDenied):
            awards.approve_proposal(actor, proposal, now=AFTER)


def test_approval_creates_award_contract_milestones_and_decides_bids(market, evaluated):
    project, best, second = evaluated
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project),
                                    reason="综合评分最高", now=AFTER)
    db.session.commit()
    assert award.status == AwardStatus.IN_NOTICE and award.reason == "综合评分最高"
    assert award.notice_ends_at > AFTER + timedelta(days=5)  # five working days, weekends skipped
    [contract] = contract_services.contracts_of(award)
    assert contract.status == ContractStatus.IN_NOTICE and contract.provider_id == best.organization_id
    assert [m.amount_cents for m in contract.milestones] == [7_800_000, 10_400_000, 7_800_000]
    assert [m.due_date for m in contract.milestones][0] == project.start_date
    statuses = dict(db.session.execute(select(Bid.organization_id, Bid.status)).all())
    assert statuses == {best.organization_id: BidStatus.AWARDED, second.organization_id: BidStatus.NOT_AWARDED}


def test_split_project_gets_one_contract_per_lot(market):
    from market.bids.services import lots_of

    project = market.tendered(lots=(("一", 18_000_000), ("二", 12_000_000)))
    first, second = lots_of(project)
    a, b = market.provider(), market.provider()
    market.bid(a, project, 17_000_000, lot=first)
    market.bid(b, project, 11_000_000, lot=second)
    market.open(project)
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project), now=AFTER)
    contracts = contract_services.contracts_of(award)
    assert [(c.lot_seq, c.provider_id, c.amount_cents) for c in contracts] == [
        (1, a.organization_id, 17_000_000), (2, b.organization_id, 11_000_000)]
    assert award.amount_cents == 28_000_000


def test_public_benefit_funding_is_contracted_with_the_applicant(market, make_pool):
    applicant = market.org()
    member = market.provider(applicant)
    project = market.received(market.make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=10_000_000,
                                                  owner=member), 4_000_000)
    make_pool(total_cents=50_000_000)
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project), now=AFTER)
    [contract] = contract_services.contracts_of(award)
    assert contract.provider_id == applicant.id and contract.amount_cents == 6_000_000
    assert project.funded_cents == 4_000_000 and awards.reserved_for(project.id) == 6_000_000


# ---------------------------------------------------------------- notice, objections, signing

def _approved(market, evaluated):
    project, *_ = evaluated
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project), now=AFTER)
    db.session.commit()
    return award


def test_contracts_are_signed_only_after_the_notice_without_open_objections(market, evaluated, make_user):
    award = _approved(market, evaluated)
    [contract] = contract_services.contracts_of(award)
    with pytest.raises(Conflict):
        contract_services.sign_contract(market.official, contract, now=AFTER + timedelta(hours=1))
    resident = make_user(Role.RESIDENT)
    objection = awards.file_objection(resident, award, "该机构人手不足，请核实其服务能力。", now=AFTER + timedelta(hours=2))
    with pytest.raises(ValidationFailed):
        awards.file_objection(resident, award, "太短", now=AFTER + timedelta(hours=2))
    with pytest.raises(Conflict):
        awards.file_objection(resident, award, "同一个人再提一次异议内容", now=AFTER + timedelta(hours=3))
    after_notice = award.notice_ends_at + timedelta(minutes=1)
    with pytest.raises(Conflict):
        awards.file_objection(make_user(Role.RESIDENT), award, "通知期结束后才提的异议", now=after_notice)
    assert contract_services.sign_due_contracts(now=after_notice) == []
    with pytest.raises(PermissionDenied):
        awards.answer_objection(market.other_official, objection, uphold=False, answer="不归你管的回复", now=after_notice)
    awards.answer_objection(market.official, objection, uphold=False, answer="经核实，人员配置充足。", now=after_notice)
    assert objection.status == AwardObjectionStatus.DISMISSED
    with pytest.raises(PermissionDenied):
        contract_services.sign_contract(market.other_official, contract, now=after_notice)
    contract_services.sign_contract(market.official, contract, now=after_notice)
    assert contract.status == ContractStatus.SIGNED and award.status == AwardStatus.CONFIRMED
    assert award.project.status == ProjectStatus.IN_PROGRESS


def test_an_upheld_objection_cancels_the_award_and_gives_the_money_back(market, make_pool, make_user):
    market.org()
    project = market.make_project(kind=ProjectKind.MICRO, budget_cents=5_000_000)
    pool = make_pool(total_cents=8_000_000)
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project), now=AFTER)
    db.session.commit()
    assert pool.remaining_cents == 3_000_000
    objection = awards.file_objection(make_user(Role.RESIDENT), award, "中标机构与评审人员存在利害关系。",
                                      now=AFTER + timedelta(hours=1))
    awards.answer_objection(market.official, objection, uphold=True, answer="经查属实，撤销本次授予。",
                            now=AFTER + timedelta(days=1))
    db.session.commit()
    db.session.refresh(pool)
    assert award.status == AwardStatus.CANCELLED and pool.remaining_cents == 8_000_000
    assert project.status == ProjectStatus.OPEN
    assert {c.status for c in db.session.scalars(select(FundingCommitment))} == {CommitmentStatus.RELEASED}
    assert {c.status for c in db.session.scalars(select(Contract))} == {ContractStatus.TERMINATED}
    again = awards.approve_proposal(market.official, market.proposal(market.match([project]), project),
                                    now=AFTER + timedelta(days=2))  # the place is free again
    assert again.status == AwardStatus.IN_NOTICE and len(contract_services.contracts_of(again)) == 1


def test_pool_consistency_after_many_operations(market, make_pool):
    pool = make_pool(total_cents=30_000_000)
    market.org(capacity=5)
    projects = [market.make_project(kind=ProjectKind.MICRO, budget_cents=4_000_000) for _ in range(3)]
    run = market.match(projects)
    for project in projects:
        awards.approve_proposal(market.official, market.proposal(run, project), now=AFTER)
    db.session.commit()
    pool = db.session.get(FundingPool, pool.id)
    committed = db.session.scalar(select(func.sum(FundingCommitment.amount_cents)).where(
        FundingCommitment.pool_id == pool.id, FundingCommitment.status != CommitmentStatus.RELEASED))
    assert committed == pool.received_cents - pool.remaining_cents == 12_000_000
    assert ledger.movements_total(ledger.pool(pool.id), ledger.Movement.COMMITMENT) == -12_000_000
