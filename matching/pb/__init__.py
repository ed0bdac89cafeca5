"""Participatory budgeting for residents' micro-projects: a pure, fast rule library.

Plain frozen dataclasses in and out, no web or database code::

    from matching.pb import read_pabulib, run_rule
    election = read_pabulib("district.pb")
    result = run_rule("mes-add1-greedy", election)
    result.selected, result.explanation(result.selected[0]).reason

Rules (registry :data:`RULES`): ``greedy``, ``max-welfare``, ``mes``,
``mes-add1``, ``mes-add1-greedy``, ``phragmen``. Default tie-breaking and
semantics reproduce pabutools' outcomes exactly.
"""

from matching.pb.io import format_pabulib, parse_pabulib, read_pabulib, write_pabulib
from matching.pb.model import (
    BALLOT_TYPES,
    Ballot,
    Election,
    PBProject,
    PBResult,
    ProjectExplanation,
    total_cost,
)
from matching.pb.rules import (
    RULES,
    greedy,
    max_welfare,
    mes_add_one,
    mes_add_one_greedy,
    method_of_equal_shares,
    run_rule,
    sequential_phragmen,
)
from matching.pb.tiebreaking import TIE_BREAKING_RULES, tie_breaking_ranks

__all__ = [
    "BALLOT_TYPES",
    "Ballot",
    "Election",
    "PBProject",
    "PBResult",
    "ProjectExplanation",
    "RULES",
    "TIE_BREAKING_RULES",
    "format_pabulib",
    "greedy",
    "max_welfare",
    "mes_add_one",
    "mes_add_one_greedy",
    "method_of_equal_shares",
    "parse_pabulib",
    "read_pabulib",
    "run_rule",
    "sequential_phragmen",
    "tie_breaking_ranks",
    "total_cost",
    "write_pabulib",
]
