"""The marketplace demo stage: every stage of publish → bid → match → award → contract is shown,
money is consistent, and officials can run the console on the whole demo set."""
from __future__ import annotations

import hashlib
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from market.accounts.services import find_user_by_email
from market.bids.models import Bid, BidStatus, Lot, Tender
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from market.core import ledger
from market.core.audit import AuditEvent, verify_chain
from market.core.db import db
from market.demo import SOCIAL_FUND_NAME, loader
from market.demo.data import REFERENCE_TIME
from market.demo.marketplace import load_marketplace_demo
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.payments.models import Payout, PayoutStatus
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review import adapter, services
from market.review.models import (
    Award,
    AwardObjection,
    AwardObjectionStatus,
    AwardStatus,
    MatchDecision,
    MatchRun,
    RunStatus,
)
from tests.market.demo_helpers import determinism_is_checked_on_sqlite

STAGE = load_marketplace_demo


def _load(tmp_path_factory, databases):
    app = databases.app(str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        loader.load_demo(db.session, stages=(STAGE,))  # this stage alone, on the base data
        db.session.commit()
    return app


@pytest.fixture(scope="module")
def demo(tmp_path_factory, databases):
    yield _load(tmp_path_factory, databases)


@pytest.fixture
def ctx(demo):
    with demo.test_request_context():
        yield demo
        db.session.rollback()


def _bid_digest() -> str:
    rows = db.session.execute(select(Bid.project_id, Bid.lot_seq, Bid.organization_id, Bid.price_cents, Bid.status,
                                     Bid.seal).order_by(Bid.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_stage_is_registered_before_the_stages_that_build_on_it():
    from market.demo.micro import load_micro_demo

    assert STAGE in loader.DEMO_STAGES
    # The micro-projects link their rounds to the contracts made here.
    assert loader.DEMO_STAGES.index(STAGE) < loader.DEMO_STAGES.index(load_micro_demo)


def test_open_tenders_carry_sealed_bids_including_the_demo_provider(ctx):
    provider = find_user_by_email("provider@demo.futian.example")
    open_tenders = db.session.scalars(select(Project).join(Tender, Tender.project_id == Project.id)
                                      .where(Project.status == ProjectStatus.OPEN)).all()
    closed = [p for p in open_tenders if p.bid_deadline <= REFERENCE_TIME]
    assert len(open_tenders) > 30 and len(closed) == 1  # one closed yesterday, waiting to be opened
    (waiting,) = closed
    assert waiting.owner.email == "street.official@demo.futian.example"
    assert db.session.scalar(select(func.count(Bid.id)).where(Bid.project_id == waiting.id)) >= 2
    bids = db.session.scalars(select(Bid).where(Bid.project_id.in_([p.id for p in open_tenders]))).all()
    assert len(bids) > 60 and {b.status for b in bids} == {BidStatus.SUBMITTED}
    mine = [b for b in bids if b.organization_id == provider.organization_id]
    assert len(mine) >= 3 and all(b.submitted_by_id == provider.id for b in mine)
    assert not any(db.session.get(Tender, t.id).is_opened for t in db.session.scalars(
        select(Tender).where(Tender.project_id.in_([p.id for p in open_tenders]))))
    assert db.session.scalar(select(func.count(Lot.id))) >= 4
    sealed = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "sealed_bid")).all()
    assert {e.object_id for e in sealed} == {b.seal for b in mine}
    assert all(e.actor_id is None for e in sealed)


def test_evaluating_tenders_were_opened_after_their_deadline_and_audited(ctx):
    evaluating = db.session.scalars(select(Project).where(Project.status == ProjectStatus.EVALUATING,
                                                          Project.kind == ProjectKind.GOVERNMENT_SERVICE)).all()
    assert len(evaluating) >= 10
    for project in evaluating:
        tender = db.session.scalar(select(Tender).where(Tender.project_id == project.id))
        assert tender.is_opened and project.bid_deadline <= tender.opened_at <= REFERENCE_TIME
    openings = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "tender.opened"))
    assert openings >= len(evaluating)


def test_a_finished_match_run_with_a_decision_and_approvals(ctx):
    first, run = db.session.scalars(select(MatchRun).order_by(MatchRun.id)).all()
    assert run.parent_id == first.id
    assert run.status == RunStatus.SUCCEEDED and run.result["assignments"]
    decision = db.session.scalar(select(MatchDecision))
    assert decision.reason and decision.kind == "forbid"
    overridden = next(p for p in run.proposals if p.project_id == decision.project_id)
    assert all(u["provider_id"] != decision.provider_id for u in overridden.units)
    assert sum(p.status == "approved" for p in run.proposals) == 2
    view = services.run_view(run, "zh")
    assert view.proposals


def test_awards_in_notice_with_objections_and_contracts_in_every_state(ctx):
    statuses = Counter(db.session.scalars(select(Award.status)))
    assert statuses[AwardStatus.IN_NOTICE] >= 10 and statuses[AwardStatus.CONFIRMED] >= 50
    objections = Counter(db.session.scalars(select(AwardObjection.status)))
    assert objections[AwardObjectionStatus.OPEN] >= 1 and objections[AwardObjectionStatus.DISMISSED] >= 1
    contracts = Counter(db.session.scalars(select(Contract.status)))
    assert {ContractStatus.IN_NOTICE, ContractStatus.SIGNED, ContractStatus.COMPLETED} <= set(contracts)
    milestones = Counter(db.session.scalars(select(Milestone.status)))
    assert all(milestones[s] > 0 for s in MilestoneStatus)
    later = db.session.scalars(select(Project).where(Project.status.in_(
        (ProjectStatus.AWARDED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)))).all()
    contracted = set(db.session.scalars(select(Contract.project_id)))
    assert all(p.id in contracted for p in later)
    for contract in db.session.scalars(select(Contract).where(Contract.status == ContractStatus.COMPLETED)):
        assert {m.status for m in contract.milestones} == {MilestoneStatus.PAID}
        assert sum(m.amount_cents for m in contract.milestones) == contract.amount_cents


