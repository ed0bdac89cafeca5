"""Greedy by votes (or score) within the budget: the rule most cities use.

Projects are sorted by total score, highest first (ties by the tie-breaking
order); each is funded if it still fits in the remaining budget, otherwise it is
skipped and the next one is considered.

This is pabutools' ``greedy_utilitarian_welfare`` with cost satisfaction (whose
"satisfaction per unit of cost" is exactly the number of votes), including its
edge cases: a project with no (or a negative) score, or with zero cost, is ranked
as if its score were 0, i.e. after every project with a positive score.
"""

from __future__ import annotations

from fractions import Fraction

from matching.pb._text import money, ordinal
from matching.pb.model import APPROVAL_TYPES, Election, Number, PBResult, ProjectExplanation, total_cost
from matching.pb.tiebreaking import tie_breaking_ranks


def score_unit(election: Election) -> str:
    """``"votes"`` for approval ballots, ``"points"`` otherwise."""
    return "votes" if election.ballot_type in APPROVAL_TYPES else "points"


def _format_score(value: Number, unit: str) -> str:
    if unit == "votes":
        return f"{int(value):,} vote" + ("" if value == 1 else "s")
    return f"{money(value)} point" + ("" if value == 1 else "s")


def greedy_fill(
    election: Election, ranks: list[int], already: list[int], scores: dict[str, Number]
) -> tuple[list[int], dict[int, tuple[int, Fraction, bool]]]:
    """Greedy by score over the projects not in ``already`` (indices).

    Returns the added project indices in order, and for every considered project
    (position in the order, budget left when considered, selected?).
    """
    projects = election.projects
    chosen = set(already)
    left = Fraction(election.budget) - sum((Fraction(projects[j].cost) for j in already), Fraction(0))

    def sort_key(j: int) -> tuple[Number, int]:
        score = scores[projects[j].id]
        effective = score if (score > 0 and projects[j].cost > 0) else 0
        return (-effective, ranks[j])

    order = sorted((j for j in range(len(projects)) if j not in chosen), key=sort_key)
    added: list[int] = []
    considered: dict[int, tuple[int, Fraction, bool]] = {}
    for position, j in enumerate(order, start=1):
        cost = Fraction(projects[j].cost)
        fits = cost <= left
        considered[j] = (position, left, fits)
        if fits:
            added.append(j)
            left -= cost
    return added, considered


def greedy(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """Greedy by votes within the budget (rule name ``greedy``).

    Works for every ballot type: approval and choose-1 ballots count votes,
    cumulative and scoring ballots sum points, ordinal ballots use Pabulib's
    positional score (see :meth:`matching.pb.model.Election.scores`).

    Parameters
    ----------
    election : Election
        The election.
    tie_breaking : str
        See :mod:`matching.pb.tiebreaking`; the default matches pabutools.

    Returns
    -------
    PBResult

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50), PBProject("c", 40)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a", "b")), Ballot("3", ("a", "c"))),
    ...              budget=100)
    >>> r = greedy(e)
    >>> r.selected
    ('a', 'c')
    >>> r.explanation("b").reason
    'not selected: 2 votes (2nd in line), but the budget left 40 < cost 50'
    """
    ranks = tie_breaking_ranks(election, tie_breaking)
    scores = election.scores()
    added, considered = greedy_fill(election, ranks, [], scores)
    unit = score_unit(election)
    explanations = []
    for j, project in enumerate(election.projects):
        position, left, fits = considered[j]
        score = _format_score(scores[project.id], unit)
        if fits:
            reason = (
                f"selected: {score} ({ordinal(position)} in line); its cost {money(project.cost)} "
                f"fit in the budget left {money(left)}"
            )
        else:
            reason = (
                f"not selected: {score} ({ordinal(position)} in line), but the budget left "
                f"{money(left)} < cost {money(project.cost)}"
            )
        explanations.append(ProjectExplanation(project.id, fits, reason, position if fits else None))
    selected = tuple(election.projects[j].id for j in added)
    return PBResult(
        rule="greedy",
        selected=selected,
        cost=total_cost(election, selected),
        explanations=tuple(explanations),
    )
