"""One round under way per community and one street-wide round per street, kept by the database itself: two
officials who open a round for the same place at the same moment both pass the service's check, and the second
insert must still fail (a community with two rounds would spend two budgets)."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from market.core.db import db
from market.micro.models import MicroRound, RoundPhase


def _insert(street, community, phase, official):
    with db.session.begin_nested():
        db.session.add(MicroRound(title="并发开启", year=2027, street_id=street.id,
                                  community_id=community.id if community else None, official_id=official.id,
                                  phase=phase, budget_cents=100_000_00, ballot_salt="race"))
        db.session.flush()


@pytest.mark.parametrize("phase", [RoundPhase.COLLECTION, RoundPhase.REVIEW, RoundPhase.VOTING, RoundPhase.NOTICE])
def test_a_second_round_under_way_is_refused_by_the_database(geo, street_official, phase):
    _insert(geo.streets[0], geo.communities[0], RoundPhase.COLLECTION, street_official)
    with pytest.raises(IntegrityError):
        _insert(geo.streets[0], geo.communities[0], phase, street_official)
    _insert(geo.streets[0], None, RoundPhase.COLLECTION, street_official)  # the street's own programme
    with pytest.raises(IntegrityError):
        _insert(geo.streets[0], None, phase, street_official)


def test_finished_and_cancelled_rounds_do_not_count(geo, street_official):
    for phase in (RoundPhase.FINAL, RoundPhase.CANCELLED, RoundPhase.FINAL, RoundPhase.COLLECTION):
        _insert(geo.streets[0], geo.communities[0], phase, street_official)
    for phase in (RoundPhase.FINAL, RoundPhase.CANCELLED, RoundPhase.VOTING):
        _insert(geo.streets[0], None, phase, street_official)
    _insert(geo.streets[0], geo.communities[1], RoundPhase.COLLECTION, street_official)  # another community
