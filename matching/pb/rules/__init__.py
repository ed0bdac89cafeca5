"""Participatory-budgeting rules and the registry the web app picks them from.

Every rule is ``rule(election, *, tie_breaking="lexico", **options) -> PBResult``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matching.pb.model import Election, PBResult
from matching.pb.rules.greedy import greedy
from matching.pb.rules.maxwelfare import max_welfare
from matching.pb.rules.mes import mes_add_one, mes_add_one_greedy, method_of_equal_shares
from matching.pb.rules.phragmen import sequential_phragmen

Rule = Callable[..., PBResult]

RULES: dict[str, Rule] = {
    "greedy": greedy,
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
    "RULES",
    "Rule",
    "greedy",
    "max_welfare",
    "mes_add_one",
    "mes_add_one_greedy",
    "method_of_equal_shares",
    "run_rule",
    "sequential_phragmen",
]
