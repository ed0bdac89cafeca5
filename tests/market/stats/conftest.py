"""A small district in 2025 with known answers for every figure of the dashboard.

Projects, awards and contracts are written as the demo writes them (``market.demo.marketplace``:
rows with their dates, money through ``ledger.move``); pledges, the micro-project round (proposals,
review, voting), acceptance and ratings go through the services, each at a fixed time.

Street 1 (福田街道): A (10 days from publication to award, completed), B (20 days), E (published in
2024, awarded in 2025 after 30 days), the micro-project M (accepted, rated 3 times), a draft F and
I (published in 2026). Street 2 (莲花街道): C (30 days), D (40 days), G (award cancelled),
J (public-benefit: donations, a refund, two pledges). H belongs to the whole district.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from market.core.calendar import BEIJING
from market.stats.period import Period
from tests.market.bids.helpers import _request_context, market  # noqa: F401

YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))


def bj(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, tzinfo=BEIJING).astimezone(UTC)


@dataclass
class World:
    streets: list
    communities: list
    official: Any  # of street 1
    other_official: Any  # of street 2
    district_official: Any
    projects: dict = field(default_factory=dict)
    providers: dict = field(default_factory=dict)
    pools: dict = field(default_factory=dict)
    residents: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)


def _contract(world: World, project, provider, amount: int, *, approved_at: datetime | None,
              award_status=None, status=None, ended_at: datetime | None = None):
    """An award (when ``approved_at``) and its contract, written as the demo writes them."""
    from market.contracts.models import Contract, ContractStatus
    from market.core.calendar import add_working_days
    from market.core.db import db
    from market.review.models import Award, AwardStatus

    award = None
    if approved_at is not None:
        award = Award(project_id=project.id, status=award_status or AwardStatus.CONFIRMED,
                      approved_by_id=world.district_official.id, approved_at=approved_at,
                      notice_ends_at=add_working_days(approved_at, 5), amount_cents=amount, reason="综合得分最高。",
                      created_at=approved_at, updated_at=approved_at)
        db.session.add(award)
        db.session.flush()
    # Without an award (a micro-project's provider engaged directly) the signature is the award.
    contract = Contract(project_id=project.id, award_id=award.id if award else None, provider_id=provider.id,
                        amount_cents=amount, status=status or ContractStatus.SIGNED,
                        signed_at=approved_at + timedelta(days=8) if approved_at else bj(2025, 8, 10),
                        ended_at=ended_at, created_at=approved_at or bj(2025, 8, 10))
    db.session.add(contract)
    db.session.commit()
    return contract


def _commit_money(world: World, pool, project, contract, amount: int, at: datetime, payouts=()):
    """Pool money reserved for the contract, then paid out in parts, through the ledger."""
    from market.core import ledger
    from market.core.db import db
    from market.core.state import transition
    from market.funds.models import CommitmentStatus, FundingCommitment

    commitment = FundingCommitment(pool_id=pool.id, project_id=project.id, contract_id=contract.id,
                                   award_id=contract.award_id, amount_cents=amount, status=CommitmentStatus.RESERVED,
                                   created_at=at)
    db.session.add(commitment)
    db.session.flush()
    ledger.move(ledger.Movement.COMMITMENT, amount, source=ledger.pool(pool.id), target=ledger.commitment(commitment.id),
                actor=world.district_official, reference=commitment, project_id=project.id, at=at)
    for part, when in payouts:
        ledger.move(ledger.Movement.PAYOUT, part, source=ledger.commitment(commitment.id), target=ledger.OUTSIDE,
                    actor=world.official, reference_type="test_payout", reference_id=commitment.id,
                    project_id=project.id, at=when)
    if sum(part for part, _ in payouts) == amount:
        commitment.paid_at = payouts[-1][1]
        transition(commitment, CommitmentStatus.PAID, actor=world.official, action="commitment.paid")
    db.session.commit()
    return commitment


def _people(world: World, make_user):
    """Residents of community 1: six verified in 2025, one verified in 2026, one never."""
    from market.accounts.models import Role

    c1 = world.communities[0]
    for _ in range(6):
        world.residents.append(make_user(Role.RESIDENT, community=c1, verified=False, verified_at=bj(2025, 3, 1)))
    make_user(Role.RESIDENT, community=c1, verified=False, verified_at=bj(2026, 2, 1))
    make_user(Role.RESIDENT, community=c1, verified=False)


def _round(world: World, tmp_path: Path):
    """Community 1's round: three proposals (and a draft), all feasible, four ballots with seven votes."""
    from market.core.db import db
    from market.geo.models import ProjectType
    from market.micro.models import RoundPhase
    from market.micro.services import proposals, review, rounds, voting

    official, c1 = world.official, world.communities[0]
    round_ = rounds.create_round(official, rounds.RoundInput(
        title="2025年岗厦社区民生微实事", year=2025, street_id=c1.street_id, community_id=c1.id,
        budget_cents=100_000_000), now=bj(2025, 4, 1))
    r = world.residents
    made = []
    for author, title, submit in ((r[0], "长者饭堂桌椅更新", True), (r[1], "儿童游乐设施维修", True),
                                  (r[2], "楼道照明改造", True), (r[0], "社区花园整治", False)):
        made.append(proposals.create_proposal(author, round_, proposals.ProposalInput(
            title=title, description="改善社区居民生活环境的实事项目。", category_id=world.categories["elderly_care"].id,
            project_type=ProjectType.GOODS, place="社区党群服务中心", estimated_cost_cents=10_000_000),
            submit=submit, upload_dir=tmp_path, now=bj(2025, 4, 5)))
    rounds.change_phase(official, round_, RoundPhase.REVIEW)
    for proposal in made[:3]:
        review.review_proposal(official, proposal, review.ReviewDecision(review.ReviewOutcome.FEASIBLE, 10_000_000),
                               now=bj(2025, 4, 20))
    rounds.open_voting(official, round_, rounds.VotingSetup(budget_cents=100_000_000, opens_at=bj(2025, 5, 1),
                                                            closes_at=bj(2025, 5, 15)), now=bj(2025, 4, 25))
    p1, p2, p3 = (p.id for p in made[:3])
    for voter, choices in ((r[0], [p1, p2]), (r[1], [p2]), (r[2], [p1, p2, p3]), (r[3], [p3])):
        voting.cast_ballot(voter, round_, choices, now=bj(2025, 5, 3))
    db.session.commit()
    return round_


