"""The Shenzhen data set (``flask demo load --city``), loaded at a hundredth of its size: the city's
geography, officials placed in every district, projects that all belong to a district, money that arrived
through the ledger, ballots only from the round's own verified residents, an audit chain that verifies,
districts that cannot govern one another, and the same rows on every load."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role, User
from market.core import ledger, policy
from market.core.audit import AuditEvent, verify_chain
from market.core.db import db
from market.demo.city import CITY_EMAIL_DOMAIN, DISTRICTS, load_city
from market.funds.models import FundingPool
from market.geo.models import Community, District, Street
from market.micro.models import ACTIVE_PHASES, Ballot, BallotChoice, MicroRound, Proposal, ProposalStatus, RoundPhase
from market.orgs.models import Organization, VerificationState
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project
from tests.market.demo_helpers import determinism_is_checked_on_sqlite

FRACTION = 0.01


@pytest.fixture(scope="module")
def city_app(tmp_path_factory, databases):
    app = databases.app(str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        app.config["CITY_COUNTS"] = load_city(db.session, FRACTION)
        db.session.commit()
    return app


@pytest.fixture()
def ctx(city_app):
    with city_app.app_context():
        yield city_app
        db.session.rollback()


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_the_city_has_ten_districts_74_streets_and_about_680_communities(ctx):
    districts = db.session.scalars(select(District).order_by(District.id)).all()
    assert [d.name for d in districts] == [zh for _code, zh, *_ in DISTRICTS]
    assert [d.name for d in districts][:3] == ["福田区", "罗湖区", "南山区"]
    assert _count(Street) == 74 and 600 <= _count(Community) <= 760
    counts = ctx.config["CITY_COUNTS"]
    from_rounds = _count(Proposal, Proposal.project_id.is_not(None))  # micro-projects of the finished rounds
    assert counts["projects"] == 3 * 300 + from_rounds and from_rounds > 0
    assert counts["micro_rounds"] == 20 and counts["micro_ballots"] > 100
    assert 40 <= counts["organizations"] - 10 <= 60  # a hundredth of 5,000, and the ten bureaus


def test_every_district_has_its_officials_and_its_fund(ctx):
    for district in db.session.scalars(select(District)):
        officials = db.session.scalars(select(User).where(User.role == Role.OFFICIAL,
                                                          User.district_id == district.id)).all()
        wide = [u for u in officials if u.street_id is None]
        assert len(wide) == 2  # the bureau's official and its finance official
        assert {u.street_id for u in officials if u.street_id} == {s.id for s in district.streets}
        assert all(db.session.get(Street, u.street_id).district_id == district.id for u in officials if u.street_id)
        [fund] = db.session.scalars(select(FundingPool).join(Organization, FundingPool.funder_id == Organization.id)
                                    .where(Organization.district_id == district.id)).all()
        [order] = db.session.scalars(select(PaymentOrder).where(PaymentOrder.pool_id == fund.id)).all()
        assert order.purpose == PaymentPurpose.APPROPRIATION and order.status == PaymentStatus.PAID
        assert order.confirmed_by_id != order.payer_id
        assert {order.payer_id, order.confirmed_by_id} <= {u.id for u in wide}
        assert fund.received_cents == fund.remaining_cents == order.amount_cents > 0
    assert _count(User, User.role == Role.OFFICIAL, User.district_id.is_(None)) == 0
    assert db.session.scalar(select(User).where(User.email == f"admin@{CITY_EMAIL_DOMAIN}")).district_id is None


def test_every_project_and_organisation_belongs_to_a_district(ctx):
    assert _count(Project, Project.district_id.is_(None)) == 0
    assert _count(Organization, Organization.district_id.is_(None)) == 0
    mismatched = (select(func.count()).select_from(Project).join(Street, Project.street_id == Street.id)
                  .where(Street.district_id != Project.district_id))
    assert db.session.scalar(mismatched) == 0
    outside = (select(func.count()).select_from(Project).join(Community, Project.community_id == Community.id)
               .where(Community.street_id != Project.street_id))
    assert db.session.scalar(outside) == 0
    assert _count(Project, Project.street_id.is_(None)) > 0  # some are the districts' own
    assert len(set(db.session.scalars(select(Project.district_id)))) == 10


def test_money_moved_only_through_the_ledger_and_the_record_verifies(ctx):
    report = ledger.check()
    assert report.ok, report.problems[:10]
    assert report.transfers == 10
    chain = verify_chain()
    assert chain.ok and chain.checked == _count(AuditEvent)
    verified = _count(Organization, Organization.verification_state == VerificationState.VERIFIED,
                      Organization.kind != "government")
    assert _count(AuditEvent, AuditEvent.action == "organization.verified") == verified
    # The counted rounds went through the transition helper, which writes the audit event; those whose
    # notice ended were made final, and their selected proposals became micro-projects.
    noticed = _count(MicroRound, MicroRound.phase == RoundPhase.NOTICE)
    final = _count(MicroRound, MicroRound.phase == RoundPhase.FINAL)
    assert final > 0 and _count(AuditEvent, AuditEvent.action == "micro.results_published") == noticed + final
    assert _count(AuditEvent, AuditEvent.action == "micro.results_final") == final
    selected = _count(Proposal, Proposal.status == ProposalStatus.SELECTED)
    assert selected > 0 and _count(Proposal, Proposal.project_id.is_not(None)) == selected
    # At most one round under way per community (the database refuses a second one).
    under_way = db.session.execute(select(MicroRound.community_id, func.count(MicroRound.id))
                                   .where(MicroRound.phase.in_(ACTIVE_PHASES))
                                   .group_by(MicroRound.community_id)).all()
    assert under_way and max(n for _c, n in under_way) == 1


def test_ballots_come_from_the_rounds_own_verified_residents(ctx):
    rows = db.session.execute(select(Ballot.id, Ballot.round_id, User.community_id, User.verified_at,
                                     MicroRound.community_id, MicroRound.max_picks)
                              .join(User, Ballot.voter_id == User.id)
                              .join(MicroRound, Ballot.round_id == MicroRound.id)).all()
    assert rows
    for _ballot, _round, voter_community, verified_at, round_community, _picks in rows:
        assert voter_community == round_community and verified_at is not None
    choices = db.session.execute(select(BallotChoice.ballot_id, Ballot.round_id, Proposal.round_id)
                                 .join(Ballot, BallotChoice.ballot_id == Ballot.id)
                                 .join(Proposal, BallotChoice.proposal_id == Proposal.id)).all()
    assert all(ballot_round == proposal_round for _b, ballot_round, proposal_round in choices)
    per_ballot: dict[int, int] = {}
    for ballot_id, *_ in choices:
        per_ballot[ballot_id] = per_ballot.get(ballot_id, 0) + 1
    assert set(per_ballot) == {row[0] for row in rows}
    assert max(per_ballot.values()) <= 3
    for round_ in db.session.scalars(select(MicroRound).where(MicroRound.phase.in_((RoundPhase.NOTICE,
                                                                                     RoundPhase.FINAL)))):
        assert round_.voters_count == _count(Ballot, Ballot.round_id == round_.id) and round_.results


def test_one_districts_officials_cannot_govern_anothers_projects(ctx):
    futian, luohu = db.session.scalars(select(District).order_by(District.id).limit(2)).all()
    official = db.session.scalar(select(User).where(User.email == f"official@luohu.{CITY_EMAIL_DOMAIN}"))
    street_official = db.session.scalar(select(User).where(User.email == f"street01@luohu.{CITY_EMAIL_DOMAIN}"))
    assert official.district_id == luohu.id
    for project in db.session.scalars(select(Project).where(Project.district_id == futian.id).limit(40)):
        assert not policy.can(official, "project.edit", project)
        assert not policy.can(street_official, "project.edit", project)
    own = db.session.scalars(select(Project).where(Project.district_id == luohu.id).limit(40)).all()
    assert own and all(policy.can(official, "project.edit", p) for p in own)


def _digest() -> str:
    rows = [db.session.execute(select(Project.id, Project.title, Project.status, Project.street_id,
                                      Project.district_id, Project.owner_id, Project.budget_cents)
                               .order_by(Project.id)).all(),
            db.session.execute(select(Ballot.id, Ballot.round_id, Ballot.voter_id).order_by(Ballot.id)).all(),
            db.session.execute(select(Organization.id, Organization.name, Organization.district_id)
                               .order_by(Organization.id)).all()]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_cli_loads_the_same_city_again(ctx, tmp_path_factory, databases, request):
    determinism_is_checked_on_sqlite(request)
    digest = _digest()
    again = databases.app(str(tmp_path_factory.mktemp("instance")))
    with again.app_context():
        result = again.test_cli_runner().invoke(args=["demo", "load", "--city", "--city-scale", str(FRACTION)])
        assert result.exit_code == 0, result.output
        assert "Shenzhen, fraction 0.01" in result.output
        assert _digest() == digest
        refused = again.test_cli_runner().invoke(args=["demo", "load", "--city"])
        assert refused.exit_code == 1 and "not empty" in refused.output


def test_the_fraction_must_be_a_part_of_the_city(ctx):
    for wrong in (0, 1.5, -1):
        with pytest.raises(ValueError, match="fraction"):
            load_city(db.session, wrong)
