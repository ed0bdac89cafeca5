"""Sequential Phragmén for approval ballots.

Voters earn virtual money at a constant rate. A project is bought as soon as its
supporters together have earned its cost; buying it spends their money, so each
supporter's *load* (what she has paid so far) becomes the same value
``(sum of their loads + cost) / number of supporters``. In each round the project
reaching the smallest such value is bought. The rule stops as soon as that
project (or any project tied with it) does not fit in the remaining budget.

Semantics follow pabutools' ``sequential_phragmen`` exactly, including its edge
cases: projects costing more than the whole budget are ignored; projects without
supporters come last (their value is infinite) and are bought, by tie-breaking
order, only while every one of them still fits.

Loads only grow, so a project's value only grows from round to round: values
are kept in a priority queue and recomputed lazily, in float with an error
interval; close calls are settled with exact fractions.
"""

from __future__ import annotations

import heapq
import math
import sys
from fractions import Fraction

import numpy as np

from matching.pb._profile import approval_arrays
from matching.pb._text import count, money
from matching.pb.model import Election, PBResult, ProjectExplanation, total_cost
from matching.pb.tiebreaking import tie_breaking_ranks

_EPS = sys.float_info.epsilon
_INF = math.inf


def sequential_phragmen(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """Sequential Phragmén (rule name ``phragmen``).

    Parameters
    ----------
    election : Election
        Approval or choose-1 ballots.
    tie_breaking : str
        See :mod:`matching.pb.tiebreaking`; the default matches pabutools.

    Returns
    -------
    PBResult

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50), PBProject("c", 40)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a", "b")), Ballot("3", ("c",))),
    ...              budget=100)
    >>> r = sequential_phragmen(e)
    >>> r.selected
    ('b', 'c')
    >>> r.explanation("b").reason
    'selected in round 1: its 2 supporters shared its cost, each having paid 25 in total'
    """
    arrays = approval_arrays(election)
    ranks = tie_breaking_ranks(election, tie_breaking)
    projects = election.projects
    m = len(projects)
    budget = Fraction(election.budget)
    costs = arrays.costs
    votes = arrays.votes
    supporters = [arrays.supporters(j) for j in range(m)]
    weights_i = [arrays.weights[s] for s in supporters]
    weights_f = [w.astype(np.float64) for w in weights_i]

    level_of_group = np.full(len(arrays.weights), -1, dtype=np.int64)  # index into ``levels``
    load_f = np.zeros(len(arrays.weights))
    levels: list[Fraction] = []

    def exact_value(j: int) -> Fraction:
        lv = level_of_group[supporters[j]] + 1
        counts = np.bincount(lv, weights=weights_i[j], minlength=len(levels) + 1)
        total = sum((int(c) * levels[k - 1] for k, c in enumerate(counts.tolist()) if k and c), Fraction(0))
        return (total + costs[j]) / int(votes[j])

    def float_interval(j: int) -> tuple[float, float]:
        value = (float(np.dot(weights_f[j], load_f[supporters[j]])) + float(costs[j])) / float(votes[j])
        margin = 4.0 * (len(supporters[j]) + 4) * _EPS * value
        return value - margin, value + margin

    in_play = [j for j in range(m) if costs[j] <= budget]
    finite = [j for j in in_play if votes[j] > 0]
    unsupported = sorted((j for j in in_play if votes[j] == 0), key=ranks.__getitem__)
    lo = np.full(m, _INF)
    hi = np.full(m, _INF)
    fresh = np.zeros(m, dtype=bool)
    heap = []
    for j in finite:
        lo[j], hi[j] = float_interval(j)
        fresh[j] = True
        heap.append((lo[j], ranks[j], j))
    heapq.heapify(heap)
    neighbours = arrays.neighbours()

    spent = Fraction(0)
    bought: list[tuple[int, Fraction]] = []
    stop: tuple[int, list[int]] | None = None  # (round, tied projects that did not fit)
    while heap:
        candidates: list[int] = []
        hi_min = _INF
        while heap and heap[0][0] <= hi_min:
            key, rank, j = heapq.heappop(heap)
            if not fresh[j]:
                lo[j], hi[j] = float_interval(j)
                fresh[j] = True
                heapq.heappush(heap, (lo[j], rank, j))
                continue
            candidates.append(j)
            hi_min = min(hi_min, hi[j])
        contenders = [j for j in candidates if lo[j] <= hi_min]
        for j in candidates:
            if lo[j] > hi_min:
                heapq.heappush(heap, (lo[j], ranks[j], j))
        values = {j: exact_value(j) for j in contenders} if len(contenders) > 1 else {}
        if values:
            best = min(values.values())
            tied = sorted((j for j in contenders if values[j] == best), key=ranks.__getitem__)
        else:
            tied = contenders
            best = exact_value(tied[0])
        too_costly = [j for j in tied if spent + costs[j] > budget]
        if too_costly:
            stop = (len(bought) + 1, too_costly)
            break
        chosen = tied[0]
        for j in contenders:
            if j != chosen:
                heapq.heappush(heap, (lo[j], ranks[j], j))
        groups = supporters[chosen]
        level_of_group[groups] = len(levels)
        levels.append(best)
        load_f[groups] = float(best)
        fresh[neighbours[chosen]] = False
        spent += costs[chosen]
        bought.append((chosen, best))
    else:
        # Only unsupported projects are left; they tie (at infinity) with each other.
        remaining = list(unsupported)
        while remaining:
            too_costly = [j for j in remaining if spent + costs[j] > budget]
            if too_costly:
                stop = (len(bought) + 1, too_costly)
                break
            chosen = remaining.pop(0)
            spent += costs[chosen]
            bought.append((chosen, Fraction(-1)))

    selected = tuple(projects[j].id for j, _ in bought)
    explanations: dict[int, ProjectExplanation] = {}
    for round_number, (j, load) in enumerate(bought, start=1):
        if votes[j] > 0:
            reason = (
                f"selected in round {round_number}: its {count(int(votes[j]), 'supporter')} shared its cost, "
                f"each having paid {money(load)} in total"
            )
        else:
            reason = f"selected in round {round_number}: no supporters, but it fit in the budget left at the end"
        explanations[j] = ProjectExplanation(projects[j].id, True, reason, round_number)
    left = budget - spent
    for j, project in enumerate(projects):
        if j in explanations:
            continue
        if costs[j] > budget:
            reason = f"not selected: its cost {money(project.cost)} exceeds the whole budget {money(budget)}"
        elif stop is not None and j in stop[1]:
            reason = (
                f"not selected: it was next in round {stop[0]}, but the budget left {money(left)} "
                f"< cost {money(project.cost)}, which ends the rule"
            )
        elif stop is not None:
            blocker = projects[stop[1][0]].id
            reason = f"not selected: the rule ended in round {stop[0]} when project {blocker} did not fit the budget"
            if votes[j] == 0:
                reason = "not selected: no voter supported it, and " + reason[len("not selected: ") :]
        else:  # pragma: no cover - without a stop every project in play is bought
            reason = "not selected"
        explanations[j] = ProjectExplanation(project.id, False, reason)
    return PBResult(
        rule="phragmen",
        selected=selected,
        cost=total_cost(election, selected),
        explanations=tuple(explanations[j] for j in range(m)),
    )
