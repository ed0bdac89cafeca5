"""Publishing tenders and sealed bidding: every rule of market.bids.services."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.bids import services
from market.bids.models import Bid, BidStatus, Lot, Tender
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from market.projects.models import ProjectKind, ProjectStatus
from tests.market.bids.helpers import AFTER, DEADLINE, T0

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def _tender(**overrides):
    values = dict(bid_deadline=DEADLINE, requirements="须有三年以上长者服务经验。",
                  criteria=(services.CriterionInput("服务方案", 60), services.CriterionInput("报价", 40)))
    values.update(overrides)
    return services.TenderInput(**values)


def _messages(error) -> str:
    with db.session.no_autoflush:
        from flask import current_app

        with current_app.test_request_context():
            return str(error.message) + " " + " ".join(str(v) for v in error.fields.values())


# ---------------------------------------------------------------- publishing

def test_publishing_a_draft_opens_it_with_criteria_and_audits(market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    tender = services.publish_tender(market.official, project, _tender(), now=T0)
    db.session.commit()
    assert project.status == ProjectStatus.OPEN and project.published_at == T0
    assert project.bid_deadline == DEADLINE
    assert tender.criteria == [{"name": "服务方案", "name_en": "", "weight": 60}, {"name": "报价", "name_en": "", "weight": 40}]
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "tender.published" in actions and "project.published" in actions


@pytest.mark.parametrize("overrides, field", [
    ({"bid_deadline": T0 - timedelta(minutes=1)}, "bid_deadline"),
    ({"requirements": "  "}, "requirements"),
    ({"criteria": (services.CriterionInput("方案", 70), services.CriterionInput("报价", 20))}, "criteria"),
    ({"criteria": ()}, "criteria"),
    ({"lots": (services.LotInput("只有一个标段", 30_000_000),)}, "lots"),
    ({"lots": (services.LotInput("一", 10_000_000), services.LotInput("二", 10_000_000))}, "lots"),
])
def test_bad_tenders_are_refused_naming_the_field(market, overrides, field):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    with pytest.raises(ValidationFailed) as caught:
        services.publish_tender(market.official, project, _tender(**overrides), now=T0)
    assert field in caught.value.fields
    db.session.rollback()
    assert db.session.get(type(project), project.id).status == ProjectStatus.DRAFT


def test_officials_of_another_street_and_providers_cannot_publish(market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    for actor in (market.other_official, market.provider()):
        with pytest.raises(PermissionDenied):
            services.publish_tender(actor, project, _tender(), now=T0)
    services.publish_tender(market.district_official, project, _tender(), now=T0)


def test_public_benefit_projects_are_not_tendered(market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT, kind=ProjectKind.PUBLIC_BENEFIT)
    with pytest.raises(ValidationFailed):
        services.publish_tender(market.official, project, _tender(), now=T0)


def test_lots_split_the_budget_and_lock_after_the_first_bid(market):
    project = market.tendered(lots=(("个案服务", 18_000_000), ("社区活动", 12_000_000)))
    lots = services.lots_of(project)
    assert [(lot.seq, lot.budget_cents) for lot in lots] == [(1, 18_000_000), (2, 12_000_000)]
    market.bid(market.provider(), project, 17_000_000, lot=lots[0])
    changed = _tender(lots=(services.LotInput("一", 15_000_000), services.LotInput("二", 15_000_000)))
    with pytest.raises(Conflict):
        services.publish_tender(market.official, project, changed, now=T0 + timedelta(days=2))
    db.session.rollback()
    with pytest.raises(ValidationFailed) as caught:  # the deadline can move later, never earlier
        services.publish_tender(market.official, project,
                                _tender(bid_deadline=DEADLINE - timedelta(days=1),
                                        lots=tuple(services.LotInput(lot.title, lot.budget_cents) for lot in lots)),
                                now=T0 + timedelta(days=2))
    assert "bid_deadline" in caught.value.fields


# ---------------------------------------------------------------- eligibility

def test_bid_submitted_sealed_and_audited_without_the_bidder(market):
    project = market.tendered()
    bidder = market.provider()
    bid = market.bid(bidder, project, 28_000_000, team="社工5名", timeline="12个月")
    assert bid.status == BidStatus.SUBMITTED and bid.revision == 1 and len(bid.seal) == 32
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bid.submitted"))
    assert event.actor_id is None and event.object_type == "sealed_bid" and event.object_id == bid.seal
    assert event.after == {"commitment": services.seal_digest(bid), "revision": 1}
    assert event.before is None and event.actor_label == "system"
    assert bidder.email not in repr(event.after) and "28000000" not in repr(event.after)


def test_unverified_organisation_is_refused(market):
    project = market.tendered()
    user = market.provider(verified=False)
    with pytest.raises(PermissionDenied) as caught:
        market.bid(user, project, 20_000_000)
    assert "not verified" in _messages(caught.value)


def test_each_minimum_says_which_and_by_how_much(market):
    project = market.tendered(min_rating_grade=4, min_years_registered=3, min_staff=10, min_office_area_m2=100)
    org = market.org(rating_grade=2, full_time_staff=4, office_area_m2=60,
                     registration_date=(T0 - timedelta(days=365)).date())
    with pytest.raises(PermissionDenied) as caught:
        market.bid(market.provider(org), project, 20_000_000)
    text = _messages(caught.value)
    assert "Rating grade 2A is below the required 4A (2 grade(s) short)" in text
    assert "at least 3 required (2.0 years short)" in text
    assert "4 full-time staff; at least 10 required (6 short)" in text
    assert "Office area 60 m²; at least 100 m² required (40 m² short)" in text


def test_organisation_outside_the_area_is_refused_but_district_wide_ones_bid(market, geo):
    project = market.tendered(street=geo.streets[1], official=market.other_official)
    with pytest.raises(PermissionDenied) as caught:
        market.bid(market.provider(), project, 20_000_000)
    assert "does not serve the project's area" in _messages(caught.value)
    db.session.rollback()
    market.bid(market.provider(serves_whole_district=True), project, 20_000_000)


def test_bid_from_another_category_is_allowed(market):
    project = market.tendered()
    bid = market.bid(market.provider(categories=("youth",)), project, 20_000_000)
    assert bid.status == BidStatus.SUBMITTED


def test_only_provider_members_bid(market, make_user):
    project = market.tendered()
    for role in (Role.RESIDENT, Role.OFFICIAL, Role.FUNDER):
        with pytest.raises(PermissionDenied):
            market.bid(make_user(role), project, 20_000_000)


# ---------------------------------------------------------------- price, deadline, duplicates

def test_price_above_the_budget_is_refused_saying_by_how_much(market):
    project = market.tendered(budget_cents=30_000_000)
    with pytest.raises(ValidationFailed) as caught:
        market.bid(market.provider(), project, 30_000_001)
    assert "above the budget of ¥300,000 by ¥0.01" in _messages(caught.value)


def test_lot_price_is_checked_against_the_lot_budget_and_a_lot_is_required(market):
    project = market.tendered(lots=(("一", 20_000_000), ("二", 10_000_000)))
    first, second = services.lots_of(project)
    user = market.provider()
    with pytest.raises(ValidationFailed) as caught:
        market.bid(user, project, 12_000_000, lot=second)
    assert "price" in caught.value.fields
    db.session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        market.bid(user, project, 9_000_000)
    assert "lot_id" in caught.value.fields
    db.session.rollback()
    market.bid(user, project, 19_000_000, lot=first)
    market.bid(user, project, 9_000_000, lot=second)  # one bid per lot


def test_late_bids_are_refused(market):
    project = market.tendered()
    with pytest.raises(Conflict) as caught:
        market.bid(market.provider(), project, 20_000_000, now=DEADLINE)
    assert caught.value.code == "late_bid"


def test_a_second_bid_is_a_conflict_but_a_withdrawn_one_comes_back(market):
    project = market.tendered()
    user = market.provider()
    bid = market.bid(user, project, 20_000_000)
    with pytest.raises(Conflict):
        market.bid(user, project, 21_000_000)
    db.session.rollback()
    services.withdraw_bid(user, bid, now=T0 + timedelta(days=2))
    assert bid.status == BidStatus.WITHDRAWN
    again = market.bid(user, project, 19_000_000, now=T0 + timedelta(days=3))
    assert again.id == bid.id and again.status == BidStatus.SUBMITTED and again.revision == 2


def test_revise_and_withdraw_only_own_bids_before_the_deadline(market):
    project = market.tendered()
    user, rival = market.provider(), market.provider()
    bid = market.bid(user, project, 20_000_000)
    data = services.BidInput(price_cents=19_000_000, proposal="修订后的方案")
    with pytest.raises(NotFound):
        services.revise_bid(rival, bid, data, now=T0 + timedelta(days=2))
    with pytest.raises(Conflict):
        services.revise_bid(user, bid, data, now=DEADLINE + timedelta(seconds=1))
    services.revise_bid(user, bid, data, now=T0 + timedelta(days=2))
    assert bid.price_cents == 19_000_000 and bid.revision == 2
    with pytest.raises(Conflict):
        services.withdraw_bid(user, bid, now=AFTER)
    services.withdraw_bid(user, bid, now=T0 + timedelta(days=3))
    with pytest.raises(IllegalTransition):
        services.revise_bid(user, bid, data, now=T0 + timedelta(days=4))
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "sealed_bid").order_by(AuditEvent.id)).all()
    assert actions == ["bid.submitted", "bid.revised", "bid.withdrawn"]


# ---------------------------------------------------------------- attachments

def test_attachments_are_checked_stored_privately_and_change_the_commitment(market, tmp_path):
    project = market.tendered()
    user = market.provider()
    bid = market.bid(user, project, 20_000_000)
    before = services.seal_digest(bid)
    attachment = services.add_attachment(user, bid, services.Upload("方案.pdf", PDF), tmp_path, now=T0 + timedelta(days=2))
    db.session.commit()
    assert services.attachment_path(tmp_path, attachment).read_bytes() == PDF
    assert attachment.content_type == "application/pdf" and attachment.size_bytes == len(PDF)
    assert services.seal_digest(bid) != before and bid.revision == 2
    services.remove_attachment(user, attachment, tmp_path, now=T0 + timedelta(days=2))
    db.session.commit()
    assert not list((tmp_path / services.ATTACHMENT_FOLDER).iterdir())


@pytest.mark.parametrize("name, data, message", [
    ("virus.exe", b"MZ\x90\x00", "not accepted"),
    ("fake.pdf", b"<html>not a pdf</html>", "does not match"),
    ("empty.pdf", b"", "is empty"),
    ("big.pdf", b"%PDF-" + b"0" * services.MAX_ATTACHMENT_BYTES, "too large"),
])
def test_bad_attachments_are_refused(market, tmp_path, name, data, message):
    project = market.tendered()
    user = market.provider()
    bid = market.bid(user, project, 20_000_000)
    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(user, bid, services.Upload(name, data), tmp_path, now=T0 + timedelta(days=2))
    assert message in _messages(caught.value)
    assert not (tmp_path / services.ATTACHMENT_FOLDER).exists()


def test_attachment_names_cannot_escape_the_folder(market, tmp_path):
    project = market.tendered()
    user = market.provider()
    bid = market.bid(user, project, 20_000_000)
    attachment = services.add_attachment(user, bid, services.Upload("../../etc/passwd.pdf", PDF), tmp_path,
                                         now=T0 + timedelta(days=2))
    assert attachment.filename == "passwd.pdf"
    assert services.attachment_path(tmp_path, attachment).parent == tmp_path / services.ATTACHMENT_FOLDER


# ---------------------------------------------------------------- opening

def test_bids_stay_sealed_until_the_deadline_then_open_once_with_a_record(market):
    project = market.tendered()
    user, rival = market.provider(), market.provider()
    mine = market.bid(user, project, 20_000_000)
    theirs = market.bid(rival, project, 25_000_000)
    withdrawn = market.bid(market.provider(), project, 26_000_000)
    services.withdraw_bid(db.session.get(type(withdrawn.submitted_by), withdrawn.submitted_by_id), withdrawn,
                          now=T0 + timedelta(days=2))
    assert not services.can_view_bid(market.official, mine, T0 + timedelta(days=2))
    assert not services.can_view_bid(rival, mine, AFTER)
    assert services.can_view_bid(user, mine, T0 + timedelta(days=2))
    assert services.public_bid_count(project, T0 + timedelta(days=2)) is None
    with pytest.raises(Conflict):
        services.open_bids(market.official, project, now=DEADLINE - timedelta(seconds=1))
    with pytest.raises(PermissionDenied):
        services.open_bids(market.other_official, project, now=AFTER)
    tender = market.open(project)
    assert tender.opened_bid_count == 2 and tender.opened_by_id == market.official.id
    assert project.status == ProjectStatus.EVALUATING
    assert services.public_bid_count(project, AFTER) == 2
    assert services.can_view_bid(market.official, theirs, AFTER)
    assert services.can_view_bid(market.district_official, theirs, AFTER)
    assert not services.can_view_bid(market.other_official, theirs, AFTER)
    assert {b.id for b in services.bids_for_review(market.official, project, AFTER)} == {mine.id, theirs.id, withdrawn.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender.opened"))
    assert event.actor_id == market.official.id and event.after["bid_count"] == 2
    opened = {b["seal"]: b for b in event.after["bids"]}
    assert opened[mine.seal]["organization_id"] == user.organization_id
    sealed = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == mine.seal)).all()
    assert sealed[-1].after["commitment"] == opened[mine.seal]["commitment"]  # the bid was not changed
    with pytest.raises(Conflict):
        services.open_bids(market.official, project, now=AFTER)


def test_reviewing_before_opening_is_refused(market):
    project = market.tendered()
    market.bid(market.provider(), project, 20_000_000)
    with pytest.raises(Conflict):
        services.bids_for_review(market.official, project, AFTER)
    with pytest.raises(PermissionDenied):
        services.bids_for_review(market.provider(), project, AFTER)


def test_projects_awaiting_opening_are_scoped_to_the_official(market, geo):
    here = market.tendered()
    there = market.tendered(street=geo.streets[1], official=market.other_official)
    ids = lambda actor: set(db.session.scalars(services.projects_awaiting_opening(actor, AFTER)  # noqa: E731
                                               .with_only_columns(type(here).id)))
    assert ids(market.official) == {here.id}
    assert ids(market.district_official) == {here.id, there.id}


def test_my_bids_lists_only_the_organisations_bids(market):
    project = market.tendered()
    user, rival = market.provider(), market.provider()
    market.bid(user, project, 20_000_000)
    market.bid(rival, project, 21_000_000)
    assert [b.organization_id for b in db.session.scalars(services.my_bids(user))] == [user.organization_id]
    assert db.session.scalars(services.my_bids(market.official)).all() == []


def test_lot_and_tender_rows(market):
    project = market.tendered(lots=(("一", 20_000_000), ("二", 10_000_000)))
    assert db.session.scalar(select(Tender).where(Tender.project_id == project.id)).requirements
    assert db.session.scalars(select(Lot.seq).where(Lot.project_id == project.id)).all() == [1, 2]
    assert db.session.scalar(select(Bid)) is None


# ---------------------------------------------------------------- verified facts

def _edited(member, org, **facts):
    """The organisation's member changes facts on its profile (through the organisations' service)."""
    from market.orgs import services as orgs

    values = dict(name=org.name, kind=org.kind, name_en=org.name_en, registration_date=org.registration_date,
                  full_time_staff=org.full_time_staff, office_area_m2=org.office_area_m2,
                  rating_grade=org.rating_grade, capability=org.capability, capability_en=org.capability_en,
                  capacity=org.capacity, home_street_id=org.home_street_id,
                  serves_whole_district=org.serves_whole_district, category_ids=tuple(c.id for c in org.categories),
                  service_street_ids=tuple(s.id for s in org.service_streets))
    orgs.update_org(member, org, orgs.OrgInput(**{**values, **facts}))
    db.session.commit()


def _verified(market, **facts):
    """An organisation an official verified (so its facts are kept as the verified ones), and a member."""
    from market.orgs import services as orgs

    org = market.org(verified=False, **facts)
    orgs.verify(market.official, org, facts_seen=org.facts_digest())
    db.session.commit()
    return org, market.provider(org)


def test_bidding_uses_the_verified_facts_while_changed_ones_wait_for_an_official(market):
    project = market.tendered(min_rating_grade=4)
    lowered, lowered_member = _verified(market, rating_grade=4)
    _edited(lowered_member, lowered, rating_grade=2)
    assert lowered.verification_state == "pending" and lowered.verified_facts["rating_grade"] == 4
    bid = market.bid(lowered_member, project, 20_000_000)  # the verified 4A still counts
    assert bid.status == BidStatus.SUBMITTED
    raised, raised_member = _verified(market, rating_grade=3)
    _edited(raised_member, raised, rating_grade=5)
    with pytest.raises(PermissionDenied) as caught:  # the claimed 5A does not count until verified
        market.bid(raised_member, project, 20_000_000)
    assert "Rating grade 3A is below the required 4A" in _messages(caught.value)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "organizations")).all()
    assert actions.count("organization.facts_changed") == 2


def test_an_organisation_never_verified_cannot_bid_whatever_its_profile_says(market):
    project = market.tendered()
    user = market.provider(verified=False, rating_grade=5, full_time_staff=50)
    with pytest.raises(PermissionDenied) as caught:
        market.bid(user, project, 20_000_000)
    assert caught.value.code == "not_eligible" and "not verified" in _messages(caught.value)
    assert db.session.scalar(select(Bid)) is None
