"""Two officials approving at the same moment never overspend a pool nor award a project twice.

The approvals really run at once, each in its own thread, application context and database
session: row locks do the work on PostgreSQL, the database's write lock (taken before the rows
are read, see market.core.db) on SQLite.
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from market.accounts.models import User
from market.contracts.models import Contract, ContractStatus
from market.core import ledger
from market.core.db import db
from market.core.errors import Conflict
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.projects.models import ProjectKind
from market.review import awards
from market.review.models import MatchProposal
from tests.market.bids.helpers import AFTER


def _approve_all(app, jobs: list[tuple[int, int]]) -> list[str]:
    """Approve each (official id, proposal id); return "ok" or the Conflict code per job."""
    outcomes: list[str] = [""] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def work(index: int, official_id: int, proposal_id: int) -> None:
        with app.test_request_context():  # as a request would: its own app context and session
            official = db.session.get(User, official_id)
            proposal = db.session.get(MatchProposal, proposal_id)
            barrier.wait(timeout=30)
            try:
                awards.approve_proposal(official, proposal, reason="并发审批测试", now=AFTER)
                db.session.commit()
                outcomes[index] = "ok"
            except Conflict as error:
                db.session.rollback()
                outcomes[index] = error.code

    db.session.commit()  # the test's own session holds no transaction while the officials work
    threads = [threading.Thread(target=work, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _check_invariants(pool_ids):
    db.session.expire_all()
    for pool in db.session.scalars(select(FundingPool).where(FundingPool.id.in_(pool_ids))):
        committed = db.session.scalar(select(func.coalesce(func.sum(FundingCommitment.amount_cents), 0)).where(
            FundingCommitment.pool_id == pool.id, FundingCommitment.status != CommitmentStatus.RELEASED))
        assert pool.remaining_cents >= 0
        assert committed <= pool.received_cents
        assert committed == pool.received_cents - pool.remaining_cents
    assert ledger.check().ok
    per_project = db.session.execute(select(Contract.project_id, func.count()).where(
        Contract.status != ContractStatus.TERMINATED).group_by(Contract.project_id)).all()
    assert all(n == 1 for _, n in per_project)


def test_competing_approvals_against_one_pool(app, market, make_pool):
    """Three projects each needing 60,000 from a pool holding 100,000: exactly one gets it."""
    market.org(capacity=5)
    projects = [market.make_project(kind=ProjectKind.MICRO, budget_cents=6_000_000) for _ in range(3)]
    pool = make_pool(total_cents=10_000_000)
    runs = [market.match([project]) for project in projects]  # each run saw all the money
    officials = [market.official, market.district_official, market.official]
    jobs = [(officials[i].id, market.proposal(run, projects[i]).id) for i, run in enumerate(runs)]
    outcomes = _approve_all(app, jobs)
    assert sorted(outcomes) == ["ok", "pool_exhausted", "pool_exhausted"], outcomes
    _check_invariants([pool.id])
    assert db.session.get(FundingPool, pool.id).remaining_cents == 4_000_000


def test_two_officials_approve_the_same_project_at_once(app, market, make_pool):
    market.org(capacity=5)
    project = market.make_project(kind=ProjectKind.MICRO, budget_cents=6_000_000)
    pools = [make_pool(total_cents=50_000_000), make_pool(total_cents=50_000_000)]
    one, two = market.match([project]), market.match([project])
    jobs = [(market.official.id, market.proposal(one, project).id),
            (market.district_official.id, market.proposal(two, project).id)]
    outcomes = _approve_all(app, jobs)
    assert sorted(outcomes) == ["already_awarded", "ok"] or sorted(outcomes) == ["conflict", "ok"], outcomes
    _check_invariants([p.id for p in pools])
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_many_approvals_race_for_two_pools(app, market, make_pool):
    """Six projects, two pools that together fund four of them: never more."""
    market.org(capacity=10)
    market.org(capacity=10)
    projects = [market.make_project(kind=ProjectKind.MICRO, budget_cents=5_000_000) for _ in range(6)]
    pools = [make_pool(total_cents=10_000_000), make_pool(total_cents=10_000_000)]
    runs = [market.match([project]) for project in projects]
    jobs = [((market.official if i % 2 else market.district_official).id, market.proposal(run, projects[i]).id)
            for i, run in enumerate(runs)]
    outcomes = _approve_all(app, jobs)
    _check_invariants([p.id for p in pools])
    assert outcomes.count("ok") <= 4 and outcomes.count("ok") >= 2, outcomes


def test_the_same_run_started_at_once_twice_is_queued_once(app, market):
    """Two requests for the same run at the same moment (two servers, a double click): one run."""
    from market.review import adapter, services
    from market.review.models import MatchRun

    project = market.make_project(kind=ProjectKind.MICRO, budget_cents=6_000_000)
    official_id, project_id = market.official.id, project.id
    db.session.commit()
    outcomes: list[str] = ["", ""]
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        with app.test_request_context():
            official = db.session.get(User, official_id)
            barrier.wait(timeout=30)
            try:
                services.start_run(official, [project_id], adapter.RunOptions(), now=AFTER)
                db.session.commit()
                outcomes[index] = "queued"
            except services.RunUnderWay as under_way:
                db.session.rollback()
                outcomes[index] = f"joined {under_way.run.id}"

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    runs = db.session.scalars(select(MatchRun.id)).all()
    assert len(runs) == 1 and sorted(outcomes) == ["joined " + str(runs[0]), "queued"], outcomes
