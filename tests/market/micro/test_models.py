"""State machines refuse every move they do not list; working days skip weekends."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from market.calendar import BEIJING, add_working_days
from market.errors import IllegalTransition
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
            if target in table[start]:
                assert obj.transition(target) == start and getattr(obj, field) == target
            else:
                with pytest.raises(IllegalTransition):
                    obj.transition(target)
                assert getattr(obj, field) == start


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
