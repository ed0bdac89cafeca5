"""Deliberation: the street's review (caps, reasons, permissions) and the expert panel."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import IllegalTransition
from market.core.state import transition
from market.geo.models import ProjectType
from market.micro.models import ExpertScore, PanelMember, ProposalStatus, RoundPhase
from market.micro.services import review
from market.notifications.models import Notification


def test_feasible_with_official_cost(browser, make_round, make_proposal, street_official):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED, cost_yuan=320_000)
    browser.login(street_official)
    url = f"/micro/proposals/{proposal.id}/review"
    page = browser.get(url).get_data(as_text=True)
    assert 'name="official_cost" step="0.01" type="number" value="320000"' in page  # the resident's estimate
    response = browser.post(url, {"outcome": "feasible", "official_cost": "280000", "reason": ""})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.FEASIBLE and proposal.official_cost_cents == 28_000_000
    assert proposal.reviewed_by_id == street_official.id
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == proposal.author_id)) \
        == "micro.proposal_reviewed"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "micro.proposal_reviewed"))
    assert event.after["official_cost_cents"] == 28_000_000


@pytest.mark.parametrize("project_type, cost, cap", [(ProjectType.SERVICE, "500001", "¥500,000"),
                                                     (ProjectType.WORKS, "1000000.01", "¥1,000,000")])
def test_cost_over_the_cap_is_refused_with_a_message(browser, make_round, make_proposal, street_official,
                                                     project_type, cost, cap):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED, project_type=project_type)
    browser.login(street_official)
    response = browser.post(f"/micro/proposals/{proposal.id}/review",
                            {"outcome": "feasible", "official_cost": cost, "reason": "现场核实"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Over the cap" in page and cap in page and "现场核实" in page
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.official_cost_cents is None


def test_caps_are_configurable_per_round(make_round, make_proposal, street_official):
    round_ = make_round(cap_service_cents=200_000 * 100)
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    with pytest.raises(Exception, match="marked fields"):
        review.review_proposal(street_official, proposal, review.ReviewDecision(review.ReviewOutcome.FEASIBLE,
                                                                                250_000 * 100))
    db.session.rollback()


@pytest.mark.parametrize("outcome", ["needs_changes", "declined"])
def test_changes_and_rejection_need_a_public_reason(browser, make_round, make_proposal, street_official, outcome):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    browser.login(street_official)
    url = f"/micro/proposals/{proposal.id}/review"
    assert browser.post(url, {"outcome": outcome, "official_cost": "", "reason": ""}).status_code == 400
    assert browser.post(url, {"outcome": outcome, "official_cost": "", "reason": "场地属于学校，不在社区范围内"}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == outcome and proposal.review_reason == "场地属于学校，不在社区范围内"
    assert "场地属于学校" in browser.get(f"/micro/proposals/{proposal.id}").get_data(as_text=True)


def test_needs_changes_goes_back_to_the_author_and_can_be_resubmitted(browser, make_user, make_round, make_proposal,
                                                                      street_official, category):
    round_ = make_round()
    author = make_user(Role.RESIDENT)
    proposal = make_proposal(round_, author=author, status=ProposalStatus.SUBMITTED)
    review.review_proposal(street_official, proposal,
                           review.ReviewDecision(review.ReviewOutcome.NEEDS_CHANGES, reason="请补充具体位置"))
    transition(round_, RoundPhase.REVIEW, actor=street_official, action="micro.round_phase_changed")
    db.session.commit()
    browser.login(author)
    page = browser.get(f"/micro/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "请补充具体位置" in page
    response = browser.post(f"/micro/proposals/{proposal.id}/edit", {
        "title": proposal.title, "description": proposal.description, "category_id": category().id,
        "project_type": "goods", "place": "福华路12号长者饭堂", "estimated_cost": "90000", "submit": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.place == "福华路12号长者饭堂"


def test_only_officials_of_the_street_review(browser, make_user, make_round, make_proposal, geo):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    url = f"/micro/proposals/{proposal.id}/review"
    for user in (make_user(Role.RESIDENT), make_user(Role.OFFICIAL, street=geo.streets[1])):
        browser.login(user)
        assert browser.get(url).status_code == 403
        assert browser.post(url, {"outcome": "feasible", "official_cost": "1000"}).status_code == 403
        browser.logout()
    browser.login(make_user(Role.OFFICIAL))  # district-wide
    assert browser.get(url).status_code == 200
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.SUBMITTED


def test_reviewing_twice_is_an_illegal_transition(browser, make_round, make_proposal, street_official):
    round_ = make_round()
    proposal = make_proposal(round_, status=ProposalStatus.FEASIBLE)
    browser.login(street_official)
    response = browser.post(f"/micro/proposals/{proposal.id}/review",
                            {"outcome": "declined", "official_cost": "", "reason": "改主意了"})
    assert response.status_code == 409
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.FEASIBLE
    with pytest.raises(IllegalTransition):
        transition(proposal, ProposalStatus.SUBMITTED, actor=street_official)


def test_expert_panel_scores_feasible_proposals(browser, make_browser, make_user, make_round, make_proposal,
                                                street_official):
    round_ = make_round(phase=RoundPhase.REVIEW)
    proposal = make_proposal(round_)
    expert = make_user(Role.PROVIDER, email="expert@example.org")
    browser.login(street_official)
    assert browser.post(f"/micro/rounds/{round_.id}/panel", {"email": "nobody@example.org"}).status_code == 400
    assert browser.post(f"/micro/rounds/{round_.id}/panel", {"email": "expert@example.org"}).status_code == 302
    assert browser.post(f"/micro/rounds/{round_.id}/panel", {"email": "expert@example.org"}).status_code == 409
    assert db.session.scalar(select(PanelMember.user_id)) == expert.id
    url = f"/micro/proposals/{proposal.id}/score"
    outsider = make_browser()
    outsider.login(make_user(Role.RESIDENT))
    assert outsider.get(url).status_code == 403
    panel = make_browser()
    panel.login(expert)
    assert panel.get(url).status_code == 200
    assert panel.post(url, {"need": "6", "feasibility": "4", "value_for_money": "4", "reach": "3"}).status_code == 400
    scores = {"need": "5", "feasibility": "4", "value_for_money": "3", "reach": "4", "comment": "需求明确"}
    assert panel.post(url, scores).status_code == 302
    assert panel.post(url, {**scores, "need": "4"}).status_code == 302  # a new score replaces the old one
    score = db.session.scalar(select(ExpertScore))
    assert (score.need, score.total) == (4, 15)
    page = browser.get(f"/micro/rounds/{round_.id}").get_data(as_text=True)
    assert "15.0 / 20" in page and "Value for money" in page


def test_scoring_refused_for_proposals_not_feasible(make_user, make_round, make_proposal, street_official):
    round_ = make_round(phase=RoundPhase.REVIEW)
    proposal = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    expert = make_user(Role.PROVIDER)
    review.invite_panel_member(street_official, round_, expert.email)
    with pytest.raises(Exception, match="Only feasible"):
        review.score_proposal(expert, proposal, {"need": 3, "feasibility": 3, "value_for_money": 3, "reach": 3})


def test_round_phase_changes(browser, make_user, make_round, make_proposal, street_official):
    round_ = make_round()
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(f"/micro/rounds/{round_.id}/phase", {"phase": "review"}).status_code == 403
    browser.logout()
    browser.login(street_official)
    assert browser.post(f"/micro/rounds/{round_.id}/phase", {"phase": "bogus"}).status_code == 400
    assert browser.post(f"/micro/rounds/{round_.id}/phase", {"phase": "final"}).status_code == 400
    assert browser.post(f"/micro/rounds/{round_.id}/phase", {"phase": "review"}).status_code == 302
    assert browser.post(f"/micro/rounds/{round_.id}/phase", {"phase": "review"}).status_code == 409
    db.session.refresh(round_)
    assert round_.phase == RoundPhase.REVIEW


def test_open_voting_form(browser, make_round, make_proposal, street_official):
    round_ = make_round(phase=RoundPhase.REVIEW)
    waiting = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    make_proposal(round_)
    browser.login(street_official)
    url = f"/micro/rounds/{round_.id}/voting"
    assert browser.get(url).status_code == 200
    form = {"budget": "800000", "opens_at": "2020-01-01T09:00", "closes_at": "2099-01-15T18:00",
            "ballot_type": "approval", "max_picks": "3", "rule": "mes-add1-greedy", "notice_working_days": "5"}
    response = browser.post(url, form)
    assert response.status_code == 409 and "still wait for review" in response.get_data(as_text=True)
    review.review_proposal(street_official, waiting, review.ReviewDecision(review.ReviewOutcome.DECLINED,
                                                                           reason="不在社区范围内"))
    db.session.commit()
    response = browser.post(url, {**form, "closes_at": "2019-12-31T09:00"})
    assert response.status_code == 400 and "Voting must close after it opens" in response.get_data(as_text=True)
    response = browser.post(url, {**form, "ballot_type": "knapsack"})
    assert response.status_code == 400 and "Knapsack ballots are limited by the budget" in response.get_data(as_text=True)
    assert browser.post(url, form).status_code == 302
    db.session.refresh(round_)
    assert round_.phase == RoundPhase.VOTING and round_.budget_cents == 80_000_000 and round_.max_picks == 3
    assert round_.voting_opens_at.hour == 1  # 09:00 in Beijing is 01:00 UTC
    assert round_.rule == "mes-add1-greedy" and round_.ballot_salt


def test_create_round(browser, make_user, geo, street_official):
    browser.login(make_user(Role.RESIDENT))
    assert browser.get("/micro/rounds/new").status_code == 403
    browser.logout()
    browser.login(street_official)
    form = {"title": "福田街道2027年民生微实事", "title_en": "", "year": "2027", "street_id": geo.streets[0].id,
            "community_id": geo.communities[0].id, "budget": "2000000", "cap_service": "500000",
            "cap_works": "1000000"}
    assert browser.post("/micro/rounds/new", {**form, "street_id": geo.streets[1].id}).status_code == 400
    assert browser.post("/micro/rounds/new", form).status_code == 302
    response = browser.post("/micro/rounds/new", form)
    assert response.status_code == 409 and "already has a round under way" in response.get_data(as_text=True)
    # The street's street-wide round is a separate programme: it runs beside the community's round, once.
    street_wide = {**form, "community_id": ""}
    assert browser.post("/micro/rounds/new", street_wide).status_code == 302
    response = browser.post("/micro/rounds/new", street_wide)
    assert response.status_code == 409 and "street-wide round under way" in response.get_data(as_text=True)


def test_new_round_tells_the_community(make_user, geo, street_official):
    from market.micro.services import rounds

    neighbour, elsewhere = make_user(Role.RESIDENT), make_user(Role.RESIDENT, community=geo.communities[1])
    rounds.create_round(street_official, rounds.RoundInput(title="岗厦社区2027年民生微实事", year=2027,
                                                           street_id=geo.streets[0].id,
                                                           community_id=geo.communities[0].id,
                                                           budget_cents=100_000_000))
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "micro.round_opened")))
    assert neighbour.id in told and elsewhere.id not in told


def test_vote_opens_only_after_review(browser, make_round, street_official):
    round_ = make_round(phase=RoundPhase.COLLECTION)
    browser.login(street_official)
    assert browser.get(f"/micro/rounds/{round_.id}/voting").status_code == 409


def test_open_voting_form_warns_when_the_holiday_calendar_ends(browser, make_round, street_official, monkeypatch):
    from datetime import UTC, datetime

    from market.core.calendar import KNOWN_YEARS
    from market.ui import formatting

    monkeypatch.setattr(formatting, "utcnow", lambda: datetime(KNOWN_YEARS.stop - 1, 12, 1, tzinfo=UTC))
    round_ = make_round(phase=RoundPhase.REVIEW)
    browser.login(street_official)
    url = f"/micro/rounds/{round_.id}/voting"
    form = {"budget": "800000", "opens_at": "2020-01-01T09:00", "closes_at": "2019-12-31T09:00",
            "ballot_type": "approval", "max_picks": "3", "rule": "mes-add1-greedy"}
    short = browser.post(url, {**form, "notice_working_days": "5"}).get_data(as_text=True)
    assert "holiday calendar" not in short
    long = browser.post(url, {**form, "notice_working_days": "30"}).get_data(as_text=True)
    assert f"holiday calendar for {KNOWN_YEARS.stop} is not available" in long
