"""Contracts made by a real award: a tender with opened bids, matched and approved by the street's official."""
from __future__ import annotations

from datetime import timedelta

import pytest

from market.contracts import services as contract_services
from market.core.db import db, utcnow
from market.review import awards
from tests.market.bids.helpers import AFTER


@pytest.fixture
def evaluated(market):
    """A tender with two opened bids."""
    project = market.tendered(start_date=(AFTER + timedelta(days=30)).date(),
                              end_date=(AFTER + timedelta(days=210)).date())
    best, second = market.provider(rating_grade=5), market.provider(rating_grade=3)
    market.bid(best, project, 26_000_000)
    market.bid(second, project, 29_000_000)
    market.open(project)
    return project, best, second


def _approved(market, evaluated):
    project, *_ = evaluated
    award = awards.approve_proposal(market.official, market.proposal(market.match([project]), project), now=AFTER)
    db.session.commit()
    return award


@pytest.fixture
def approved(market, evaluated):
    """The award in notice: its one contract waits for the notice period to end."""
    return _approved(market, evaluated)


@pytest.fixture
def signed(market, evaluated):
    award = _approved(market, evaluated)
    [contract] = contract_services.contracts_of(award)
    contract_services.sign_contract(market.official, contract, now=award.notice_ends_at)
    db.session.commit()
    return contract, evaluated[1]


@pytest.fixture
def opened(market):
    """A tender whose bids were opened a minute ago (the pages use the real clock)."""
    now = utcnow()
    project = market.tendered(deadline=now + timedelta(days=1), now=now - timedelta(minutes=5))
    winner = market.provider(name="福田长者之家", name_en="Futian Elders' Home", rating_grade=5)
    market.bid(winner, project, 27_000_000, now=now)
    market.bid(market.provider(), project, 29_000_000, now=now)
    project.bid_deadline = now - timedelta(minutes=2)
    db.session.commit()
    market.open(project, now=now - timedelta(minutes=1))
    return project, winner


@pytest.fixture
def live_contract(market, opened):
    """The opened tender matched and approved, the notice period over, the contract signed by the
    street's official and its first milestone reported done by the winner (the real clock)."""
    project, winner = opened
    award = awards.approve_proposal(market.official, market.proposal(market.match([project], now=utcnow()), project),
                                    now=utcnow())
    [contract] = contract_services.contracts_of(award)
    award.notice_ends_at = contract.notice_ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    contract_services.sign_contract(market.official, contract, now=utcnow())
    contract_services.submit_milestone(winner, contract.milestones[0], "完成需求评估和团队组建", now=utcnow())
    db.session.commit()
    return contract, winner
