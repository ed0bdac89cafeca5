"""Greedy by satisfaction per unit of cost, as pabutools computes it, for every ballot type.

pabutools' ``greedy_utilitarian_welfare`` funds projects by decreasing *total
satisfaction / cost* (ties by the tie-breaking order), skipping what no longer fits. Its
outcome depends on the satisfaction measure; on points and rankings these three rules
reproduce it exactly:

============================  ===========================  =========================================
rule                          pabutools ``sat_class``      projects ranked by
============================  ===========================  =========================================
``greedy-cost-sat``           ``Cost_Sat``                 ballots naming the project (points and
                                                           ranks ignored); on approval ballots the
                                                           same as ``greedy``
``greedy-cardinality-sat``    ``Cardinality_Sat``          ballots naming it / cost
``greedy-additive-sat``       ``Additive_Cardinal_Sat``    points / cost (cumulative, scoring);
                              ``Additive_Borda_Sat``       Borda score / cost on ordinal ballots, a
                                                           project at 0-based position ``i`` of a
                                                           ranking of ``L`` scoring ``L - i - 1``;
                                                           on approval ballots 1 point per approval
============================  ===========================  =========================================

A project with satisfaction but no cost comes first (infinite density); one without
satisfaction comes last. The textbook ``greedy`` ranks by total points (or ``L - i``
rank points) instead, which is none of these on points or rankings; a city's own count
(the file's score column, thresholds, no-skip) is :mod:`matching.pb.rules.citygreedy`.
"""

from __future__ import annotations

from fractions import Fraction

from matching.pb._text import count, money, ordinal
from matching.pb.model import APPROVAL_TYPES, Election, Number, PBResult, ProjectExplanation, total_cost
from matching.pb.tiebreaking import tie_breaking_ranks

SATISFACTIONS = ("cost", "cardinality", "additive")


def total_satisfaction(election: Election, satisfaction: str) -> dict[str, Fraction]:
    """Total satisfaction of each project, summed over the ballots.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 10), PBProject("b", 20)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("b",))), 30, "ordinal")
    >>> {k: int(v) for k, v in total_satisfaction(e, "additive").items()}
    {'a': 1, 'b': 0}
    """
    if satisfaction not in SATISFACTIONS:
        raise ValueError(f"satisfaction: expected one of {', '.join(SATISFACTIONS)}, got {satisfaction!r}")
    if satisfaction == "cost":
        return {p.id: Fraction(n * p.cost) for p, n in zip(election.projects, election.votes().values())}
    if satisfaction == "cardinality" or election.ballot_type in APPROVAL_TYPES:
        return {k: Fraction(v) for k, v in election.votes().items()}
    totals = {p.id: Fraction(0) for p in election.projects}
    for ballot in election.ballots:
        if election.ballot_type == "ordinal":
            length = len(ballot.projects)
            for position, project_id in enumerate(ballot.projects):
                totals[project_id] += length - position - 1
        else:
            for project_id, points in zip(ballot.projects, ballot.points, strict=True):
                totals[project_id] += points
    return totals


def _density(satisfaction: Fraction, cost: Number) -> Fraction | None:
    """Satisfaction per unit of cost; None stands for infinity (free and wanted)."""
    if satisfaction <= 0:
        return Fraction(0)
    return None if cost == 0 else satisfaction / cost


def greedy_welfare(election: Election, *, satisfaction: str = "cost", tie_breaking: str = "lexico") -> PBResult:
    """Greedy by total satisfaction per unit of cost (pabutools' ``greedy_utilitarian_welfare``).

    Parameters
    ----------
    election : Election
        Any ballot type.
    satisfaction : str
        ``cost``, ``cardinality`` or ``additive`` (see the module docstring).
    tie_breaking : str
        See :mod:`matching.pb.tiebreaking`; the default matches pabutools.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 30), PBProject("c", 40)),
    ...              (Ballot("1", ("a", "b"), (3, 1)), Ballot("2", ("a", "c"), (1, 2))), 100, "cumulative")
    >>> greedy_welfare(e, satisfaction="cost").selected
    ('a', 'b')
    >>> r = greedy_welfare(e, satisfaction="additive")
    >>> r.selected, r.explanation("a").reason
    (('a', 'c'), 'selected: 4 points for cost 60 (1st in line); it fit in the budget left 100')
    """
    totals = total_satisfaction(election, satisfaction)
    votes = election.votes()
    ranks = tie_breaking_ranks(election, tie_breaking)
    projects = election.projects

    def key(j: int) -> tuple[int, Fraction, int]:
        density = _density(totals[projects[j].id], projects[j].cost)
        return (0, Fraction(0), ranks[j]) if density is None else (1, -density, ranks[j])

    left = Fraction(election.budget)
    explanations: dict[str, ProjectExplanation] = {}
    selected: list[str] = []
    for position, j in enumerate(sorted(range(len(projects)), key=key), start=1):
        project = projects[j]
        fits = project.cost <= left
        head = (
            f"{_measure(election, satisfaction, totals[project.id], votes[project.id])} for cost {money(project.cost)}"
        )
        if fits:
            reason = f"selected: {head} ({ordinal(position)} in line); it fit in the budget left {money(left)}"
            selected.append(project.id)
            left -= Fraction(project.cost)
        else:
            reason = f"not selected: {head} ({ordinal(position)} in line), but the budget left {money(left)} is less"
        explanations[project.id] = ProjectExplanation(project.id, fits, reason, position if fits else None)
    return PBResult(
        rule=f"greedy-{satisfaction}-sat",
        selected=tuple(selected),
        cost=total_cost(election, selected),
        explanations=tuple(explanations[p.id] for p in projects),
        details=(("satisfaction", satisfaction),),
    )


def _measure(election: Election, satisfaction: str, total: Fraction, ballots: int) -> str:
    if satisfaction in ("cost", "cardinality") or election.ballot_type in APPROVAL_TYPES:
        return f"named on {count(ballots, 'ballot')}"
    if election.ballot_type == "ordinal":
        return f"Borda score {money(total)}"
    return f"{money(total)} point" + ("" if total == 1 else "s")


def greedy_cost_sat(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """pabutools' greedy with ``Cost_Sat`` (rule name ``greedy-cost-sat``): by ballots naming the project."""
    return greedy_welfare(election, satisfaction="cost", tie_breaking=tie_breaking)


def greedy_cardinality_sat(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """pabutools' greedy with ``Cardinality_Sat`` (rule name ``greedy-cardinality-sat``): ballots / cost."""
    return greedy_welfare(election, satisfaction="cardinality", tie_breaking=tie_breaking)


def greedy_additive_sat(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """pabutools' greedy with additive points (rule name ``greedy-additive-sat``): points or Borda / cost."""
    return greedy_welfare(election, satisfaction="additive", tie_breaking=tie_breaking)
