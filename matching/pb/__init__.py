"""Participatory budgeting for residents' micro-projects: a pure, fast rule library.

Plain frozen dataclasses in and out, no web or database code::

    from matching.pb import read_pabulib, run_rule
    election = read_pabulib("district.pb")
    result = run_rule("mes-add1-greedy", election)
    result.selected, result.explanation(result.selected[0]).reason

Rules (registry :data:`RULES`): ``greedy``, ``greedy-cost-sat``,
``greedy-cardinality-sat``, ``greedy-additive-sat``, ``max-welfare``, ``mes``,
``mes-add1``, ``mes-add1-greedy``, ``phragmen``. Default tie-breaking and
semantics reproduce pabutools' outcomes exactly.

The rules cities used (:data:`CITY_RULES`, keyed by the Pabulib META ``rule``:
``greedy``, ``greedy-no-skip``, ``greedy-threshold``, ``equalshares``,
``equalshares-comparison``, ``equalshares/add1``, ``equalshares/add1-comparison``)
run through :func:`official_rule`; :func:`replay` compares them with a file's
``selected`` column.
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
    CITY_RULES,
    RULES,
    UNSUPPORTED_RULES,
    Replay,
    city_equal_shares,
    city_greedy,
    greedy,
    greedy_additive_sat,
    greedy_cardinality_sat,
    greedy_cost_sat,
    greedy_welfare,
    max_welfare,
    mes_add_one,
    mes_add_one_greedy,
    method_of_equal_shares,
    official_rule,
    replay,
    run_rule,
    sequential_phragmen,
)
from matching.pb.tiebreaking import TIE_BREAKING_RULES, tie_breaking_ranks

__all__ = [
    "BALLOT_TYPES",
    "CITY_RULES",
    "Ballot",
    "Election",
    "PBProject",
    "PBResult",
    "ProjectExplanation",
    "RULES",
    "Replay",
    "TIE_BREAKING_RULES",
    "UNSUPPORTED_RULES",
    "city_equal_shares",
    "city_greedy",
    "format_pabulib",
    "greedy",
    "greedy_additive_sat",
    "greedy_cardinality_sat",
    "greedy_cost_sat",
    "greedy_welfare",
    "max_welfare",
    "mes_add_one",
    "mes_add_one_greedy",
    "method_of_equal_shares",
    "official_rule",
    "parse_pabulib",
    "read_pabulib",
    "replay",
    "run_rule",
    "sequential_phragmen",
    "tie_breaking_ranks",
    "total_cost",
    "write_pabulib",
]
