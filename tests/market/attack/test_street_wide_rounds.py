"""A street-wide round (街道级民生微实事) is every community of the street's: residents of any of its
communities vote on its proposals, so they may also support and discuss them; residents of another
street may do none of it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.db import db
from market.micro.models import Ballot, ProposalStatus, RoundPhase, Support


def test_a_neighbouring_community_supports_a_street_wide_proposal(browser, make_round, make_proposal, make_user, geo):
    round_ = make_round(street_wide=True, phase=RoundPhase.COLLECTION)
    proposal = make_proposal(round_, author=make_user(Role.RESIDENT, community=geo.communities[0]),
                             status=ProposalStatus.SUBMITTED)
    neighbour = make_user(Role.RESIDENT, community=geo.communities[1])  # same street, another community
    assert round_.covers(neighbour.community_id, geo.streets[0].id)
    browser.login(neighbour)
    response = browser.post(f"/micro/proposals/{proposal.id}/support")
    assert response.status_code == 302, response.status_code
    assert db.session.scalar(select(func.count(Support.proposal_id))) == 1


def test_a_neighbouring_community_discusses_a_street_wide_proposal(browser, make_round, make_proposal, make_user,
                                                                    geo):
    round_ = make_round(street_wide=True, phase=RoundPhase.COLLECTION)
    proposal = make_proposal(round_, author=make_user(Role.RESIDENT, community=geo.communities[0]),
                             status=ProposalStatus.SUBMITTED)
    browser.login(make_user(Role.RESIDENT, community=geo.communities[1]))
    response = browser.post(f"/micro/proposals/{proposal.id}/comments", {"body": "我们社区的长者也会用到，支持。"})
    assert response.status_code == 302, response.status_code


def test_another_street_neither_votes_nor_proposes_in_a_street_wide_round(browser, make_round, make_proposal,
                                                                           make_user, geo):
    voting = make_round(street_wide=True, phase=RoundPhase.VOTING, opens_delta=timedelta(days=-1))
    proposal = make_proposal(voting, author=make_user(Role.RESIDENT, community=geo.communities[0]))
    collecting = make_round(phase=RoundPhase.COLLECTION)  # a community round of the same street
    browser.login(make_user(Role.RESIDENT, community=geo.communities[2]))  # 莲花街道
    assert browser.post(f"/micro/rounds/{voting.id}/ballot",
                        {"proposal_ids": [str(proposal.id)]}).status_code == 403
    assert db.session.scalar(select(func.count(Ballot.id))) == 0
    # "Suggest a category" skips the form's validation, not the round's checks.
    assert browser.post(f"/micro/rounds/{collecting.id}/proposals/new",
                        {"suggest": "1", "title": "长者饭堂"}).status_code == 403
