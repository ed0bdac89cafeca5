"""Greedy rules as cities count them (Pabulib META ``rule``: ``greedy``, ``greedy-no-skip``, ``greedy-threshold``).

Projects are ranked by the score the city counted (see :func:`matching.pb.meta.city_scores`:
the file's ``score`` or ``votes`` column), highest first, ties by the tie-breaking order, and
funded in that order while they fit:

* ``greedy`` -- a project that no longer fits is skipped and the count goes on;
* ``greedy-no-skip`` -- the count stops at the first project that does not fit;
* ``greedy-threshold`` -- as ``greedy``, but only projects whose score reaches META
  ``min_project_score_threshold`` can win (Warszawa: 10 % of the valid ballots).

A threshold given in META applies to all three. A project costing
:data:`~matching.pb.meta.SENTINEL_COST` was withdrawn after the vote and is passed over
(without stopping ``greedy-no-skip``). The textbook rule ``greedy``
(:mod:`matching.pb.rules.greedy`, identical to pabutools) counts the ballots instead of
the file's columns and knows neither thresholds nor stopping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from matching.pb._text import money, ordinal
from matching.pb.meta import SENTINEL_COST, CityScores, city_scores, meta_number
from matching.pb.model import Election, Number, PBResult, ProjectExplanation, total_cost
from matching.pb.rules.greedy import _format_score
from matching.pb.tiebreaking import tie_breaking_ranks

GREEDY_VARIANTS = ("greedy", "greedy-no-skip", "greedy-threshold")
"""META ``rule`` values this module counts."""

SELECTED = "selected"
TOO_EXPENSIVE = "too expensive"
BELOW_THRESHOLD = "below threshold"
WITHDRAWN = "withdrawn"
NOT_REACHED = "not reached"


@dataclass(frozen=True)
class GreedyStep:
    """What happened to one project in a greedy count.

    Attributes
    ----------
    index : int
        The project's index in the election.
    position : int
        Its place in the ranking (1-based).
    left : Fraction
        Budget left when the count reached it.
    status : str
        ``selected``, ``too expensive``, ``below threshold``, ``withdrawn`` or
        ``not reached`` (the count had stopped).
    """

    index: int
    position: int
    left: Fraction
    status: str


def ranked_walk(
    election: Election,
    scores: Mapping[str, Number],
    ranks: Sequence[int],
    *,
    below: frozenset[str] = frozenset(),
    stop_at_first_misfit: bool = False,
) -> list[GreedyStep]:
    """Count projects by decreasing score (ties by ``ranks``), funding each that fits.

    Projects in ``below`` (under the score threshold) and withdrawn ones are passed over.

    Examples
    --------
    >>> from matching.pb.model import PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50), PBProject("c", 40)), (), 100)
    >>> [(s.position, s.status) for s in ranked_walk(e, {"a": 3, "b": 2, "c": 1}, [0, 1, 2],
    ...                                               stop_at_first_misfit=True)]
    [(1, 'selected'), (2, 'too expensive'), (3, 'not reached')]
    """
    projects = election.projects
    order = sorted(range(len(projects)), key=lambda j: (-scores[projects[j].id], ranks[j]))
    left = Fraction(election.budget)
    stopped = False
    steps: list[GreedyStep] = []
    for position, j in enumerate(order, start=1):
        project = projects[j]
        if project.cost == SENTINEL_COST:
            status = WITHDRAWN
        elif project.id in below:
            status = BELOW_THRESHOLD
        elif stopped:
            status = NOT_REACHED
        elif project.cost <= left:
            status = SELECTED
        else:
            status = TOO_EXPENSIVE
            stopped = stop_at_first_misfit
        steps.append(GreedyStep(j, position, left, status))
        if status == SELECTED:
            left -= Fraction(project.cost)
    return steps


def city_greedy(election: Election, variant: str = "greedy", *, tie_breaking: str = "lexico") -> PBResult:
    """A city's greedy count (``greedy``, ``greedy-no-skip`` or ``greedy-threshold``).

    Parameters
    ----------
    election : Election
        Any ballot type; the score is the file's ``score``/``votes`` column when present.
    variant : str
        One of :data:`GREEDY_VARIANTS`.
    tie_breaking : str
        Order among equal scores, see :mod:`matching.pb.tiebreaking`.

    Returns
    -------
    PBResult
        ``rule`` is the variant; ``details`` name the score used and the threshold.

    Raises
    ------
    ValueError
        For an unknown variant, or ``greedy-threshold`` without ``min_project_score_threshold``.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50), PBProject("c", 40)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a", "b")), Ballot("3", ("a", "c"))), 100)
    >>> city_greedy(e).selected, city_greedy(e, "greedy-no-skip").selected
    (('a', 'c'), ('a',))
    >>> city_greedy(e, "greedy-no-skip").explanation("c").reason
    'not selected: 1 vote (3rd in line), but the count stopped at b (2nd), the first project that did not fit'
    """
    if variant not in GREEDY_VARIANTS:
        raise ValueError(f"variant: expected one of {', '.join(GREEDY_VARIANTS)}, got {variant!r}")
    threshold = meta_number(election, "min_project_score_threshold")
    if variant == "greedy-threshold" and threshold is None:
        raise ValueError("META min_project_score_threshold: the rule greedy-threshold needs it")
    counted = city_scores(election)
    steps = ranked_walk(
        election,
        counted.scores,
        tie_breaking_ranks(election, tie_breaking),
        below=below_threshold(counted, threshold),
        stop_at_first_misfit=variant == "greedy-no-skip",
    )
    selected = tuple(election.projects[s.index].id for s in steps if s.status == SELECTED)
    return PBResult(
        rule=variant,
        selected=selected,
        cost=total_cost(election, selected),
        explanations=explain_steps(election, steps, counted, threshold),
        details=_details(counted, threshold),
    )


def below_threshold(counted: CityScores, threshold: Number | None) -> frozenset[str]:
    """Projects whose score is under the threshold (none without one)."""
    if threshold is None:
        return frozenset()
    return frozenset(pid for pid, score in counted.scores.items() if score < threshold)


def explain_steps(
    election: Election, steps: Sequence[GreedyStep], counted: CityScores, threshold: Number | None
) -> tuple[ProjectExplanation, ...]:
    """One explanation per project, in election order."""
    stop = next((s for s in steps if s.status == TOO_EXPENSIVE), None)
    by_index = {s.index: s for s in steps}
    out = []
    for j, project in enumerate(election.projects):
        step = by_index[j]
        score = _format_score(counted.scores[project.id], counted.unit)
        head = f"{score} ({ordinal(step.position)} in line)"
        if step.status == SELECTED:
            reason = f"selected: {head}; its cost {money(project.cost)} fit in the budget left {money(step.left)}"
        elif step.status == TOO_EXPENSIVE:
            reason = f"not selected: {head}, but the budget left {money(step.left)} < cost {money(project.cost)}"
        elif step.status == BELOW_THRESHOLD:
            limit = _format_score(threshold or 0, counted.unit)
            reason = f"not selected: {head}, below the threshold of {limit} needed to win"
        elif step.status == WITHDRAWN:
            reason = f"not selected: its cost {money(project.cost)} marks a project withdrawn after the vote"
        else:
            stopper = election.projects[stop.index].id if stop else "?"
            where = ordinal(stop.position) if stop else "?"
            reason = f"not selected: {head}, but the count stopped at {stopper} ({where}), the first project that did not fit"
        chosen = step.status == SELECTED
        out.append(ProjectExplanation(project.id, chosen, reason, step.position if chosen else None))
    return tuple(out)


def _details(counted: CityScores, threshold: Number | None) -> tuple[tuple[str, str], ...]:
    details = [("score", f"{counted.unit}, {counted.source}")]
    if counted.differing:
        details.append(("score_differs_from_ballots", ", ".join(counted.differing)))
    if threshold is not None:
        details.append(("min_project_score_threshold", money(threshold)))
    return tuple(details)