def test_pool_commitments_match_the_money_spent(ctx):
    for pool in db.session.scalars(select(FundingPool)):
        committed = db.session.scalar(select(func.coalesce(func.sum(FundingCommitment.amount_cents), 0)).where(
            FundingCommitment.pool_id == pool.id, FundingCommitment.status != CommitmentStatus.RELEASED))
        assert 0 <= pool.remaining_cents <= pool.received_cents <= pool.declared_cents
        # This stage alone spends pool money only on commitments.
        assert committed == pool.received_cents - pool.remaining_cents, pool.name
        if pool.name == SOCIAL_FUND_NAME:
            assert pool.received_cents - pool.remaining_cents >= 7_360_000 * 100


def test_past_payouts_drew_on_the_commitments(ctx):
    report = ledger.check()
    assert report.ok, report.problems[:10]
    statuses = Counter(db.session.scalars(select(FundingCommitment.status)))
    assert statuses[CommitmentStatus.RESERVED] > 10 and statuses[CommitmentStatus.PAID] > 10
    paid = db.session.scalars(select(Milestone).where(Milestone.status == MilestoneStatus.PAID)).all()
    payouts = {p.milestone_id: p for p in db.session.scalars(select(Payout))}
    assert {m.id for m in paid} == set(payouts)
    assert all(payouts[m.id].status == PayoutStatus.PAID and payouts[m.id].amount_cents == m.amount_cents
               for m in paid)
    for commitment in db.session.scalars(select(FundingCommitment).where(
            FundingCommitment.status == CommitmentStatus.PAID)):
        assert ledger.balance(ledger.commitment(commitment.id)) == 0
        assert -ledger.movements_total(ledger.commitment(commitment.id), ledger.Movement.PAYOUT) > 0


def test_audit_chain_is_intact(ctx):
    assert verify_chain().ok


def test_officials_run_the_console_on_the_whole_demo_set(ctx):
    official = find_user_by_email("official@demo.futian.example")
    ids = sorted(services.matchable_ids(official))
    assert len(ids) > 100
    run = services.start_run(official, ids, adapter.RunOptions(time_limit=60), now=REFERENCE_TIME)
    started = time.perf_counter()
    services.execute_run(run, now=REFERENCE_TIME)
    seconds = time.perf_counter() - started
    assert run.status == RunStatus.SUCCEEDED and seconds < 60
    stats = run.result["stats"]
    assert stats["providers"] > 500 and stats["pools"] > 200 and stats["bids"] > 50
    assert len(run.result["assignments"]) + len(run.result["unmatched"]) >= len(ids)
    print(f"\nconsole on the demo set: {len(ids)} projects, {stats['providers']} providers, {stats['pools']} pools, "
          f"{stats['bids']} bids in {seconds:.1f} s")


def test_deterministic(ctx, tmp_path_factory, databases, request):
    determinism_is_checked_on_sqlite(request)
    expected = _bid_digest()
    again = _load(tmp_path_factory, databases)
    with again.app_context():
        assert _bid_digest() == expected


def test_goods_and_works_go_only_to_organisations_that_supply_them(ctx):
    """Social organisations supply services; goods and works projects are proposed only to firms that
    supply goods or works (works: with a construction licence)."""
    from market.orgs.models import Organization, OrgKind
    from matching.candidates import generate_candidates

    orgs = {o.id: o for o in db.session.scalars(select(Organization))}
    assert all(o.supplies == ["service"] for o in orgs.values() if o.kind == OrgKind.SOCIAL_ORGANISATION)
    assert any("works" in o.supplies and "construction" in o.qualifications for o in orgs.values())
    official = find_user_by_email("official@demo.futian.example")
    projects = db.session.scalars(select(Project).where(Project.id.in_(services.matchable_ids(official)))).all()
    types = {p.id: str(p.project_type) for p in projects}
    wanted = [pid for pid, kind in types.items() if kind != "service"]
    assert wanted
    built = adapter.build_problem(wanted, adapter.RunOptions(), now=REFERENCE_TIME)
    candidates = generate_candidates(built.problem)
    proposed = [(project_id, c.provider_id) for (project_id, _lot), found in candidates.providers.items()
                for c in found]
    assert proposed
    for project_id, provider_id in proposed:
        org = orgs[provider_id]
        assert types[project_id] in org.supplies, (project_id, org.name)
        assert org.kind != OrgKind.SOCIAL_ORGANISATION
        if types[project_id] == "works":
            assert "construction" in org.qualifications


def test_the_officials_added_words_to_the_matching_vocabulary_through_the_service(ctx):
    from market.demo.marketplace import VOCABULARY_WORDS
    from market.review import vocabulary
    from market.review.models import VocabularyTerm

    rows = db.session.scalars(select(VocabularyTerm).order_by(VocabularyTerm.id)).all()
    assert [(r.skill, r.term) for r in rows] == [(skill, word) for _who, _code, skill, word in VOCABULARY_WORDS]
    assert {r.added_by.email for r in rows} == {"street.official@demo.futian.example", "official@demo.futian.example"}
    added = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "vocabulary_term.added")).all()
    assert sorted(added) == sorted(str(r.id) for r in rows)
    assert "帮老人洗澡" in vocabulary.engine_vocabulary(rows[0].district_id).skills_in("希望有人帮老人洗澡", "elderly_care").values()
