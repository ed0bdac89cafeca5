"""State machines refuse every move they do not list; working days skip weekends."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from market.core.audit import AuditEvent
from market.core.calendar import BEIJING, add_working_days
from market.core.db import db
from market.core.errors import IllegalTransition
from market.core.state import UnrecordedTransition, transition
from market.micro.models import (
    FLAG_TRANSITIONS,
    OBJECTION_TRANSITIONS,
    PROPOSAL_TRANSITIONS,
    ROUND_TRANSITIONS,
    Flag,
    FlagStatus,
    MicroRound,
    Objection,
    ObjectionStatus,
    Proposal,
    ProposalStatus,
    RoundPhase,
)

MACHINES = [
    (MicroRound, "phase", RoundPhase, ROUND_TRANSITIONS),
    (Proposal, "status", ProposalStatus, PROPOSAL_TRANSITIONS),
    (Objection, "status", ObjectionStatus, OBJECTION_TRANSITIONS),
    (Flag, "status", FlagStatus, FLAG_TRANSITIONS),
]


@pytest.mark.parametrize("model, field, states, table", MACHINES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_move_not_in_the_table_is_illegal(model, field, states, table):
    for start in states:
        for target in states:
            obj = model(**{field: start})
            assert obj.can_transition(target) == (target in table[start])
            if target in table[start]:
                assert transition(obj, target, actor=None) == start and getattr(obj, field) == target
            else:
                with pytest.raises(IllegalTransition):
                    transition(obj, target, actor=None)
                assert getattr(obj, field) == start


def test_a_phase_set_without_transition_is_refused_and_a_transition_is_audited(make_round, street_official):
    round_ = make_round()
    round_.phase = RoundPhase.REVIEW
    with pytest.raises(UnrecordedTransition):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(MicroRound, round_.id).phase == RoundPhase.COLLECTION
    transition(round_, RoundPhase.REVIEW, actor=street_official, action="micro.round_phase_changed")
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "micro.round_phase_changed"))
    assert (event.object_id, event.actor_id) == (str(round_.id), street_official.id)
    assert (event.before, event.after) == ({"phase": "collection"}, {"phase": "review"})


def _beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.mark.parametrize("start, days, end", [
    (_beijing(2026, 11, 27, 10), 5, _beijing(2026, 12, 5)),   # Friday + 5 → end of next Friday
    (_beijing(2026, 11, 30, 9), 5, _beijing(2026, 12, 8)),    # Monday + 5 → end of next Monday
    (_beijing(2026, 11, 28, 15), 3, _beijing(2026, 12, 3)),   # Saturday + 3 → end of Wednesday
    (_beijing(2026, 12, 2, 23, 30), 0, _beijing(2026, 12, 3)),
])
def test_working_days(start, days, end):
    assert add_working_days(start.astimezone(UTC), days) == end


def test_working_days_refuse_naive_times():
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 1, 1), 1)
