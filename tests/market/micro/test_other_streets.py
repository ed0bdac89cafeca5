"""An official of another street is refused every official action on this street's micro-projects:
phase changes, opening and closing the vote, reviewing and merging proposals, answering objections
and flags, accepting a project: 403, and nothing is written."""
from __future__ import annotations

from datetime import timedelta

import pytest

from market.accounts.models import Role
from market.core.db import db
from market.micro.models import FlagStatus, ObjectionStatus, ProposalStatus, RoundPhase
from market.micro.services import supervision, voting
from market.projects.models import ProjectStatus
from tests.market.bids.helpers import refused


@pytest.fixture
def outsider(browser, make_user, geo):
    """The browser of an official of the other street (莲花街道), logged in."""
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[1]))
    return browser


@pytest.fixture
def closed_vote(make_round, make_proposal, make_user, cast):
    """A round whose voting closed an hour ago, with ballots cast."""
    round_ = make_round(phase=RoundPhase.VOTING, opens_delta=timedelta(days=-3), closes_delta=timedelta(hours=-1))
    proposals = [make_proposal(round_, title=f"项目{n}", cost_yuan=100_000) for n in (1, 2)]
    for picks in ((0,), (0, 1), (1,)):
        cast(round_, make_user(Role.RESIDENT, community=round_.community), [proposals[i] for i in picks])
    return round_


@pytest.mark.parametrize("phase, target", [(RoundPhase.COLLECTION, "review"), (RoundPhase.REVIEW, "collection"),
                                           (RoundPhase.COLLECTION, "cancelled")])
def test_phase_changes_are_refused(make_round, outsider, phase, target):
    round_ = make_round(phase=phase)
    refused(outsider, f"/micro/rounds/{round_.id}/phase", {"phase": target})
    assert round_.phase == phase


def test_opening_the_vote_is_refused(make_round, make_proposal, outsider):
    round_ = make_round(phase=RoundPhase.REVIEW)
    make_proposal(round_)
    url = f"/micro/rounds/{round_.id}/voting"
    assert outsider.get(url).status_code == 403
    refused(outsider, url, {"budget": "800000", "opens_at": "2020-01-01T09:00", "closes_at": "2099-01-15T18:00",
                            "ballot_type": "approval", "rule": "greedy", "notice_working_days": "5"})
    assert round_.phase == RoundPhase.REVIEW and round_.voting_closes_at is None


def test_closing_the_vote_is_refused(closed_vote, outsider):
    refused(outsider, f"/micro/rounds/{closed_vote.id}/close")
    assert closed_vote.phase == RoundPhase.VOTING and closed_vote.results == []


def test_reviewing_a_proposal_is_refused(make_round, make_proposal, outsider):
    proposal = make_proposal(make_round(), status=ProposalStatus.SUBMITTED)
    url = f"/micro/proposals/{proposal.id}/review"
    assert outsider.get(url).status_code == 403
    for outcome in ("feasible", "declined"):
        refused(outsider, url, {"outcome": outcome, "official_cost": "90000", "reason": "越权的审查意见"})
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.reviewed_by_id is None


def test_merging_proposals_is_refused(make_round, make_proposal, outsider):
    round_ = make_round()
    duplicate = make_proposal(round_, status=ProposalStatus.SUBMITTED)
    target = make_proposal(round_, status=ProposalStatus.SUBMITTED, title="长者饭堂桌椅更换")
    refused(outsider, f"/micro/proposals/{duplicate.id}/merge", {"target_id": str(target.id)})
    assert duplicate.status == ProposalStatus.SUBMITTED and duplicate.merged_into_id is None


def test_answering_an_objection_is_refused(closed_vote, street_official, make_user, outsider):
    voting.close_voting(street_official, closed_vote)
    objection = voting.file_objection(make_user(Role.RESIDENT, community=closed_vote.community), closed_vote,
                                      "项目2的票数统计有误，请复核。")
    db.session.commit()
    refused(outsider, f"/micro/objections/{objection.id}/answer", {"answer": "越权的答复内容"})
    assert objection.status == ObjectionStatus.UNANSWERED and objection.answered_by_id is None


def test_answering_a_flag_is_refused(engaged_project, make_user, outsider):
    project, *_ = engaged_project()
    flag = supervision.raise_flag(make_user(Role.RESIDENT, community=project.community), project, "safety",
                                  "施工现场有钢筋外露。")
    db.session.commit()
    refused(outsider, f"/micro/flags/{flag.id}/answer", {"answer": "越权的答复内容"})
    assert flag.status == FlagStatus.UNANSWERED and flag.answered_by_id is None


def test_accepting_a_project_is_refused(engaged_project, outsider):
    project, contract, *_ = engaged_project()
    url = f"/micro/projects/{project.id}/accept"
    assert outsider.get(url).status_code == 403
    refused(outsider, url, {"report": "越权的验收报告内容", "rating_days": "30"})
    assert project.status == ProjectStatus.IN_PROGRESS and supervision.contract_of(project) == contract


def test_the_streets_own_official_may_close_the_vote(browser, closed_vote, street_official):
    """The same request succeeds for the round's own official (so the refusal above is about the street)."""
    browser.login(street_official)
    assert browser.post(f"/micro/rounds/{closed_vote.id}/close").status_code == 302
    db.session.refresh(closed_vote)
    assert closed_vote.phase == RoundPhase.NOTICE and len(closed_vote.results) == 2
