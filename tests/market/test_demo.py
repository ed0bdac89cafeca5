"""The demo data loader: counts, bilingual content, consistency, the platform's rules, determinism and the CLI."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role, User
from market.accounts.services import find_user_by_email
from market.core import ledger
from market.core.audit import AuditEvent, verify_chain
from market.core.db import db
from market.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, SOCIAL_FUND_NAME, DemoLoadError, load_demo
from market.demo.data import REFERENCE_TIME
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.models import Category, Community, Street
from market.geo.taxonomy import CATEGORIES
from market.orgs.models import Organization, OrgKind, VerificationState
from market.payments.models import PaymentMethod, PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project, ProjectKind, ProjectStatus
from tests.market.demo_helpers import determinism_is_checked_on_sqlite

CJK = re.compile(r"[\u3400-\u9fff]")


def _fresh_app(tmp_path_factory, databases):
    return databases.app(str(tmp_path_factory.mktemp("instance")))


def _digest() -> str:
    rows = [db.session.execute(select(Project.id, Project.title, Project.title_en, Project.budget_cents,
                                      Project.funded_cents, Project.status, Project.street_id, Project.community_id,
                                      Project.bid_deadline, Project.owner_id, Project.organization_id)
                               .order_by(Project.id)).all(),
            db.session.execute(select(PaymentOrder.id, PaymentOrder.purpose, PaymentOrder.status,
                                      PaymentOrder.amount_cents, PaymentOrder.project_id, PaymentOrder.pool_id,
                                      PaymentOrder.payer_id, PaymentOrder.confirmed_by_id, PaymentOrder.paid_at)
                               .order_by(PaymentOrder.id)).all(),
            # (not occurred_at: the match run's approvals reserve money at the wall clock's time)
            db.session.execute(select(ledger.Transfer.id, ledger.Transfer.movement, ledger.Transfer.amount_cents,
                                      ledger.Transfer.key, ledger.Transfer.reference_id, ledger.Transfer.project_id)
                               .order_by(ledger.Transfer.id)).all()]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory, databases):
    app = _fresh_app(tmp_path_factory, databases)
    with app.app_context():
        counts = load_demo(db.session)
        db.session.commit()
    app.config["DEMO_COUNTS"] = counts
    return app


@pytest.fixture()
def ctx(demo_app):
    with demo_app.app_context():
        yield demo_app
        db.session.rollback()


def test_counts(ctx):
    counts = ctx.config["DEMO_COUNTS"]
    assert counts["districts"] == 1
    assert counts["streets"] == db.session.scalar(select(func.count()).select_from(Street)) == 10
    assert 95 <= counts["communities"] <= 105
    assert counts["organizations.social_organisation"] == 449
    assert counts["organizations.foundation"] == 284
    assert counts["organizations.enterprise"] == 220
    assert 12 <= counts["organizations.government"] <= 16
    assert counts["projects"] == 566
    assert all(counts[f"projects.{kind.value}"] > 100 for kind in ProjectKind)
    assert 280 <= counts["funding_pools"] <= 340
    assert counts["categories"] == len(CATEGORIES)
    by_kind = dict(db.session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert by_kind[OrgKind.SOCIAL_ORGANISATION] == 449


def test_streets_and_communities(ctx):
    streets = db.session.scalars(select(Street).order_by(Street.id)).all()
    assert [s.name for s in streets] == ["园岭街道", "南园街道", "福田街道", "沙头街道", "香蜜湖街道", "梅林街道",
                                         "莲花街道", "华富街道", "福保街道", "华强北街道"]
    assert streets[0].name_en == "Yuanling Subdistrict"
    assert all(s.communities for s in streets)
    names = db.session.scalars(select(Community.name)).all()
    assert len(set(names)) == len(names)
    assert {"上步社区", "百花社区", "景田社区", "新洲社区", "皇岗社区", "益田社区"} <= set(names)
    shangbu = db.session.scalar(select(Community).where(Community.name == "上步社区"))
    assert shangbu.name_en == "Shangbu Community"


def test_social_construction_fund(ctx):
    fund = db.session.scalar(select(FundingPool).where(FundingPool.name == SOCIAL_FUND_NAME))
    assert fund.declared_cents == fund.received_cents == 30_000_000 * 100
    assert fund.max_share_percent == 50
    assert fund.max_grant_cents == 500_000 * 100
    assert fund.year == 2026 and fund.is_open
    assert fund.funder.kind == OrgKind.GOVERNMENT
    official = find_user_by_email("official@demo.futian.example")
    finance = find_user_by_email("finance@demo.futian.example")
    assert official.organization_id == finance.organization_id == fund.funder_id
    # Four eyes: one official of the bureau requested the appropriation, another confirmed it.
    (order,) = db.session.scalars(select(PaymentOrder).where(PaymentOrder.pool_id == fund.id)).all()
    assert order.purpose == PaymentPurpose.APPROPRIATION and order.method == PaymentMethod.TREASURY
    assert order.status == PaymentStatus.PAID and order.amount_cents == 30_000_000 * 100 and order.document_ref
    assert (order.payer_id, order.confirmed_by_id) == (official.id, finance.id)
    # The marketplace's history committed ¥7.36 million of it; this year's pledges and campaign took a little more.
    committed = db.session.scalar(select(func.sum(FundingCommitment.amount_cents)).where(
        FundingCommitment.pool_id == fund.id, FundingCommitment.status != CommitmentStatus.RELEASED))
    assert committed >= 7_360_000 * 100
    assert 20_000_000 * 100 < fund.remaining_cents <= 22_640_000 * 100


def test_pools_are_consistent(ctx):
    pools = db.session.scalars(select(FundingPool)).all()
    assert all(0 <= p.remaining_cents <= p.received_cents <= p.declared_cents for p in pools)
    assert any(p.received_cents < p.declared_cents for p in pools)  # money declared, not all arrived yet
    assert sum(p.remaining_cents > 0 for p in pools) > 0.7 * len(pools)
    assert all(p.name_en and p.description and p.description_en for p in pools)
    assert any(not p.is_open for p in pools) and any(p.streets for p in pools)
    funders = {p.funder.kind for p in pools}
    assert funders == {OrgKind.FOUNDATION, OrgKind.ENTERPRISE, OrgKind.GOVERNMENT}
    foundations_with_pool = db.session.scalar(
        select(func.count(func.distinct(FundingPool.funder_id))).join(Organization, FundingPool.funder)
        .where(Organization.kind == OrgKind.FOUNDATION))
    verified_foundations = db.session.scalar(select(func.count()).select_from(Organization).where(
        Organization.kind == OrgKind.FOUNDATION, Organization.verification_state == VerificationState.VERIFIED))
    assert foundations_with_pool == verified_foundations


def test_bilingual_and_english_only_twins(ctx):
    for project in db.session.scalars(select(Project)):
        assert CJK.search(project.title) and CJK.search(project.description)
        assert project.title_en and project.description_en
        assert not CJK.search(project.title_en + project.description_en), project.title_en
    for org in db.session.scalars(select(Organization)):
        assert org.name_en and org.capability and org.capability_en
        assert not CJK.search(org.name_en + org.capability_en), org.name_en
    assert all(c.name_en for c in db.session.scalars(select(Community)))


def test_organisations_look_realistic(ctx):
    social = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.SOCIAL_ORGANISATION)).all()
    assert len({o.name for o in social}) == len(social)
    assert all(2 <= o.full_time_staff <= 120 and 10 <= o.office_area_m2 <= 800 for o in social)
    assert all(1 <= o.capacity <= 8 and 1 <= len(o.categories) <= 4 for o in social)
    assert all(2005 <= o.registration_date.year <= 2025 for o in social)
    assert all(o.serves_whole_district or o.service_streets for o in social)
    grades = [o.rating_grade for o in social]
    assert grades.count(0) > len(social) / 3 and grades.count(5) > 5 and grades.count(3) > 30
    states = [o.verification_state for o in db.session.scalars(select(Organization))]
    assert states.count(VerificationState.VERIFIED) > 0.9 * len(states)
    assert states.count(VerificationState.PENDING) > 0.02 * len(states)
    assert states.count(VerificationState.REJECTED) >= 1
    suppliers = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.ENTERPRISE,
                                                              Organization.capacity > 0)).all()
    assert 30 <= len(suppliers) <= 130
    assert {c.code for o in suppliers for c in o.categories} >= {"facilities_works", "public_safety"}


def test_projects_are_consistent(ctx):
    projects = db.session.scalars(select(Project)).all()
    statuses = {p.status for p in projects}
    assert statuses == set(ProjectStatus)
    for p in projects:
        assert p.start_date <= p.end_date
        assert 0 <= p.funded_cents <= p.budget_cents
        if p.community_id is not None:
            assert p.community.street_id == p.street_id
        if p.status != ProjectStatus.DRAFT:
            assert p.published_at is not None and p.published_at.tzinfo is not None
        yuan = p.budget_cents // 100
        if p.kind == ProjectKind.MICRO:
            assert p.community_id is not None
            assert 20_000 <= yuan <= (1_000_000 if p.project_type == "works" else 500_000)
        elif p.kind == ProjectKind.GOVERNMENT_SERVICE:
            assert 100_000 <= yuan <= 3_000_000
            assert 0 <= p.min_rating_grade <= 3 and p.min_years_registered >= 1 and p.min_staff >= 3
            assert p.organization.kind == OrgKind.GOVERNMENT
            if p.status == ProjectStatus.OPEN:
                # Open until their deadline, but one closed the day before: its bids wait to be opened.
                closed_yesterday = REFERENCE_TIME - timedelta(hours=16)
                assert p.bid_deadline is not None and (p.bid_deadline > REFERENCE_TIME
                                                       or p.bid_deadline == closed_yesterday)
        else:
            assert 50_000 <= yuan <= 800_000
            assert p.organization.kind == OrgKind.SOCIAL_ORGANISATION
            assert p.owner.organization_id == p.organization_id
    partly = [p for p in projects if p.kind == ProjectKind.PUBLIC_BENEFIT and 0 < p.funded_cents < p.budget_cents]
    assert len(partly) > 30
    assert any(p.bid_deadline.tzinfo is UTC or p.bid_deadline.utcoffset().total_seconds() == 0
               for p in projects if p.bid_deadline)


def test_demo_accounts(ctx):
    for account in DEMO_ACCOUNTS:
        user = find_user_by_email(account.email)
        assert user is not None, account.email
        assert user.role == account.role
    assert find_user_by_email("finance@demo.futian.example").street_id is None
    assert {a.role for a in DEMO_ACCOUNTS} == set(Role)
    assert find_user_by_email("admin@demo.futian.example").check_password(DEMO_PASSWORD)
    street = db.session.scalar(select(Street).where(Street.name == "福田街道"))
    assert find_user_by_email("official@demo.futian.example").street_id is None
    assert find_user_by_email("street.official@demo.futian.example").street_id == street.id
    resident = find_user_by_email("resident@demo.futian.example")
    assert resident.is_verified and resident.community.street_id == street.id
    assert not find_user_by_email("resident2@demo.futian.example").is_verified
    provider = find_user_by_email("provider@demo.futian.example").organization
    assert provider.kind == OrgKind.SOCIAL_ORGANISATION and provider.is_verified and provider.rating_grade == 4
    assert {"elderly_care", "community_education"} <= {c.code for c in provider.categories}
    assert db.session.scalar(select(func.count()).select_from(Project).where(Project.organization_id == provider.id)) >= 4
    funder = find_user_by_email("funder@demo.futian.example").organization
    assert funder.kind == OrgKind.FOUNDATION
    assert db.session.scalar(select(FundingPool).where(FundingPool.funder_id == funder.id, FundingPool.is_open))
    residents = db.session.scalars(select(User).where(User.role == Role.RESIDENT)).all()
    assert len(residents) >= 30 and sum(r.is_verified for r in residents) >= 10


def test_audit_chain(ctx):
    report = verify_chain()
    assert report.ok and report.checked >= 2
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_demo_obeys_the_money_rules(ctx):
    """Demo data is created through the same services, so it obeys the same rules."""
    report = ledger.check()
    assert report.ok, report.problems[:10]
    assert report.transfers > 900
    assert verify_chain().ok
    district = {u.id for u in db.session.scalars(select(User).where(User.role == Role.OFFICIAL,
                                                                    User.street_id.is_(None)))}
    pools = db.session.scalars(select(FundingPool)).all()
    for pool in pools:
        # Every yuan a pool received came from outside through a confirmed appropriation or top-up.
        arrived = db.session.scalars(select(PaymentOrder).where(PaymentOrder.pool_id == pool.id,
                                                                PaymentOrder.status == PaymentStatus.PAID)).all()
        assert pool.received_cents == sum(o.amount_cents for o in arrived), pool.name
        for order in arrived:
            assert order.confirmed_by_id is not None and order.confirmed_by_id != order.payer_id
            if order.purpose == PaymentPurpose.APPROPRIATION:
                assert pool.funder.kind == OrgKind.GOVERNMENT
                assert db.session.get(User, order.confirmed_by_id).organization_id == pool.funder_id
            else:
                assert order.purpose == PaymentPurpose.POOL_TOPUP and order.method == PaymentMethod.BANK_TRANSFER
                assert order.confirmed_by_id in district
                assert db.session.get(User, order.payer_id).organization_id == pool.funder_id
        transfers = db.session.scalars(
            select(ledger.Transfer).join(ledger.Posting, ledger.Posting.transfer_id == ledger.Transfer.id)
            .where(ledger.Posting.account_kind == ledger.AccountKind.POOL, ledger.Posting.account_ref == pool.id,
                   ledger.Posting.amount_cents > 0,
                   ledger.Transfer.movement.in_((ledger.Movement.TOP_UP, ledger.Movement.APPROPRIATION,
                                                 ledger.Movement.OPENING)))).all()
        assert sorted(t.key for t in transfers) == sorted(f"payment_order:{o.id}" for o in arrived), pool.name
    # Projects received money only by confirmed transfers, released pledges and campaign matches.
    paid = {f"payment_order:{o.id}": o for o in db.session.scalars(select(PaymentOrder).where(
        PaymentOrder.purpose == PaymentPurpose.DONATION, PaymentOrder.status == PaymentStatus.PAID))}
    into_projects = db.session.execute(
        select(ledger.Transfer.movement, ledger.Transfer.key, ledger.Posting.account_ref, ledger.Posting.amount_cents)
        .join(ledger.Posting, ledger.Posting.transfer_id == ledger.Transfer.id)
        .where(ledger.Posting.account_kind == ledger.AccountKind.PROJECT)).all()
    assert {row.movement for row in into_projects} == {ledger.Movement.DONATION, ledger.Movement.PLEDGE_RELEASE,
                                                        ledger.Movement.CAMPAIGN_MATCH}
    for row in into_projects:
        if row.movement == ledger.Movement.DONATION:
            order = paid[row.key]
            assert (order.project_id, order.amount_cents) == (row.account_ref, row.amount_cents)
            assert order.confirmed_by_id is not None
    assert len({row.account_ref for row in into_projects}) == db.session.scalar(
        select(func.count(Project.id)).where(Project.funded_cents > 0)) > 100


def test_verified_organisations_carry_their_verified_facts(ctx):
    orgs = db.session.scalars(select(Organization)).all()
    verified = [o for o in orgs if o.verification_state == VerificationState.VERIFIED]
    assert verified and all(o.verified_facts == o.current_facts() for o in verified)
    assert all(o.verified_facts is None for o in orgs if o.verification_state != VerificationState.VERIFIED)
    assert all(o.verification_note for o in orgs if o.verification_state == VerificationState.REJECTED)
    events = {int(e.object_id): e for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organization.verified"))}
    assert set(events) == {o.id for o in verified}
    sample = verified[len(verified) // 2]
    assert events[sample.id].after == {"verification_state": "verified", "facts": sample.verified_facts}


def test_cli_refuses_or_skips_a_non_empty_database(ctx):
    runner = ctx.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert db.session.scalar(select(func.count()).select_from(Project)) == 566
    with pytest.raises(DemoLoadError):
        load_demo(db.session)


def test_deterministic_cli_load_and_scale(demo_app, tmp_path_factory, databases, request):
    determinism_is_checked_on_sqlite(request)
    with demo_app.app_context():
        expected = _digest()
    app = _fresh_app(tmp_path_factory, databases)
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "projects" in result.output
    with app.app_context():
        assert _digest() == expected
    scaled = _fresh_app(tmp_path_factory, databases)
    with scaled.app_context():
        counts = load_demo(db.session, scale=2)
        assert counts["projects"] == 2 * 566
        assert ledger.check().ok and counts["ledger_transfers"] > demo_app.config["DEMO_COUNTS"]["ledger_transfers"]
        assert counts["organizations"] == demo_app.config["DEMO_COUNTS"]["organizations"]
        assert counts["funding_pools"] == demo_app.config["DEMO_COUNTS"]["funding_pools"]


def test_categories_inserted_only_when_missing(tmp_path_factory, databases):
    app = _fresh_app(tmp_path_factory, databases)
    with app.app_context():
        db.session.add(Category(code="elderly_care", name="养老服务", name_en="Elderly care", sort_order=0))
        db.session.commit()
        load_demo(db.session, stages=())  # the categories come with the base data
        codes = db.session.scalars(select(Category.code)).all()
        assert sorted(codes) == sorted(code for code, _, _ in CATEGORIES)


def test_the_expert_pool_and_an_evaluated_tender(ctx):
    from market.panels import services as panels
    from market.panels.models import CandidateNotice, Expert

    assert db.session.scalar(select(func.count(Expert.id))) == 20
    assert len({c.code for e in db.session.scalars(select(Expert)) for c in e.categories}) >= 10
    notice = db.session.scalar(select(CandidateNotice))
    project = notice.project
    draw = panels.current_draw(project)
    assert len(draw.member_ids) == 5 and panels.verify_draw(draw).matches
    assert {r for x in draw.excluded for r in x["reasons"]} >= {"bidder_employee", "recent_employment",
                                                                 "declared_relationship"}
    assert 1 <= len(notice.candidates) <= 3 and notice.candidates[0]["rank"] == 1
    assert panels.award_blockers(project, REFERENCE_TIME)  # the complaint window is open on the reference date
