"""The micro-project demo stage: a community of 福田街道 in every phase, consistent and deterministic."""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from market.core.db import db
from market.demo import load_demo
from market.demo.data import REFERENCE_TIME
from matching import pb
from tests.market.demo_helpers import determinism_is_checked_on_sqlite


def _fresh_app(tmp_path_factory, databases):
    app = databases.app(str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        load_demo(db.session)
        db.session.commit()
    return app


def _digest() -> str:
    from market.micro.models import Ballot, BallotChoice, MicroRound, Proposal, RoundResult

    rows = [db.session.execute(select(MicroRound.id, MicroRound.phase, MicroRound.community_id, MicroRound.budget_cents,
                                      MicroRound.voting_closes_at).order_by(MicroRound.id)).all(),
            db.session.execute(select(Proposal.id, Proposal.title, Proposal.status, Proposal.official_cost_cents,
                                      Proposal.author_id, Proposal.project_id).order_by(Proposal.id)).all(),
            db.session.execute(select(Ballot.round_id, Ballot.voter_id, BallotChoice.proposal_id)
                               .join(BallotChoice).order_by(Ballot.id, BallotChoice.proposal_id)).all(),
            db.session.execute(select(RoundResult.proposal_id, RoundResult.votes, RoundResult.selected)
                               .order_by(RoundResult.id)).all()]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _round(phase, community=None):
    from market.geo.models import Community
    from market.micro.models import MicroRound

    stmt = select(MicroRound).where(MicroRound.phase == phase).order_by(MicroRound.id)
    if community:
        stmt = stmt.join(Community, MicroRound.community_id == Community.id).where(Community.name == community)
    return db.session.scalars(stmt).all()


def test_one_community_in_each_phase(demo):
    from market.micro.models import MicroRound, RoundPhase

    phases = dict(db.session.execute(select(MicroRound.phase, func.count(MicroRound.id)).group_by(MicroRound.phase)).all())
    assert phases == {RoundPhase.COLLECTION: 1, RoundPhase.REVIEW: 1, RoundPhase.VOTING: 1, RoundPhase.NOTICE: 1,
                      RoundPhase.FINAL: 2}
    assert {r.street.name for r in db.session.scalars(select(MicroRound))} == {"福田街道"}


def test_demo_resident_can_vote_propose_and_rate_right_away(demo):
    from market.accounts.services import find_user_by_email
    from market.micro.models import Ballot, RoundPhase
    from market.micro.services import evaluation, proposals, rounds, voting

    resident = find_user_by_email("resident@demo.futian.example")
    (round_,) = _round(RoundPhase.VOTING)
    assert round_.community_id is None and round_.covers(resident.community_id, resident.community.street_id)
    assert voting.voting_problem(resident, round_, REFERENCE_TIME) is None
    assert voting.ballot_of(resident, round_) is None
    from market.accounts.models import User

    voters = db.session.scalars(select(User.community_id).join(Ballot, Ballot.voter_id == User.id)
                                .where(Ballot.round_id == round_.id)).all()
    assert len(voters) == 30 and len(set(voters)) == 2  # neighbours of another community vote too
    assert len(voting.feasible_proposals(round_)) == 6
    assert any(p.author_id == resident.id for p in round_.proposals)
    (collecting,) = _round(RoundPhase.COLLECTION, "福山社区")
    proposals.require_collecting(resident, collecting)  # the resident's own community collects: they can propose
    assert {r.id for r in rounds.current_rounds_for(resident.community_id)} == {round_.id, collecting.id}
    (to_rate,) = evaluation.projects_to_rate(resident, REFERENCE_TIME)
    assert to_rate.community_id == resident.community_id
    assert evaluation.rating_problem(resident, to_rate, REFERENCE_TIME) is None


def test_collection_and_review_rounds(demo):
    from market.micro.models import ExpertScore, ProposalStatus, RoundPhase, Support

    (collection,) = _round(RoundPhase.COLLECTION)
    statuses = [p.status for p in collection.proposals]
    assert statuses.count(ProposalStatus.SUBMITTED) == 4 and ProposalStatus.DRAFT in statuses
    assert ProposalStatus.NEEDS_CHANGES in statuses
    assert db.session.scalar(select(func.count(Support.id))) > 50
    (review_round,) = _round(RoundPhase.REVIEW)
    statuses = {p.status for p in review_round.proposals}
    assert {ProposalStatus.FEASIBLE, ProposalStatus.SUBMITTED, ProposalStatus.DECLINED, ProposalStatus.MERGED} <= statuses
    assert db.session.scalar(select(func.count(ExpertScore.id))) == 6


def test_notice_round_reproduces_with_the_engine(demo):
    from market.micro.models import ObjectionStatus, RoundPhase
    from market.micro.services import elections, voting

    (round_,) = _round(RoundPhase.NOTICE)
    assert round_.results and round_.notice_ends_at > REFERENCE_TIME > round_.results_published_at
    election = pb.parse_pabulib(elections.export_pabulib(round_))
    result = pb.run_rule(round_.rule, election)
    assert sorted(result.selected) == sorted(str(r.proposal_id) for r in round_.results if r.selected)
    assert {o.status for o in voting.objections_of(round_)} == {ObjectionStatus.ANSWERED, ObjectionStatus.UNANSWERED}


def test_implementation_and_acceptance(demo):
    from market.accounts.services import find_user_by_email
    from market.micro.models import RoundPhase
    from market.micro.services import evaluation, supervision
    from market.projects.models import ProjectStatus

    finals = _round(RoundPhase.FINAL)
    projects = [p.project for r in finals for p in r.proposals if p.project_id]
    assert sorted(p.status for p in projects) == [ProjectStatus.COMPLETED, ProjectStatus.IN_PROGRESS]
    delivering = next(p for p in projects if p.status == ProjectStatus.IN_PROGRESS)
    assert len(supervision.updates_of(delivering)) == 2
    flags = supervision.flags_of(delivering)
    assert sum(f.is_overdue(REFERENCE_TIME) for f in flags) == 1 and len(flags) == 2
    assert supervision.overdue_count(delivering.owner, REFERENCE_TIME) == 1
    assert supervision.is_following(find_user_by_email("resident@demo.futian.example"), delivering)
    accepted = next(p for p in projects if p.status == ProjectStatus.COMPLETED)
    acceptance = evaluation.acceptance_of(accepted)
    assert acceptance.rating_is_open(REFERENCE_TIME)
    provider = supervision.contract_of(accepted).provider_id
    assert evaluation.provider_reputation(provider).count == 6


def test_demo_is_deterministic(demo, tmp_path_factory, databases, request):
    determinism_is_checked_on_sqlite(request)
    expected = _digest()
    again = _fresh_app(tmp_path_factory, databases)
    with again.app_context():
        assert _digest() == expected
