"""Participatory-budgeting rules and the registry the web app picks them from.

Every rule is ``rule(election, *, tie_breaking="lexico", **options) -> PBResult``.

:data:`RULES` holds the textbook rules, identical to pabutools; the rules cities used,
named by a Pabulib file's META ``rule``, are in :data:`CITY_RULES` and run through
:func:`official_rule` (see :mod:`matching.pb.rules.official`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matching.pb.model import Election, PBResult
from matching.pb.rules.citygreedy import city_greedy
from matching.pb.rules.equalshares import city_equal_shares
from matching.pb.rules.greedy import greedy
from matching.pb.rules.maxwelfare import max_welfare
from matching.pb.rules.mes import mes_add_one, mes_add_one_greedy, method_of_equal_shares
from matching.pb.rules.official import CITY_RULES, UNSUPPORTED_RULES, Replay, official_rule, replay
from matching.pb.rules.phragmen import sequential_phragmen
from matching.pb.rules.satgreedy import greedy_additive_sat, greedy_cardinality_sat, greedy_cost_sat, greedy_welfare

Rule = Callable[..., PBResult]

RULES: dict[str, Rule] = {
    "greedy": greedy,
    "greedy-cost-sat": greedy_cost_sat,
    "greedy-cardinality-sat": greedy_cardinality_sat,
    "greedy-additive-sat": greedy_additive_sat,
    "max-welfare": max_welfare,
    "mes": method_of_equal_shares,
    "mes-add1": mes_add_one,
    "mes-add1-greedy": mes_add_one_greedy,
    "phragmen": sequential_phragmen,
}
"""Rule name -> rule. Names are stable: the web app stores them."""


def run_rule(name: str, election: Election, **options: Any) -> PBResult:
    """Run the rule registered under ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`RULES`.
    election : Election
        The election.
    **options
        Passed to the rule (``tie_breaking``, ``satisfaction``...).

    Raises
    ------
    ValueError
        For an unknown rule name, or input the rule cannot handle.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50)), (Ballot("1", ("a",)),), budget=100)
    >>> run_rule("greedy", e).selected
    ('a',)
    """
    rule = RULES.get(name)
    if rule is None:
        raise ValueError(f"rule: expected one of {', '.join(RULES)}, got {name!r}")
    return rule(election, **options)


__all__ = [
    "CITY_RULES",
    "RULES",
    "UNSUPPORTED_RULES",
    "Replay",
    "Rule",
    "city_equal_shares",
    "city_greedy",
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
    "replay",
    "run_rule",
    "sequential_phragmen",
]