@pytest.fixture
def world(market, make_project, make_org, make_pool, make_user, geo, category, tmp_path) -> World:  # noqa: F811
    from market.accounts.models import Role
    from market.contracts.models import ContractStatus
    from market.core import ledger
    from market.core.db import db
    from market.funding import services as funding
    from market.micro.services import evaluation
    from market.orgs.models import OrgKind
    from market.projects.models import ProjectKind, ProjectStatus
    from market.review.models import AwardStatus

    w = World(streets=geo.streets, communities=geo.communities, official=market.official,
              other_official=market.other_official, district_official=market.district_official)
    w.categories = {"elderly_care": category("elderly_care"), "youth": category("youth")}
    s1, s2 = geo.streets
    w.providers = {name: market.org(name=zh, name_en=en) for name, zh, en in (
        ("P1", "福田长者之家", "Futian Elders' Home"), ("P2", "莲花社工服务社", "Lianhua Social Work"),
        ("P3", "景田邻里中心", "Jingtian Neighbourhood Centre"), ("P4", "岗厦便民服务队", "Gangxia Service Team"))}

    def project(key, *, street, code="elderly_care", budget, published, status=ProjectStatus.OPEN, **fields):
        w.projects[key] = make_project(owner=market.official if street is s1 else market.other_official
                                       if street is s2 else market.district_official,
                                       street=street, category_code=code, budget_cents=budget,
                                       published_at=published, status=status, title=f"项目{key}", **fields)
        return w.projects[key]

    project("A", street=s1, budget=10_000_000, published=bj(2025, 3, 1), status=ProjectStatus.COMPLETED)
    project("B", street=s1, budget=20_000_000, published=bj(2025, 4, 1), status=ProjectStatus.IN_PROGRESS)
    project("C", street=s2, code="youth", budget=5_000_000, published=bj(2025, 5, 1), status=ProjectStatus.IN_PROGRESS)
    project("D", street=s2, code="youth", budget=8_000_000, published=bj(2025, 6, 1), status=ProjectStatus.IN_PROGRESS)
    project("E", street=s1, budget=4_000_000, published=bj(2024, 12, 15), status=ProjectStatus.IN_PROGRESS)
    project("G", street=s2, budget=6_000_000, published=bj(2025, 2, 1))
    project("H", street=None, code="youth", budget=7_000_000, published=bj(2025, 7, 1))
    project("F", street=s1, budget=1_000_000, published=None, status=ProjectStatus.DRAFT)
    project("I", street=s1, budget=3_000_000, published=bj(2026, 1, 5))
    project("J", street=s2, code="youth", budget=5_000_000, published=bj(2025, 2, 15), kind=ProjectKind.PUBLIC_BENEFIT)
    # H belongs to the district: make_project puts projects in street 1 unless told otherwise.
    w.projects["H"].street_id = None
    db.session.commit()
    project("M", street=s1, budget=2_500_000, published=None, status=ProjectStatus.IN_PROGRESS,
            kind=ProjectKind.MICRO, community=geo.communities[0])

    p = w.providers
    contracts = {
        "A": _contract(w, w.projects["A"], p["P1"], 9_000_000, approved_at=bj(2025, 3, 11),
                       status=ContractStatus.COMPLETED, ended_at=bj(2025, 6, 2)),
        "B": _contract(w, w.projects["B"], p["P1"], 18_000_000, approved_at=bj(2025, 4, 21)),
        "C": _contract(w, w.projects["C"], p["P2"], 4_500_000, approved_at=bj(2025, 5, 31)),
        "D": _contract(w, w.projects["D"], p["P3"], 7_000_000, approved_at=bj(2025, 7, 11)),
        "E": _contract(w, w.projects["E"], p["P1"], 3_000_000, approved_at=bj(2025, 1, 14)),
        "G": _contract(w, w.projects["G"], p["P2"], 5_000_000, approved_at=bj(2025, 2, 10),
                       award_status=AwardStatus.CANCELLED, status=ContractStatus.TERMINATED),
        "M": _contract(w, w.projects["M"], p["P4"], 2_500_000, approved_at=None),
    }

    departments = {"district": make_org(OrgKind.GOVERNMENT, name="福田区民政局", categories=(), home_street_id=None),
                   "street": make_org(OrgKind.GOVERNMENT, name="福田街道办事处", categories=(), home_street_id=s1.id)}
    foundation = make_org(OrgKind.FOUNDATION, name="福田慈善基金会", categories=())
    w.pools = {"district": make_pool(funder=departments["district"], total_cents=50_000_000),
               "street": make_pool(funder=departments["street"], total_cents=50_000_000),
               "foundation": make_pool(funder=foundation, total_cents=50_000_000),
               "enterprise": make_pool(funder=make_org(OrgKind.ENTERPRISE, name="平安科技", categories=()),
                                       total_cents=50_000_000)}
    _commit_money(w, w.pools["district"], w.projects["A"], contracts["A"], 9_000_000, bj(2025, 3, 11),
                  [(3_000_000, bj(2025, 5, 1)), (6_000_000, bj(2025, 6, 1))])
    _commit_money(w, w.pools["street"], w.projects["B"], contracts["B"], 18_000_000, bj(2025, 4, 21),
                  [(5_000_000, bj(2025, 7, 1))])
    _commit_money(w, w.pools["foundation"], w.projects["C"], contracts["C"], 4_500_000, bj(2025, 5, 31),
                  [(4_500_000, bj(2026, 1, 10))])
    _commit_money(w, w.pools["enterprise"], w.projects["D"], contracts["D"], 7_000_000, bj(2025, 7, 11),
                  [(2_000_000, bj(2025, 8, 1))])

    j = w.projects["J"]
    for movement, cents, when, source, target in (
            (ledger.Movement.DONATION, 200_000, bj(2024, 12, 1), ledger.OUTSIDE, ledger.project(j.id)),
            (ledger.Movement.DONATION, 1_000_000, bj(2025, 3, 1), ledger.OUTSIDE, ledger.project(j.id)),
            (ledger.Movement.REFUND, 300_000, bj(2025, 4, 1), ledger.project(j.id), ledger.OUTSIDE)):
        ledger.move(movement, cents, source=source, target=target, actor=None, reference_type="test_fixture",
                    reference_id=j.id, project_id=j.id, at=when)
    db.session.commit()
    funder = make_user(Role.FUNDER, organization=foundation)
    released = funding.pledge_from_pool(funder, w.pools["foundation"], j, 500_000, now=bj(2025, 3, 5))
    funding.release_pledge(funder, released, now=bj(2025, 3, 20))
    funding.pledge_from_pool(funder, w.pools["foundation"], j, 250_000, now=bj(2025, 6, 1))
    db.session.commit()

    _people(w, make_user)
    _round(w, tmp_path)
    m = w.projects["M"]
    evaluation.accept_project(market.official, m, "现场验收合格，资料齐全。", now=bj(2025, 9, 1))
    r = w.residents
    stars = ({c: 5 for c in ("quality", "timeliness", "communication", "value_for_money")},
             {c: 4 for c in ("quality", "timeliness", "communication", "value_for_money")},
             {"quality": 3, "timeliness": 2, "communication": 4, "value_for_money": 5})
    for resident, given in zip(r[3:6], stars):
        evaluation.rate_project(resident, m, given, now=bj(2025, 9, 5))
    db.session.commit()
    return w
