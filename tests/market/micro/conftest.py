"""Factories for micro-project tests: rounds in any phase, proposals, ballots, engaged projects."""
from __future__ import annotations

import io
import struct
import zlib
from datetime import date, timedelta

import pytest

from market.accounts.models import Role
from market.core.db import db, utcnow


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services called directly still get a request context, as under a view: messages are translated then."""
    with app.test_request_context():
        yield


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def photo_file():
    return lambda name="photo.png", data=None: (io.BytesIO(data if data is not None else png_bytes()), name)


@pytest.fixture
def street_official(make_user, geo):
    return make_user(Role.OFFICIAL, street=geo.streets[0])


@pytest.fixture
def make_round(app, geo, street_official):
    from market.micro.models import BallotType, MicroRound, RoundPhase, SelectionRule

    def make(*, community=None, street=None, phase=RoundPhase.COLLECTION, budget_yuan=1_000_000, official=None,
             rule=SelectionRule.GREEDY, ballot_type=BallotType.APPROVAL, max_picks=None, street_wide=False,
             opens_delta=timedelta(days=-1), closes_delta=timedelta(days=1), **fields):
        community = None if street_wide else (community or geo.communities[0])
        street = street or (community.street if community else geo.streets[0])
        now = utcnow()
        round_ = MicroRound(title="岗厦社区2027年民生微实事", title_en="Gangxia 2027 micro-projects", year=2027,
                            street_id=street.id, community_id=community.id if community else None,
                            official_id=(official or street_official).id, phase=phase,
                            budget_cents=budget_yuan * 100, rule=rule, ballot_type=ballot_type, max_picks=max_picks,
                            ballot_salt="test-salt", **fields)
        if phase not in (RoundPhase.COLLECTION, RoundPhase.REVIEW):
            round_.voting_opens_at = now + opens_delta
            round_.voting_closes_at = now + closes_delta
        db.session.add(round_)
        db.session.commit()
        return round_

    return make


@pytest.fixture
def make_proposal(app, make_user, category):
    from market.geo.models import ProjectType
    from market.micro.models import Proposal, ProposalStatus

    def make(round_, *, author=None, status=ProposalStatus.FEASIBLE, cost_yuan=100_000, title="长者饭堂桌椅更新",
             project_type=ProjectType.GOODS, description="为社区长者饭堂更换桌椅，方便长者就餐。", **fields):
        author = author or make_user(Role.RESIDENT, community=round_.community)
        proposal = Proposal(round_id=round_.id, community_id=author.community_id, author_id=author.id, title=title,
                            description=description, category_id=category("elderly_care").id,
                            project_type=project_type, place="社区党群服务中心", estimated_cost_cents=cost_yuan * 100,
                            official_cost_cents=cost_yuan * 100 if status == ProposalStatus.FEASIBLE else None,
                            status=status, submitted_at=utcnow(), **fields)
        db.session.add(proposal)
        db.session.commit()
        return proposal

    return make


@pytest.fixture
def cast(app):
    """Insert ballots directly: cast(round, voter, [proposals])."""
    from market.micro.models import Ballot, BallotChoice

    def make(round_, voter, picks):
        ballot = Ballot(round_id=round_.id, voter_id=voter.id, cast_at=utcnow())
        db.session.add(ballot)
        db.session.flush()
        db.session.add_all(BallotChoice(ballot_id=ballot.id, proposal_id=p.id) for p in picks)
        db.session.commit()
        return ballot

    return make


@pytest.fixture
def engaged_project(app, make_project, make_org, make_user, geo, street_official):
    """A micro-project in progress with a signed contract, two milestones and a provider member."""
    from market.contracts.models import Contract, ContractStatus, Milestone
    from market.projects.models import ProjectKind, ProjectStatus

    def make(*, community=None, status=ProjectStatus.IN_PROGRESS, owner=None):
        community = community or geo.communities[0]
        project = make_project(kind=ProjectKind.MICRO, status=status, owner=owner or street_official,
                               street=community.street, community=community, budget_cents=20_000_000,
                               title="岗厦社区长者饭堂桌椅更新", title_en="New tables for the Gangxia elders' canteen")
        org = make_org(name="福田区和谐社工服务中心")
        member = make_user(Role.PROVIDER, organization=org)
        contract = Contract(project_id=project.id, provider_id=org.id, amount_cents=19_000_000,
                            status=ContractStatus.SIGNED, signed_at=utcnow())
        contract.milestones = [
            Milestone(seq=1, title="桌椅采购", title_en="Purchase", due_date=date.today() + timedelta(days=10),
                      amount_cents=9_500_000),
            Milestone(seq=2, title="安装验收", title_en="Installation", due_date=date.today() + timedelta(days=40),
                      amount_cents=9_500_000)]
        db.session.add(contract)
        db.session.commit()
        return project, contract, org, member

    return make
